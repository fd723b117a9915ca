"""Deliveries as the webhook receiver stores them (one InboundDelivery row per group commit)
and as a worker splits them into InboundEvents: in order, a retry adds nothing, a row
PostgreSQL refuses is parked without holding back the others, and the sweep picks up what a
lost task left behind."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import InboundDelivery, InboundEvent
from clients.platforms.meta import split_delivery
from clients.services import (
    STAGE_DELIVERIES_SQL,
    connect_account,
    inbound_rows,
    process_inbound_deliveries,
    split_inbound_deliveries,
)
from clients.simulator.generator import feed_comment_delivery
from clients.tasks import requeue_stale_inbound_events_task
from inbox.models import Interaction
from tests.clients.test_instagram import FLAT_SHAPE, IG_ACCOUNT
from tests.conftest import PAGE_A, Cast, SessionClients
from tests.factories import receive_deliveries

pytestmark = pytest.mark.django_db


def comments(*comment_ids: str, page_id: str = PAGE_A) -> str:
    """One delivery's events document, as the receiver builds it."""
    events = []
    for comment_id in comment_ids:
        delivery = feed_comment_delivery(
            page_id=page_id,
            author_id="6000000000000001",
            author_name="Jane Doe",
            message=f"Is {comment_id} available in blue?",
            post_object_id="700000000000001",
            comment_object_id=comment_id,
            created_time=1717000000,
        )
        events += split_delivery(delivery)
    return inbound_rows(events)


def receive_unparsable() -> int:
    """A received row whose document is not JSON, which the split cannot parse; its id."""
    with connection.cursor() as cursor:
        cursor.execute(STAGE_DELIVERIES_SQL, ['[{"platform": "facebook", ', 1])
        return int(cursor.fetchone()[0])


def comment_ids(event_ids: list[int]) -> list[str]:
    """The comments of these events, in the order of the ids."""
    by_id = dict(InboundEvent.objects.filter(pk__in=event_ids).values_list("id", "dedupe_key"))
    return [by_id[pk].split(":")[0].rsplit("_", 1)[-1] for pk in event_ids]


def test_deliveries_become_pending_events_in_the_order_received(cast: Cast) -> None:
    first = receive_deliveries(comments("c1", "c2"), comments("c3"))
    second = receive_deliveries(comments("c4"))
    received_at = InboundDelivery.objects.get(pk=first).received_at

    event_ids = split_inbound_deliveries([second, first])

    assert len(event_ids) == 4
    assert comment_ids(event_ids) == ["c1", "c2", "c3", "c4"]
    assert not InboundDelivery.objects.exists()  # split and gone, in the same commit
    assert set(InboundEvent.objects.values_list("status", flat=True)) == {"pending"}
    # An event keeps the time its delivery was acknowledged.
    assert InboundEvent.objects.filter(pk=event_ids[0], received_at=received_at).exists()


def test_a_retried_delivery_and_a_task_run_twice_create_nothing_twice(cast: Cast) -> None:
    original = receive_deliveries(comments("c1", "c2"))
    retry = receive_deliveries(comments("c1", "c2"), comments("c2", "c3"))

    assert len(split_inbound_deliveries([original])) == 2
    assert len(split_inbound_deliveries([retry])) == 1  # only c3 is new
    assert split_inbound_deliveries([original, retry]) == []
    assert InboundEvent.objects.count() == 3


def test_a_row_postgresql_refuses_is_parked_and_the_others_go_on(cast: Cast, caplog: Any) -> None:
    good = receive_deliveries(comments("c1"))
    refused = receive_unparsable()
    later = receive_deliveries(comments("c2"))

    event_ids = split_inbound_deliveries([good, refused, later])

    assert len(event_ids) == 2
    parked = InboundDelivery.objects.get()
    assert parked.pk == refused
    assert "json" in parked.last_error.lower()
    assert "cannot be split; parked" in caplog.text
    # Parked rows are left to an operator: neither a task nor the sweep takes them.
    assert split_inbound_deliveries([refused]) == []
    InboundDelivery.objects.update(received_at=timezone.now() - dt.timedelta(minutes=5))
    assert requeue_stale_inbound_events_task.apply().get() == 0
    assert InboundDelivery.objects.get().last_error


def event_rows_written() -> tuple[int, int]:
    """InboundEvent rows inserted and updated so far by this test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relid = %s::regclass",
            [f"public.{InboundEvent._meta.db_table}"],
        )
        inserted, updated = cursor.fetchone()
        return inserted, updated


def test_processing_deliveries_ingests_their_events(
    cast: Cast, in_client_a: Any, session_clients: SessionClients
) -> None:
    delivery_id = receive_deliveries(comments("c1", "c2"))
    received_at = InboundDelivery.objects.get().received_at
    inserted, updated = event_rows_written()

    process_inbound_deliveries(delivery_ids=[delivery_id])

    assert not InboundDelivery.objects.exists()
    # Stored as they ended, in the transaction that ingested them: each written once.
    assert event_rows_written() == (inserted + 2, updated)
    assert (
        list(
            InboundEvent.objects.order_by("id").values_list(
                "status", "client_id", "attempts", "received_at"
            )
        )
        == [("processed", session_clients.client_a.pk, 1, received_at)] * 2
    )
    assert InboundEvent.objects.filter(processed_at__isnull=False).count() == 2
    assert sorted(Interaction.objects.values_list("external_id", flat=True)) == [
        "700000000000001_c1",
        "700000000000001_c2",
    ]


def test_processing_takes_the_same_queries_for_one_event_or_many(
    cast: Cast, in_client_a: Any
) -> None:
    def queries_to_process(*documents: str) -> int:
        delivery_id = receive_deliveries(*documents)
        with CaptureQueriesContext(connection) as captured:
            process_inbound_deliveries(delivery_ids=[delivery_id])
        return len(captured)

    queries_to_process(comments("c0"))  # the post's conversation exists from here on
    one = queries_to_process(comments("c1"))
    many = queries_to_process(*(comments(f"c{n}0", f"c{n}1") for n in range(2, 20)))

    assert one == many
    assert Interaction.objects.count() == 38


def test_a_delivery_and_its_retries_are_stored_and_ingested_once(
    cast: Cast, in_client_a: Any
) -> None:
    # A retry in the same task as the original, and one after it was processed.
    together = receive_deliveries(comments("c1", "c2"), comments("c2", "c3"))
    process_inbound_deliveries(delivery_ids=[together])
    later = receive_deliveries(comments("c1"))
    process_inbound_deliveries(delivery_ids=[later])
    process_inbound_deliveries(delivery_ids=[together, later])  # a task run twice

    assert InboundEvent.objects.count() == 3
    assert Interaction.objects.count() == 3
    assert not InboundDelivery.objects.exists()


def test_events_no_client_connected_are_stored_unroutable(cast: Cast, in_client_a: Any) -> None:
    nobodys = receive_deliveries(comments("c1", page_id="105999999999999"), comments("c2"))

    process_inbound_deliveries(delivery_ids=[nobodys])

    assert dict(InboundEvent.objects.values_list("status", "client_id")) == {
        "unroutable": None,
        "processed": in_client_a.pk,
    }
    assert Interaction.objects.count() == 1


def test_events_that_may_need_a_fetch_are_processed_after_the_commit(
    cast: Cast, in_client_a: Any, session_clients: SessionClients
) -> None:
    connect_account(
        client=session_clients.client_a,
        platform="instagram",
        external_account_id=IG_ACCOUNT,
        name="Client A Instagram",
        access_token="ig-token",
    )
    instagram_comment = inbound_rows(split_delivery(FLAT_SHAPE))
    delivery_id = receive_deliveries(instagram_comment, comments("c1"))

    process_inbound_deliveries(delivery_ids=[delivery_id])

    assert set(InboundEvent.objects.values_list("platform", "status")) == {
        ("instagram", "processed"),
        ("facebook", "processed"),
    }
    assert Interaction.objects.count() == 2


def test_when_processing_deliveries_fails_they_are_split_and_the_rest_goes_on(
    cast: Cast, in_client_a: Any, caplog: Any
) -> None:
    good = receive_deliveries(comments("c1"))
    refused = receive_unparsable()  # a bug the operators must see

    process_inbound_deliveries(delivery_ids=[good, refused])

    assert "splitting them into events" in caplog.text
    assert InboundDelivery.objects.get().pk == refused
    assert InboundDelivery.objects.get().last_error
    assert list(InboundEvent.objects.values_list("status", "attempts")) == [("processed", 1)]
    assert Interaction.objects.count() == 1


def test_deliveries_a_lost_task_left_behind_are_requeued_and_processed(
    cast: Cast, in_client_a: Any
) -> None:
    # Stored, but the broker never got the task.
    old = receive_deliveries(comments("c1"))
    InboundDelivery.objects.filter(pk=old).update(
        received_at=timezone.now() - dt.timedelta(minutes=5)
    )
    receive_deliveries(comments("c2"))  # just received: its own task is on its way

    assert requeue_stale_inbound_events_task.apply().get() == 1

    assert list(InboundDelivery.objects.values_list("event_count", flat=True)) == [1]
    assert Interaction.objects.count() == 1
