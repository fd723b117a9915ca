"""The base class of every Parley task."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction
from tenant_schemas_celery.task import TenantTask, headers_with_schema


class ParleyTask(TenantTask):
    """tenant-schemas-celery's task, with the schema taken when `*_on_commit` is called.

    Celery's `delay_on_commit` publishes (and so reads the current schema) when the commit
    happens, which may be after the code has left the client's schema: the task would then
    run in `public`. Capturing the schema up front makes the tenant travel with the call."""

    abstract = True

    def apply_async_on_commit(self, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        options["headers"] = headers_with_schema(options.get("headers"))
        transaction.on_commit(partial(self.apply_async, args, kwargs, **options))

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:
        self.apply_async_on_commit(args, kwargs)
