import django.db.models.deletion
from django.db import migrations, models

# conversation_unique_thread starts with the column: its plain index only cost writes. Only
# the index is dropped (AlterField would drop and re-add the foreign key too, which inside a
# new client's schema creation fails on the public table's pending trigger events).
INDEX = "inbox_conversation_connected_account_id_69110fd0"


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0011_interaction_conv_inbound_idx"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="conversation",
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
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON inbox_conversation"
                    " (connected_account_id)",
                ),
            ],
        ),
    ]
