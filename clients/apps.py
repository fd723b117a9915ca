from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "clients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models import Field

        from clients.lookups import AnyOf

        Field.register_lookup(AnyOf)
