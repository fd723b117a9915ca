from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0011_inbound_event_and_work_item_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="InboundDelivery",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("events", models.TextField()),
                ("event_count", models.PositiveIntegerField()),
                ("received_at", models.DateTimeField(auto_now_add=True)),
                ("last_error", models.TextField(blank=True)),
            ],
            options={
                "verbose_name_plural": "inbound deliveries",
            },
        ),
        # A row lives for well under a second and is read once: compressing its tens of
        # kilobytes (pglz, PostgreSQL's default) would cost more CPU than it saves in writes.
        migrations.RunSQL(
            "ALTER TABLE clients_inbounddelivery ALTER COLUMN events SET STORAGE EXTERNAL",
            "ALTER TABLE clients_inbounddelivery ALTER COLUMN events SET STORAGE EXTENDED",
        ),
    ]
