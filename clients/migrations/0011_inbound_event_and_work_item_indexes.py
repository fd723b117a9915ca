import django.db.models.deletion
from django.db import migrations, models

# The plain indexes on these foreign keys go; the constraints stay. Only the index is dropped
# (AlterField would drop and re-add the foreign key, re-checking every row of the table).
DROPPED = [
    ("clients_inboundevent", "client_id", "clients_inboundevent_client_id_5ce9e878"),
    ("clients_workitem", "client_id", "clients_workitem_client_id_49453c8e"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0010_inboundevent_partial_status_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="inboundevent",
                    name="client",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="clients.client",
                    ),
                ),
                migrations.AlterField(
                    model_name="workitem",
                    name="client",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="clients.client",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {index}",
                    f"CREATE INDEX IF NOT EXISTS {index} ON {table} ({column})",
                )
                for table, column, index in DROPPED
            ],
        ),
        migrations.AddIndex(
            model_name="inboundevent",
            index=models.Index(
                condition=models.Q(("client__isnull", False)),
                fields=["client"],
                name="inbound_event_client_idx",
            ),
        ),
    ]
