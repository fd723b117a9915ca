import django.db.models.deletion
from django.db import migrations, models

# Nothing looks messages up by their account, and accounts are never deleted: the plain index
# only cost a write per new message. Only the index is dropped, as in 0012 (AlterField would
# drop and re-add the foreign key too, which fails inside a new client's schema creation).
INDEX = "inbox_interaction_connected_account_id_c1507546"


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0014_drop_unused_interaction_recent_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="interaction",
                    name="connected_account",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="clients.connectedaccount",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON inbox_interaction"
                    " (connected_account_id)",
                ),
            ],
        ),
    ]
