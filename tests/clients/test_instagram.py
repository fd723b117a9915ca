"""Instagram comments and direct messages, through the same Meta webhook."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from clients.models import InboundEvent
from clients.platforms.meta import split_delivery
from clients.services import connect_account, process_inbound_event, store_inbound_events
from inbox.models import Interaction
from inbox.services import create_reply
from tests.conftest import Cast, SessionClients, Simulator

pytestmark = pytest.mark.django_db

IG_ACCOUNT = "17841400000000001"
COMMENT_VALUE = {
    "id": "17890000000000001",
    "from": {"id": "2380000000000001", "username": "jane.doe"},
    "text": "@acmestore do you ship to Canada?",
    "media": {"id": "17910000000000001", "media_product_type": "FEED"},
}
CHANGES_SHAPE = {
    "object": "instagram",
    "entry": [
        {
            "id": IG_ACCOUNT,
            "time": 1717003000,
            "changes": [{"field": "comments", "value": COMMENT_VALUE}],
        }
    ],
}
FLAT_SHAPE = {
    "object": "instagram",
    "entry": [{"id": IG_ACCOUNT, "time": 1717003000, "field": "comments", "value": COMMENT_VALUE}],
}


@pytest.fixture
def instagram(cast: Cast, session_clients: SessionClients) -> Any:
    return connect_account(
        client=session_clients.client_a,
        platform="instagram",
        external_account_id=IG_ACCOUNT,
        name="Client A Instagram",
        access_token="ig-token",
    )


def deliver(payload: dict[str, Any], captured: Any) -> list[Any]:
    with captured(execute=True):
        return [
            process_inbound_event(event_id=event_id)
            for event_id in store_inbound_events(split_delivery(payload))
        ]


def test_comment_in_either_envelope_shape_is_one_interaction(
    instagram: Any, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    assert deliver(CHANGES_SHAPE, django_capture_on_commit_callbacks) == ["processed"]
    assert deliver(FLAT_SHAPE, django_capture_on_commit_callbacks) == []  # same comment id

    with tenant_context(session_clients.client_a):
        comment = Interaction.objects.select_related("contact", "conversation").get()
    assert (comment.platform, comment.kind, comment.external_id) == (
        "instagram",
        "comment",
        "17890000000000001",
    )
    assert comment.contact.handle == "jane.doe"
    # One thread per top-level comment; the media it is under is kept beside it.
    assert comment.conversation.thread_key == "17890000000000001"
    assert comment.conversation.post_external_id == "17910000000000001"
    assert comment.needs_reply


def test_the_accounts_own_comment_is_an_echo(
    instagram: Any, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    own = json.loads(json.dumps(CHANGES_SHAPE))
    own["entry"][0]["changes"][0]["value"]["from"] = {
        "id": IG_ACCOUNT,
        "username": "acmestore",
        "self_ig_scoped_id": "1",
    }
    deliver(own, django_capture_on_commit_callbacks)

    with tenant_context(session_clients.client_a):
        assert Interaction.objects.get().direction == "outbound"


def test_reply_to_an_instagram_comment_goes_to_its_replies(
    instagram: Any,
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    deliver(CHANGES_SHAPE, django_capture_on_commit_callbacks)
    with tenant_context(session_clients.client_a), django_capture_on_commit_callbacks(execute=True):
        reply = create_reply(
            interaction=Interaction.objects.get(), author=cast.agent_a, text="Yes, in 5 to 7 days!"
        )

    [call] = simulator.requests
    assert call["path"] == "/v21.0/17890000000000001/replies"
    assert call["body"] == {"message": "Yes, in 5 to 7 days!"}
    with tenant_context(session_clients.client_a):
        reply.refresh_from_db()
    assert reply.status == "sent"


def test_instagram_direct_message_is_answered_in_direct(
    instagram: Any,
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.utils import timezone

    now_ms = int(timezone.now().timestamp() * 1000)
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": IG_ACCOUNT,
                "time": now_ms,
                "messaging": [
                    {
                        "sender": {"id": "2380000000000001"},
                        "recipient": {"id": IG_ACCOUNT},
                        "timestamp": now_ms,
                        "message": {"mid": "aWdfZAG1fa", "text": "Is the sale still on?"},
                    }
                ],
            }
        ],
    }

    deliver(payload, django_capture_on_commit_callbacks)
    with tenant_context(session_clients.client_a), django_capture_on_commit_callbacks(execute=True):
        message = Interaction.objects.get()
        create_reply(interaction=message, author=cast.agent_a, text="Until Sunday!")

    assert (message.platform, message.kind) == ("instagram", "dm")
    [call] = simulator.requests
    # Through the linked Page: with its token, `me` is the Page (Facebook Login).
    assert call["path"] == "/v21.0/me/messages"
    assert call["authorization"] == "Bearer ig-token"
    assert call["body"] == {
        "recipient": {"id": "2380000000000001"},
        "message": {"text": "Until Sunday!"},
    }


def test_mentions_are_stored_and_skipped_until_they_can_be_fetched(
    instagram: Any, django_capture_on_commit_callbacks: Any
) -> None:
    payload = {
        "object": "instagram",
        "entry": [
            {
                "id": IG_ACCOUNT,
                "time": 1520622968,
                "changes": [
                    {
                        "field": "mentions",
                        "value": {
                            "comment_id": "17894227972186120",
                            "media_id": "17918195224117851",
                        },
                    }
                ],
            }
        ],
    }

    assert deliver(payload, django_capture_on_commit_callbacks) == ["skipped"]
    assert InboundEvent.objects.get().dedupe_key == "mention:17894227972186120"
