"""The Celery app. tenant-schemas-celery's CeleryApp carries the current schema in each task's
headers, so a task scheduled inside a client runs inside that client's schema."""

import gc
import os
from typing import Any

from celery.signals import task_prerun, worker_init, worker_process_init
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


# How far allocations of the objects the collector tracks may run ahead of their
# deallocations before the youngest generation is collected (Python's default is 700). A
# batch of 500 events keeps many thousands alive until it ends, so at 700 the collector ran
# thousands of times per 100,000 events over the same live objects.
WORKER_GC_THRESHOLD = 50_000


@worker_init.connect
def ready_to_fork(**kwargs: Any) -> None:
    """In the main process, before the pool forks: the language model made or mapped and the
    lexicons loaded once, so that the pool's processes share them and none pays for building
    them in a task; then everything loaded so far is frozen out of the garbage collector.

    The oldest generation's collections walked all of it (Django, the apps, the analysis
    tables): 26 collections of about 58 ms each per 100,000 events, 16% of the worker's
    Python (`bench/ingest.py --processing-only`, timed with gc.callbacks; 145 ms in all once
    frozen). Frozen in the parent, the objects' pages also stay shared with the pool."""
    from inbox.analysis import analyze
    from inbox.analysis.language import prepare_model

    prepare_model()
    analyze("The model and the lexicons, loaded before the pool forks.", fallback_language="en")
    gc.collect()
    gc.freeze()


@worker_process_init.connect
def collect_for_batches(**kwargs: Any) -> None:
    """In each pool process: what it loaded after the fork frozen too, and the youngest
    generation collected less often (WORKER_GC_THRESHOLD). Per 100,000 events the collector
    ran 3,399 times for 1,895 ms before, and not once with both (`--processing-only`, timed
    with gc.callbacks): cyclic garbage is still collected, once 50,000 objects are left."""
    gc.freeze()
    gc.set_threshold(WORKER_GC_THRESHOLD)
