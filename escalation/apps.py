"""Escalation rules, SLA policies, business hours, crisis detection and notifications.

Tenant app: its tables live in each client's schema."""

from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    default_auto_field = "django.db.models.BigAutoField"
