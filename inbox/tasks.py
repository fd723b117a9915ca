from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from celery import shared_task
from django_tenants.utils import tenant_context

from clients.models import Client
from clients.platforms.base import TransientPlatformError
from inbox import approvals, automation, moderation, services

MAX_SEND_RETRIES = 5


def _retry_or_give_up(
    task: Any, error: TransientPlatformError, give_up: Callable[..., None]
) -> None:
    """Retry with exponential backoff, or as late as the platform asks; after the last
    retry, `give_up(message=...)` records the failure with the platform's words."""
    if task.request.retries >= MAX_SEND_RETRIES:
        give_up(message=error.message)
        return
    backoff = 5 * 2**task.request.retries
    raise task.retry(countdown=max(backoff, error.retry_after_seconds or 0)) from error


@shared_task(
    bind=True,
    name="inbox.send_reply",
    queue="outbound",
    soft_time_limit=60,
    time_limit=90,
    max_retries=MAX_SEND_RETRIES,
)
def send_reply_task(self: Any, reply_id: int) -> None:
    """Runs in the client's schema (tenant header). Transient errors retry with backoff,
    honouring the platform's own wait when it gives one."""
    try:
        services.send_reply(reply_id=reply_id)
    except TransientPlatformError as error:
        _retry_or_give_up(self, error, functools.partial(services.fail_reply, reply_id=reply_id))


@shared_task(name="inbox.remind_pending_approvals", queue="scheduled", time_limit=300)
def remind_pending_approvals_task() -> int:
    """Beat: in every active client, remind approvers of replies waiting too long."""
    reminded = 0
    for client in Client.objects.exclude(schema_name="public").filter(is_active=True):
        with tenant_context(client):
            reminded += approvals.remind_pending_approvals()
    return reminded


@shared_task(name="inbox.reconcile_stuck_replies", queue="scheduled", time_limit=300)
def reconcile_stuck_replies_task() -> int:
    """Beat: in every active client, settle replies whose sending worker died mid-call."""
    settled = 0
    for client in Client.objects.exclude(schema_name="public").filter(is_active=True):
        with tenant_context(client):
            settled += services.reconcile_stuck_replies()
    return settled


@shared_task(name="inbox.run_automation", queue="ingest", soft_time_limit=60, time_limit=90)
def run_automation_task(interaction_id: int) -> None:
    """Runs in the client's schema (tenant header)."""
    automation.run_automation(interaction_id=interaction_id)


@shared_task(
    bind=True,
    name="inbox.moderate",
    queue="outbound",
    soft_time_limit=60,
    time_limit=90,
    max_retries=MAX_SEND_RETRIES,
)
def moderate_task(self: Any, action_id: int) -> None:
    """Runs in the client's schema (tenant header); retries like replies."""
    try:
        moderation.run_moderation(action_id=action_id)
    except TransientPlatformError as error:
        _retry_or_give_up(self, error, functools.partial(moderation.give_up, action_id=action_id))
