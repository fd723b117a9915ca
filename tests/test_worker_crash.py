"""Acknowledged means stored, even when the worker dies: a real Celery worker is killed with
SIGKILL in the middle of ingesting, another one takes over, and every event becomes exactly
one interaction. Half the deliveries arrive as the webhook receiver stores them (InboundDelivery
rows, split by the worker), half as the Django views and pollers do (InboundEvents)."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from clients.models import InboundDelivery, InboundEvent, WorkItem
from clients.platforms.meta import split_delivery
from clients.services import (
    inbound_rows,
    schedule_delivery_processing,
    store_inbound_events,
)
from clients.tasks import requeue_stale_inbound_events_task
from config.celery import app as celery_app
from inbox.models import Conversation, Interaction
from tests.conftest import Simulator
from tests.factories import receive_deliveries
from tests.live import LIVE_PAGE, LiveWorld, start_worker, stop, wait_until

pytestmark = pytest.mark.worker

DELIVERIES = 40
EVENTS_PER_DELIVERY = 50


def delivery(number: int) -> dict[str, Any]:
    """One Meta delivery of many new comments (Meta batches up to 1,000 per delivery)."""
    changes = []
    for n in range(EVENTS_PER_DELIVERY):
        serial = number * EVENTS_PER_DELIVERY + n
        post = f"{LIVE_PAGE}_7000000{number:05d}"
        changes.append(
            {
                "field": "feed",
                "value": {
                    "from": {"id": f"62{serial:013d}", "name": f"Person {serial}"},
                    "post_id": post,
                    "comment_id": f"7000000{number:05d}_9{serial:09d}",
                    "created_time": 1717000000 + serial,
                    "item": "comment",
                    "parent_id": post,
                    "verb": "add",
                    "message": f"Is item {serial} in stock?",
                },
            }
        )
    return {"object": "page", "entry": [{"id": LIVE_PAGE, "time": 1717000000, "changes": changes}]}


def test_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    live_world: LiveWorld, django_db_blocker: Any, simulator: Simulator, tmp_path: Path
) -> None:
    total = DELIVERIES * EVENTS_PER_DELIVERY
    celery_app.control.purge()
    celery_app.conf.task_always_eager = False
    first = start_worker(simulator, f"test-crash-a-{os.getpid()}", tmp_path / "a.log")
    try:
        with django_db_blocker.unblock():
            for number in range(DELIVERIES):  # acknowledged: committed, tasks on the broker
                events = split_delivery(delivery(number))
                if number % 2:
                    store_inbound_events(events)
                    continue
                schedule_delivery_processing([receive_deliveries(inbound_rows(events))])

            def processed() -> int:
                return InboundEvent.objects.filter(
                    account_external_id=LIVE_PAGE, status="processed"
                ).count()

            wait_until(lambda: processed() > 0, what="the first worker to start ingesting")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(10)
            done_before_the_kill = processed()
            assert 0 < done_before_the_kill < total

            # The safety net: pending events older than STALE_AFTER are queued again (here
            # the clock is moved instead of waiting 30 seconds).
            InboundEvent.objects.filter(account_external_id=LIVE_PAGE, status="pending").update(
                received_at=timezone.now() - dt.timedelta(minutes=5)
            )
            InboundDelivery.objects.update(received_at=timezone.now() - dt.timedelta(minutes=5))
            second = start_worker(simulator, f"test-crash-b-{os.getpid()}", tmp_path / "b.log")
            try:

                def caught_up() -> bool:
                    # What beat does every 30 seconds, here every pass.
                    requeue_stale_inbound_events_task()
                    return processed() == total

                wait_until(caught_up, seconds=120, what="the second worker to take over")
            finally:
                stop(second, f"test-crash-b-{os.getpid()}", django_db_blocker)

            assert not InboundEvent.objects.filter(
                account_external_id=LIVE_PAGE, status__in=["failed", "pending"]
            ).exists()
            assert not InboundDelivery.objects.exists()
            with tenant_context(live_world.client):
                assert Interaction.objects.count() == total
                assert Interaction.objects.values("external_id").distinct().count() == total
                assert Conversation.objects.count() == total  # a thread per comment
                assert Conversation.objects.filter(needs_reply=True).count() == total
            assert WorkItem.objects.filter(client=live_world.client).count() == total
    finally:
        celery_app.conf.task_always_eager = True
        if first.poll() is None:
            first.kill()
        stop(first, f"test-crash-a-{os.getpid()}", django_db_blocker)
