"""Tone-of-voice guidelines (versioned, per language and network) and the reply checker.

Tenant app: its tables live in each client's schema."""

from django.apps import AppConfig


class GuidelinesConfig(AppConfig):
    name = "guidelines"
    default_auto_field = "django.db.models.BigAutoField"
