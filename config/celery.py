"""The Celery app. tenant-schemas-celery's CeleryApp carries the current schema in each task's
headers, so a task scheduled inside a client runs inside that client's schema."""

import os
from typing import Any

from celery.signals import task_prerun, worker_init
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = CeleryApp("parley", task_cls="config.tasks:ParleyTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _fresh_enough_connections(task: Any = None, **kwargs: Any) -> None:
    """What Django does at the start of every request, at the start of every task: a
    connection past CONN_MAX_AGE, or broken (PostgreSQL restarted), is closed here and opened
    again on use, instead of failing the task (CELERY_DB_REUSE_MAX keeps them otherwise).
    Not for a task run eagerly: it runs inside its caller's transaction."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@worker_init.connect
def _language_model_ready(**kwargs: Any) -> None:
    """The language model made or mapped once, in the main process before the pool forks:
    the pool's processes share it, and none pays for building it in a task."""
    from inbox.analysis.language import prepare_model

    prepare_model()
