"""Two workers open the same new thread at once: one creates it, the other finds it.

Batch ingestion writes a thread it opens complete and only updates one it finds
(inbox/ingest.py). Two batches run in two threads, each with its own connection and
transaction, on committed data (tests/live.py): the second waits on the first's uncommitted
rows, then finds the thread the first created."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django_tenants.utils import tenant_context

from clients.models import InboundEvent, WorkItem
from clients.platforms.meta import split_delivery
from clients.services import STORE_INBOUND_SQL, inbound_rows, process_inbound_events
from clients.simulator.generator import messenger_delivery
from inbox.models import Conversation, Interaction
from tests.live import LIVE_PAGE, LiveWorld, wait_until

PERSON = "7000000000000777"


def message(mid: str, text: str, at_ms: int) -> list[int]:
    """Stored as the webhook receiver stores it, with no processing queued (tests run
    tasks eagerly: `store_inbound_events` would process it at once)."""
    delivery = messenger_delivery(
        page_id=LIVE_PAGE, person_id=PERSON, text=text, mid=mid, timestamp_ms=at_ms
    )
    with connection.cursor() as cursor:
        cursor.execute(STORE_INBOUND_SQL, [inbound_rows(split_delivery(delivery))])
        return [row[0] for row in cursor.fetchall()]


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.parametrize("second_is_later", [True, False])
def test_the_same_new_thread_from_two_batches_at_once(
    live_world: LiveWorld, django_db_blocker: Any, second_is_later: bool
) -> None:
    with django_db_blocker.unblock():
        first = message("m_race_1", "Where is my parcel?", 1717000000000)
        second: list[int] = []
        first_in = threading.Event()
        release_first = threading.Event()
        failures: list[BaseException] = []

        def run(ingest: Any) -> None:
            try:
                ingest()
            except BaseException as error:  # reported by the main thread
                failures.append(error)
            finally:
                connections.close_all()

        def first_batch() -> None:
            # Its conversation is inserted and stays uncommitted until the second batch waits.
            with transaction.atomic():
                process_inbound_events(event_ids=first)
                first_in.set()
                release_first.wait(30)

        def second_batch() -> None:
            process_inbound_events(event_ids=second)

        threads = [threading.Thread(target=run, args=(first_batch,))]
        threads[0].start()
        try:
            assert first_in.wait(30)
            # Stored only now, or the first batch (a small task) would take it along.
            second += message(
                "m_race_2",
                "Hello? Anyone there?",
                1717000600000 if second_is_later else 1716999400000,
            )
            threads.append(threading.Thread(target=run, args=(second_batch,)))
            threads[1].start()
            wait_until(waiting_for_a_lock, what="the second batch to wait for the first's thread")
            time.sleep(0.1)
        finally:
            release_first.set()
            for thread in threads:
                thread.join(30)
        assert not failures, failures

        assert set(
            InboundEvent.objects.filter(pk__in=first + second).values_list("status", flat=True)
        ) == {"processed"}
        with tenant_context(live_world.client):
            conversation = Conversation.objects.get()
            messages = Interaction.objects.filter(conversation=conversation)
            assert sorted(messages.values_list("external_id", flat=True)) == [
                "m_race_1",
                "m_race_2",
            ]
            latest = messages.latest("occurred_at")
            assert conversation.latest_inbound_id == latest.pk
            assert conversation.last_inbound_at == latest.occurred_at
            assert conversation.last_activity_at == latest.occurred_at
            assert conversation.needs_reply is True
            assert conversation.contact_id is not None
            assert conversation.contact.external_id == PERSON
            # Both messages are in its search document, whichever batch wrote which.
            assert Conversation.objects.filter(search_document="parcel").exists()
            assert Conversation.objects.filter(search_document="anyone").exists()
        work = WorkItem.objects.get(client=live_world.client)
        assert work.interaction_id == latest.pk
