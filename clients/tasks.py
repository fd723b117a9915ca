from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.utils import timezone

from clients import services
from clients.models import ConnectedAccount, InboundDelivery, InboundEvent
from clients.platforms import POLLING_PLATFORMS

logger = logging.getLogger(__name__)

# Pending events older than this were not picked up (broker down, worker killed): re-queue them.
STALE_AFTER = dt.timedelta(seconds=30)
REQUEUE_BATCH = 500


@shared_task(
    name="clients.process_inbound_events", queue="ingest", soft_time_limit=120, time_limit=150
)
def process_inbound_events_task(event_ids: list[int]) -> None:
    services.process_inbound_events(event_ids=event_ids)


@shared_task(
    name="clients.process_inbound_deliveries", queue="ingest", soft_time_limit=120, time_limit=150
)
def process_inbound_deliveries_task(delivery_ids: list[int]) -> None:
    services.process_inbound_deliveries(delivery_ids=delivery_ids)


@shared_task(name="clients.requeue_stale_inbound_events", queue="scheduled", time_limit=60)
def requeue_stale_inbound_events_task() -> int:
    """The safety net behind "acknowledged means stored": anything still pending is retried,
    received deliveries not yet split as well as events not yet processed."""
    stale_before = timezone.now() - STALE_AFTER
    stale_deliveries = list(
        InboundDelivery.objects.filter(last_error="", received_at__lt=stale_before)
        .order_by("id")
        .values_list("id", "event_count")[:REQUEUE_BATCH]
    )
    for group in services.delivery_tasks(stale_deliveries):
        services.schedule_delivery_processing(group)
    stale_ids = list(
        InboundEvent.objects.filter(
            status=InboundEvent.Status.PENDING, received_at__lt=stale_before
        )
        .order_by("received_at")
        .values_list("id", flat=True)[:REQUEUE_BATCH]
    )
    if stale_ids or stale_deliveries:
        logger.info(
            "Re-queueing %d stale received deliveries and %d stale inbound events",
            len(stale_deliveries),
            len(stale_ids),
        )
    services.schedule_processing(stale_ids, on_commit=False)
    return len(stale_deliveries) + len(stale_ids)


@shared_task(name="clients.poll_accounts", queue="scheduled", time_limit=60)
def poll_accounts_task() -> int:
    """Beat: one poll task per connected account of a platform without webhooks."""
    account_ids = list(
        ConnectedAccount.objects.filter(platform__in=POLLING_PLATFORMS)
        .exclude(status=ConnectedAccount.Status.CLOSED)
        .values_list("id", flat=True)
    )
    for account_id in account_ids:
        poll_account_task.delay(account_id)
    return len(account_ids)


@shared_task(name="clients.poll_account", queue="ingest", soft_time_limit=120, time_limit=150)
def poll_account_task(account_id: int) -> int | None:
    return services.poll_account(account_id=account_id)


@shared_task(name="clients.refresh_expiring_tokens", queue="scheduled", time_limit=120)
def refresh_expiring_tokens_task() -> int:
    """Beat: renew access tokens that expire soon, so nothing stops at the expiry."""
    refreshed = 0
    for account in ConnectedAccount.objects.filter(pk__in=services.accounts_needing_refresh()):
        refreshed += services.refresh_account_token(account=account)
    return refreshed


@shared_task(name="clients.backfill_account", queue="ingest", soft_time_limit=120, time_limit=150)
def backfill_account_task(account_id: int) -> int | None:
    return services.backfill_account(account_id=account_id)
