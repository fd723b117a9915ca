"""The public tenant row django-tenants needs (schema `public`), present from the start.

Historical models insert the row without TenantMixin.save, which would try to create a schema."""

from django.db import migrations


def create_public_tenant(apps, schema_editor):  # type: ignore[no-untyped-def]
    Client = apps.get_model("clients", "Client")
    Client.objects.get_or_create(
        schema_name="public", defaults={"slug": "public", "name": "Public", "is_active": False}
    )


class Migration(migrations.Migration):
    dependencies = [("clients", "0001_initial")]

    operations = [migrations.RunPython(create_public_tenant, migrations.RunPython.noop)]
