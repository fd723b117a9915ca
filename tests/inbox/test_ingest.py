"""The pipeline from a stored event to an interaction: idempotent, lifecycle-aware."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from clients.models import InboundEvent
from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, record_processing_failure, store_inbound_events
from clients.simulator.generator import feed_comment_delivery
from clients.tasks import requeue_stale_inbound_events_task
from inbox.models import Contact, Conversation, Interaction, InteractionRevision
from tests.conftest import PAGE_A, Cast

pytestmark = pytest.mark.django_db

POST = "700000000000001"
COMMENT = "800000000000001"


def deliver(payload: dict[str, Any]) -> list[InboundEvent.Status | None]:
    """Store and process a delivery, as the webhook and the worker would."""
    ids = store_inbound_events(split_delivery(payload))
    return [process_inbound_event(event_id=event_id) for event_id in ids]


def comment(
    verb: str = "add",
    *,
    message: str = "Is this available in blue?",
    at: int = 1717000000,
    author_id: str = "6000000000000001",
    comment_id: str = COMMENT,
    parent: str | None = None,
) -> dict[str, Any]:
    return feed_comment_delivery(
        page_id=PAGE_A,
        author_id=author_id,
        author_name="Jane Doe",
        message=message,
        post_object_id=POST,
        comment_object_id=comment_id,
        verb=verb,
        created_time=at,
        parent_comment_id=parent,
    )


def test_comment_creates_contact_conversation_and_interaction(cast: Cast, in_client_a: Any) -> None:
    assert deliver(comment()) == [InboundEvent.Status.PROCESSED]

    interaction = Interaction.objects.get()
    assert interaction.conversation.thread_key == f"{POST}_{COMMENT}"
    assert interaction.conversation.post_external_id == f"{PAGE_A}_{POST}"
    assert interaction.conversation.status == Conversation.Status.NEW
    assert interaction.contact == Contact.objects.get(external_id="6000000000000001")
    assert interaction.parent_external_id == f"{PAGE_A}_{POST}"


def test_processing_an_event_twice_changes_nothing(cast: Cast, in_client_a: Any) -> None:
    [event_id] = store_inbound_events(split_delivery(comment()))

    assert process_inbound_event(event_id=event_id) == InboundEvent.Status.PROCESSED
    assert process_inbound_event(event_id=event_id) is None
    assert Interaction.objects.count() == 1
    assert InboundEvent.objects.get().attempts == 1


def test_replies_join_the_thread_of_the_comment_they_answer(cast: Cast, in_client_a: Any) -> None:
    deliver(comment())
    deliver(
        comment(
            comment_id="800000000000002",
            author_id="6000000000000002",
            message="Same question here",
            parent=f"{POST}_{COMMENT}",
        )
    )

    first, second = Interaction.objects.order_by("id")
    assert first.conversation_id == second.conversation_id
    assert second.parent_external_id == f"{POST}_{COMMENT}"
    assert Contact.objects.count() == 2


def test_each_top_level_comment_is_its_own_thread_under_the_same_post(
    cast: Cast, in_client_a: Any
) -> None:
    deliver(comment())
    deliver(comment(comment_id="800000000000002", author_id="6000000000000002"))

    first, second = Conversation.objects.order_by("id")
    assert first.pk != second.pk
    assert first.post_external_id == second.post_external_id == f"{PAGE_A}_{POST}"


def test_a_reply_to_a_reply_and_a_reply_before_its_comment_find_the_root_thread(
    cast: Cast, in_client_a: Any
) -> None:
    root = f"{POST}_{COMMENT}"
    # The reply arrives before the comment it answers.
    deliver(comment(comment_id="800000000000002", author_id="6000000000000002", parent=root))
    deliver(comment())
    deliver(
        comment(
            comment_id="800000000000003",
            author_id="6000000000000003",
            parent=f"{POST}_800000000000002",
        )
    )

    assert Conversation.objects.count() == 1
    conversation = Conversation.objects.get()
    assert conversation.thread_key == root
    assert conversation.interactions.count() == 3


def test_edit_updates_the_text_and_keeps_the_old_one(cast: Cast, in_client_a: Any) -> None:
    deliver(comment())
    deliver(comment("edited", message="Is this available in navy blue?", at=1717000600))

    interaction = Interaction.objects.get()
    assert interaction.text == "Is this available in navy blue?"
    assert interaction.edited_at is not None
    revision = InteractionRevision.objects.get()
    assert (revision.action, revision.previous_text) == ("edited", "Is this available in blue?")


def test_edit_arriving_before_its_creation_wins(cast: Cast, in_client_a: Any) -> None:
    deliver(comment("edited", message="navy blue?", at=1717000600))
    deliver(comment("add", message="blue?", at=1717000000))

    assert Interaction.objects.get().text == "navy blue?"


def test_removal_marks_deleted_and_no_longer_needs_reply(cast: Cast, in_client_a: Any) -> None:
    deliver(comment())
    deliver(comment("remove", at=1717000900))

    interaction = Interaction.objects.get()
    assert interaction.is_deleted
    assert not interaction.needs_reply
    assert interaction.text == "Is this available in blue?"


def test_pages_own_comment_is_an_outbound_echo_and_answers_its_parent(
    cast: Cast, in_client_a: Any
) -> None:
    deliver(comment())
    deliver(
        comment(
            comment_id="800000000000003",
            author_id=PAGE_A,
            message="Yes, in navy.",
            parent=f"{POST}_{COMMENT}",
        )
    )

    customer, echo = Interaction.objects.order_by("id")
    assert echo.direction == "outbound"
    assert not echo.needs_reply
    assert not customer.needs_reply


def test_unknown_event_type_is_skipped_not_failed(cast: Cast, in_client_a: Any) -> None:
    payload = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_A,
                "time": 1,
                "changes": [{"field": "feed", "value": {"item": "milestone", "verb": "add"}}],
            }
        ],
    }

    assert deliver(payload) == [InboundEvent.Status.SKIPPED]
    assert Interaction.objects.count() == 0


def test_closed_account_stops_ingesting(cast: Cast, in_client_a: Any) -> None:
    cast.page_a.status = "closed"
    cast.page_a.save()

    assert deliver(comment()) == [InboundEvent.Status.SKIPPED]
    assert Interaction.objects.count() == 0


def test_failures_are_counted_then_parked_as_failed(cast: Cast) -> None:
    [event_id] = store_inbound_events(split_delivery(comment()))

    for _ in range(5):
        record_processing_failure(event_id=event_id, error=RuntimeError("database hiccup"))

    event = InboundEvent.objects.get()
    assert (event.status, event.attempts) == (InboundEvent.Status.FAILED, 5)
    assert event.last_error == "RuntimeError: database hiccup"


def test_events_left_pending_are_requeued_and_processed(cast: Cast, in_client_a: Any) -> None:
    # Stored, but the broker never got the task (no commit callbacks ran here).
    [event_id] = store_inbound_events(split_delivery(comment()))
    InboundEvent.objects.filter(pk=event_id).update(
        received_at=timezone.now() - dt.timedelta(minutes=5)
    )

    assert requeue_stale_inbound_events_task.apply().get() == 1

    assert InboundEvent.objects.get().status == InboundEvent.Status.PROCESSED
    assert Interaction.objects.count() == 1


def test_fresh_pending_events_are_left_to_their_own_task(cast: Cast, in_client_a: Any) -> None:
    store_inbound_events(split_delivery(comment()))

    assert requeue_stale_inbound_events_task.apply().get() == 0
