"""Work on conversations: every change is an event, the WorkItem index follows in the same
transaction, and people are notified when mentioned or assigned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from accounts.models import Notification
from clients.models import WorkItem
from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, process_inbound_events, store_inbound_events
from clients.simulator.generator import feed_comment_delivery
from inbox import workflow
from inbox.models import Conversation, ConversationEvent, Interaction, Note, Tag
from tests.conftest import PAGE_A, Cast
from tests.factories import make_comment

pytestmark = pytest.mark.django_db


def conversation_of(interaction: Interaction) -> Conversation:
    return Conversation.objects.get(pk=interaction.conversation_id)


def work_item(conversation: Conversation) -> WorkItem | None:
    return WorkItem.objects.filter(conversation_id=conversation.pk).first()


def test_a_new_message_needing_a_reply_is_in_the_index_and_resolving_removes_it(
    cast: Cast, in_client_a: Any
) -> None:
    conversation = conversation_of(make_comment(cast.page_a, text="Do you ship to Ireland?"))

    item = work_item(conversation)
    assert item is not None
    assert (item.status, item.needs_reply, item.snippet, item.contact_name) == (
        "new",
        True,
        "Do you ship to Ireland?",
        "Jane Doe",
    )

    workflow.set_status(conversation=conversation, status="resolved", actor=cast.agent_a)

    assert work_item(conversation) is None
    event = ConversationEvent.objects.get()
    assert (event.verb, event.actor, event.detail) == (
        "status",
        cast.agent_a,
        {"from": "new", "to": "resolved"},
    )


def test_engagement_without_a_question_is_not_work(cast: Cast, in_client_a: Any) -> None:
    conversation = conversation_of(make_comment(cast.page_a, text="Thanks!", needs_reply=False))

    assert work_item(conversation) is None


def test_assigning_opens_notifies_and_indexes(cast: Cast, in_client_a: Any) -> None:
    conversation = conversation_of(make_comment(cast.page_a))

    workflow.assign(conversation=conversation, assignee=cast.agent_a, actor=cast.owner)

    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == ("open", cast.agent_a)
    assert work_item(conversation).assignee == cast.agent_a  # type: ignore[union-attr]
    notification = Notification.objects.get()
    assert notification.user == cast.agent_a
    assert notification.url.endswith(f"/clients/client-a/inbox/conversations/{conversation.pk}/")


def test_nobody_outside_the_client_can_be_assigned(cast: Cast, in_client_a: Any) -> None:
    conversation = conversation_of(make_comment(cast.page_a))

    for stranger in (cast.agent_b, cast.outsider):
        with pytest.raises(workflow.WorkflowError):
            workflow.assign(conversation=conversation, assignee=stranger, actor=cast.owner)

    conversation.refresh_from_db()
    assert conversation.assignee is None
    assert not ConversationEvent.objects.exists()
    assert not Notification.objects.exists()


def test_tags_are_reused_case_insensitively_and_every_change_is_recorded(
    cast: Cast, in_client_a: Any
) -> None:
    conversation = conversation_of(make_comment(cast.page_a))

    workflow.add_tag(conversation=conversation, name="Order  issue", actor=cast.agent_a)
    workflow.add_tag(conversation=conversation, name="order issue", actor=cast.agent_a)
    tag = Tag.objects.get()
    workflow.remove_tag(conversation=conversation, tag=tag, actor=cast.agent_a)

    assert tag.name == "Order issue"
    assert list(ConversationEvent.objects.values_list("verb", flat=True).order_by("id")) == [
        "tagged",
        "untagged",
    ]
    with pytest.raises(workflow.WorkflowError):
        workflow.add_tag(conversation=conversation, name="x" * 61, actor=cast.agent_a)


def deliver(
    message: str, comment_id: str, *, parent: str | None = None, batched: bool = False
) -> None:
    payload = feed_comment_delivery(
        page_id=PAGE_A,
        author_id="6000000000000001",
        author_name="Jane Doe",
        message=message,
        post_object_id="700000000000001",
        comment_object_id=comment_id,
        verb="add",
        created_time=1717000000 if parent is None else 1717000600,
        parent_comment_id=parent,
    )
    event_ids = store_inbound_events(split_delivery(payload))
    if batched:
        process_inbound_events(event_ids=event_ids)
    for event_id in event_ids:
        process_inbound_event(event_id=event_id)  # nothing left to do after a batch


@pytest.mark.parametrize("batched", [False, True], ids=["alone", "batched"])
def test_snoozing_hides_until_the_person_writes_again(
    cast: Cast, in_client_a: Any, batched: bool
) -> None:
    deliver("Where is my order?", "800000000000001", batched=batched)
    conversation = Conversation.objects.get()
    with pytest.raises(workflow.WorkflowError):
        workflow.snooze(
            conversation=conversation,
            until=timezone.now() - dt.timedelta(minutes=1),
            actor=cast.agent_a,
        )
    workflow.set_status(conversation=conversation, status="pending", actor=cast.agent_a)
    workflow.snooze(
        conversation=conversation,
        until=timezone.now() + dt.timedelta(days=1),
        actor=cast.agent_a,
    )
    assert work_item(conversation).snoozed_until is not None  # type: ignore[union-attr]

    deliver(
        "Hello? Still waiting for my order, why is nobody answering?",
        "800000000000002",
        parent="700000000000001_800000000000001",
        batched=batched,
    )

    conversation.refresh_from_db()
    assert (conversation.snoozed_until, conversation.status) == (None, "open")
    assert ConversationEvent.objects.filter(verb="reopened").exists()
    assert work_item(conversation).snoozed_until is None  # type: ignore[union-attr]


def test_no_reply_needed_clears_the_conversation_from_the_queue(
    cast: Cast, in_client_a: Any
) -> None:
    conversation = conversation_of(make_comment(cast.page_a))

    workflow.mark_no_reply_needed(conversation=conversation, actor=cast.agent_a)

    conversation.refresh_from_db()
    assert conversation.needs_reply is False
    assert work_item(conversation) is None


def test_a_note_notifies_the_members_it_mentions_and_no_one_else(
    cast: Cast, in_client_a: Any
) -> None:
    conversation = conversation_of(make_comment(cast.page_a))

    note = workflow.add_note(
        conversation=conversation,
        author=cast.agent_a,
        text="@Owner can you check? cc @agent-b @owner@agency-two.test @agent-a @nobody",
    )

    assert note.mentioned_user_ids == [cast.owner.pk]
    assert list(Notification.objects.values_list("user_id", flat=True)) == [cast.owner.pk]
    with pytest.raises(workflow.WorkflowError):
        workflow.add_note(conversation=conversation, author=cast.agent_a, text="   ")
    assert Note.objects.count() == 1


def test_bulk_resolve_can_be_undone_by_its_author_only(cast: Cast, in_client_a: Any) -> None:
    first = conversation_of(make_comment(cast.page_a))
    second = conversation_of(make_comment(cast.page_a))
    workflow.set_status(conversation=second, status="pending", actor=cast.agent_a)

    changed, token = workflow.bulk_change(
        conversation_ids=[first.pk, second.pk, 999999], action="resolve", actor=cast.agent_a
    )

    assert changed == 2
    assert set(Conversation.objects.values_list("status", flat=True)) == {"resolved"}
    with pytest.raises(workflow.WorkflowError):
        workflow.undo_bulk_resolve(token=token, actor=cast.owner)
    with pytest.raises(workflow.WorkflowError):
        workflow.undo_bulk_resolve(token=token[:-2] + "xx", actor=cast.agent_a)
    forged = signing.dumps(
        {"client": 0, "actor": cast.agent_a.pk, "previous": {str(first.pk): "open"}},
        salt="wrong-salt",
    )
    with pytest.raises(workflow.WorkflowError):
        workflow.undo_bulk_resolve(token=forged, actor=cast.agent_a)

    assert workflow.undo_bulk_resolve(token=token, actor=cast.agent_a) == 2
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("new", "pending")
    assert work_item(first) is not None
