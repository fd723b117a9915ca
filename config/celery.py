"""The Celery app. tenant-schemas-celery's CeleryApp carries the current schema in each task's
headers, so a task scheduled inside a client runs inside that client's schema."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("parley", task_cls="config.tasks:ParleyTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
