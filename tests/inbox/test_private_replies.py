"""Answering a commenter privately in Messenger: once per comment, within 7 days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from inbox.automation import run_automation
from inbox.models import AutoReplyRule, Reply
from inbox.services import ReplyBlockedByGuideline, create_reply
from tests.conftest import PAGE_A, Cast, SessionClients, Simulator
from tests.factories import make_comment

pytestmark = pytest.mark.django_db


def message_calls(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests if r["path"].endswith("/messages")]


def test_private_reply_goes_to_the_pages_messages_with_the_comment_id(
    cast: Cast, in_client_a: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    comment = make_comment(cast.page_a)

    with django_capture_on_commit_callbacks(execute=True):
        reply = create_reply(
            interaction=comment, author=cast.agent_a, text="We sent you the details.", private=True
        )

    [call] = message_calls(simulator)
    assert call["path"] == f"/v21.0/{PAGE_A}/messages"
    assert call["body"] == {
        "recipient": {"comment_id": comment.external_id},
        "message": {"text": "We sent you the details."},
    }
    reply.refresh_from_db()
    assert (reply.status, reply.is_private) == ("sent", True)
    assert reply.external_id.startswith("m_")


def test_second_private_reply_to_a_comment_fails_with_metas_message(
    cast: Cast, in_client_a: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    comment = make_comment(cast.page_a)
    with django_capture_on_commit_callbacks(execute=True):
        create_reply(interaction=comment, author=cast.agent_a, text="One", private=True)
        second = create_reply(interaction=comment, author=cast.agent_a, text="Two", private=True)

    second.refresh_from_db()
    assert (second.status, second.error_message) == ("failed", "Activity already replied to")


def test_private_replies_close_after_seven_days(cast: Cast, in_client_a: Any) -> None:
    old = make_comment(cast.page_a, occurred_at=timezone.now() - dt.timedelta(days=8))

    with pytest.raises(ReplyBlockedByGuideline) as raised:
        create_reply(interaction=old, author=cast.agent_a, text="Hello", private=True)

    assert raised.value.result.violations[0].rule == "private_reply_window"
    assert create_reply(interaction=old, author=cast.agent_a, text="Hello").is_private is False


def test_private_replies_follow_messengers_length(cast: Cast, in_client_a: Any) -> None:
    comment = make_comment(cast.page_a)

    with pytest.raises(ReplyBlockedByGuideline):
        create_reply(interaction=comment, author=cast.agent_a, text="a" * 2001, private=True)
    assert create_reply(interaction=comment, author=cast.agent_a, text="a" * 2001).pk


def test_composer_sends_privately_when_asked(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    client.force_login(cast.agent_a)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/clients/client-a/inbox/interactions/{comment.pk}/replies/",
            {"text": "Check your inbox!", "private": "on"},
        )

    assert len(message_calls(simulator)) == 1
    with tenant_context(session_clients.client_a):
        assert Reply.objects.get().is_private


def test_automation_rule_can_answer_privately(
    cast: Cast, in_client_a: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    AutoReplyRule.objects.create(
        name="Price list",
        keywords=["price"],
        kinds=["comment"],
        reply_privately=True,
        response="Hi {contact.first_name}, here is our price list.",
    )
    comment = make_comment(cast.page_a, text="What's the price?", author_name="Jane Doe")

    with django_capture_on_commit_callbacks(execute=True):
        run_automation(interaction_id=comment.pk)

    [call] = message_calls(simulator)
    assert call["body"]["message"] == {"text": "Hi Jane, here is our price list."}
