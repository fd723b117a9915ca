"""Messenger direct messages: ingested per person, echoes settle them, answers go to Messenger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from clients.models import InboundEvent
from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, store_inbound_events
from clients.simulator.generator import messenger_delivery
from inbox.models import Interaction
from inbox.services import ReplyBlockedByGuideline, create_reply
from tests.clients.test_meta_webhook import UNICODE_BODY, UNICODE_SIGNATURE
from tests.conftest import PAGE_A, Cast, SessionClients, Simulator

pytestmark = pytest.mark.django_db

PERSON = "7000000000000001"


def deliver(payload: dict[str, Any], captured: Any) -> list[Any]:
    with captured(execute=True):
        return [
            process_inbound_event(event_id=event_id)
            for event_id in store_inbound_events(split_delivery(payload))
        ]


def now_ms(minutes_ago: float = 0) -> int:
    return int((timezone.now() - dt.timedelta(minutes=minutes_ago)).timestamp() * 1000)


def test_escaped_unicode_delivery_becomes_a_direct_message(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/webhooks/meta/",
            data=UNICODE_BODY,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=UNICODE_SIGNATURE,
        )

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.platform, event.dedupe_key, event.status) == ("messenger", "m_AAAA", "processed")
    with tenant_context(session_clients.client_a):
        message = Interaction.objects.select_related("contact", "conversation").get()
    assert (message.platform, message.kind, message.direction) == ("messenger", "dm", "inbound")
    assert message.text == "café äöå"
    assert message.contact.external_id == PERSON
    assert message.conversation.thread_key == f"dm:{PERSON}"
    assert message.occurred_at == dt.datetime(2024, 5, 29, 16, 26, 40, 123000, tzinfo=dt.UTC)


def test_messages_of_one_person_share_a_conversation_and_the_echo_answers_them(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(
        messenger_delivery(page_id=PAGE_A, person_id=PERSON, text="Hi", timestamp_ms=now_ms(5)),
        django_capture_on_commit_callbacks,
    )
    deliver(
        messenger_delivery(
            page_id=PAGE_A, person_id=PERSON, text="Anyone?", timestamp_ms=now_ms(4)
        ),
        django_capture_on_commit_callbacks,
    )
    deliver(
        messenger_delivery(
            page_id=PAGE_A,
            person_id=PERSON,
            text="Yes, how can we help?",
            timestamp_ms=now_ms(3),
            is_echo=True,
        ),
        django_capture_on_commit_callbacks,
    )

    first, second, echo = Interaction.objects.order_by("occurred_at")
    assert first.conversation_id == second.conversation_id == echo.conversation_id
    assert echo.direction == "outbound"
    assert echo.contact.external_id == PERSON  # the person, not the Page
    assert not first.needs_reply
    assert not second.needs_reply


def test_attachments_are_kept_and_shown_as_safe_links(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        deliver(
            messenger_delivery(
                page_id=PAGE_A,
                person_id=PERSON,
                text="See photo",
                attachments=[
                    {"type": "image", "payload": {"url": "https://scontent.example/abc.jpg"}},
                    {"type": "file", "payload": {"url": "javascript:alert(1)"}},
                    {"type": "fallback"},
                ],
            ),
            django_capture_on_commit_callbacks,
        )
        message = Interaction.objects.get()
    client.force_login(cast.agent_a)

    html = client.get(f"/clients/client-a/inbox/interactions/{message.pk}/").content.decode()

    assert [a["type"] for a in message.attachments] == ["image", "file", "fallback"]
    assert '<a href="https://scontent.example/abc.jpg" rel="noopener noreferrer nofollow"' in html
    assert "javascript:alert" not in html


def test_unsend_marks_the_message_deleted_and_reads_are_skipped(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(
        messenger_delivery(page_id=PAGE_A, person_id=PERSON, text="oops", mid="m_1"),
        django_capture_on_commit_callbacks,
    )
    unsend = messenger_delivery(page_id=PAGE_A, person_id=PERSON, text="", mid="m_1")
    unsend["entry"][0]["messaging"][0]["message"]["is_deleted"] = True
    read = {
        "object": "page",
        "entry": [
            {
                "id": PAGE_A,
                "time": 1,
                "messaging": [
                    {
                        "sender": {"id": PERSON},
                        "recipient": {"id": PAGE_A},
                        "timestamp": 1,
                        "read": {"watermark": 1},
                    }
                ],
            }
        ],
    }

    assert deliver(unsend, django_capture_on_commit_callbacks) == ["processed"]
    assert deliver(read, django_capture_on_commit_callbacks) == ["skipped"]
    assert Interaction.objects.get().is_deleted


def test_reply_to_a_direct_message_goes_to_messenger(
    cast: Cast, in_client_a: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(
        messenger_delivery(
            page_id=PAGE_A, person_id=PERSON, text="Where is my order?", timestamp_ms=now_ms(10)
        ),
        django_capture_on_commit_callbacks,
    )
    message = Interaction.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        reply = create_reply(interaction=message, author=cast.agent_a, text="On its way!")

    [call] = [r for r in simulator.requests if r["path"].endswith("/messages")]
    assert call["body"] == {
        "recipient": {"id": PERSON},
        "messaging_type": "RESPONSE",
        "message": {"text": "On its way!"},
    }
    reply.refresh_from_db()
    assert reply.status == "sent"
    message.refresh_from_db()
    assert not message.needs_reply


def test_reply_after_metas_24_hours_is_blocked(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    deliver(
        messenger_delivery(
            page_id=PAGE_A, person_id=PERSON, text="Hello?", timestamp_ms=now_ms(25 * 60)
        ),
        django_capture_on_commit_callbacks,
    )

    with pytest.raises(ReplyBlockedByGuideline) as raised:
        create_reply(interaction=Interaction.objects.get(), author=cast.agent_a, text="Hi!")

    assert raised.value.result.violations[0].rule == "messaging_window"
