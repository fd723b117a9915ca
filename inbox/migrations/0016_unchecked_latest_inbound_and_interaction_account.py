import django.db.models.deletion
from django.db import migrations, models


# A new client's schema is migrated inside the transaction that creates the client, which may
# have written connected accounts already (tests do). Dropping the interaction's constraint
# drops its triggers on clients_connectedaccount, which PostgreSQL refuses while checks of
# that table wait for the commit: they run first, and the usual deferral is back after.
CHECK_PENDING_NOW = migrations.RunSQL(
    "SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS ALL DEFERRED"
)
DEFER_CHECKS_AGAIN = migrations.RunSQL(
    "SET CONSTRAINTS ALL DEFERRED", "SET CONSTRAINTS ALL IMMEDIATE"
)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0013_unchecked_event_and_work_item_client"),
        ("inbox", "0015_interaction_account_index_unused"),
    ]

    operations = [
        CHECK_PENDING_NOW,
        migrations.AlterField(
            model_name="conversation",
            name="latest_inbound",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="inbox.interaction",
            ),
        ),
        migrations.AlterField(
            model_name="interaction",
            name="connected_account",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="clients.connectedaccount",
            ),
        ),
        DEFER_CHECKS_AGAIN,
    ]
