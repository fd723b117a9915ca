"""POST/GET /webhooks/meta/: verify the raw bytes, store once, acknowledge; refuse the rest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.models import InboundEvent
from clients.platforms.meta import verify_signature
from clients.simulator.generator import encode_like_meta, feed_comment_delivery, sign_meta
from inbox.models import Contact, Interaction
from tests.conftest import PAGE_A, Cast, SessionClients

pytestmark = pytest.mark.django_db

URL = "/webhooks/meta/"
SECRET = "test_app_secret"

# platforms.md §1.3, byte for byte.
WORKED_EXAMPLE_BODY = (
    b'{"object":"page","entry":[{"id":"105000000000001","time":1717000000,"changes":[{"field":'
    b'"feed","value":{"from":{"id":"6000000000000001","name":"Jane Doe"},"post":{"status_type":'
    b'"added_photos","is_published":true,"updated_time":"2024-05-29T16:26:40+0000",'
    b'"permalink_url":"https://www.facebook.com/105000000000001/posts/pfbid0abc",'
    b'"promotion_status":"inactive","id":"105000000000001_700000000000001"},"message":'
    b'"Is this available in blue?","post_id":"105000000000001_700000000000001","comment_id":'
    b'"700000000000001_800000000000001","created_time":1717000000,"item":"comment","parent_id":'
    b'"105000000000001_700000000000001","verb":"add"}}]}]}'
)
WORKED_EXAMPLE_SIGNATURE = "sha256=7939a1c53544fb8bdebd736e9f0c2030945108b9ff4b1cb5981afe4a3e6d3a9c"
UNICODE_BODY = (
    b'{"object":"page","entry":[{"id":"105000000000001","time":1717000000,"messaging":[{"sender":'
    b'{"id":"7000000000000001"},"recipient":{"id":"105000000000001"},"timestamp":1717000000123,'
    b'"message":{"mid":"m_AAAA","text":"caf\\u00e9 \\u00e4\\u00f6\\u00e5"}}]}]}'
)
UNICODE_SIGNATURE = "sha256=f9718990fca805c621dca7ce12a3e9e718babb138ad12e1431b3d8f8becea04d"
REENCODED_SIGNATURE = "sha256=c6020da48d62428fb74f73fe832b7e5d948166c84e8da161a203d92449fd63eb"


def post(http: HttpClient, body: bytes, signature: str | None, **headers: Any) -> Any:
    if signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return http.post(URL, data=body, content_type="application/json", **headers)


def interactions_in(client: Any) -> list[Interaction]:
    with tenant_context(client):
        return list(Interaction.objects.select_related("contact").order_by("id"))


# --- signature vectors -------------------------------------------------------------------


def test_worked_example_is_636_bytes_and_verifies() -> None:
    assert len(WORKED_EXAMPLE_BODY) == 636
    assert verify_signature(WORKED_EXAMPLE_BODY, WORKED_EXAMPLE_SIGNATURE, SECRET)


def test_published_hmac_check_vector() -> None:
    expected = "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
    assert verify_signature(b"test", expected, "secret")


def test_escaped_unicode_body_verifies_on_the_bytes_received() -> None:
    assert verify_signature(UNICODE_BODY, UNICODE_SIGNATURE, SECRET)
    reencoded = json.dumps(json.loads(UNICODE_BODY), ensure_ascii=False, separators=(",", ":"))
    assert not verify_signature(reencoded.encode(), UNICODE_SIGNATURE, SECRET)
    assert verify_signature(reencoded.encode(), REENCODED_SIGNATURE, SECRET)


@pytest.mark.parametrize(
    ("header", "secret"),
    [
        (None, SECRET),
        ("", SECRET),
        ("sha1=7939a1c53544fb8bdebd736e9f0c2030945108b9ff4b1cb5981afe4a3e6d3a9c", SECRET),
        (WORKED_EXAMPLE_SIGNATURE, ""),  # no secret configured: never valid
        (WORKED_EXAMPLE_SIGNATURE, "another_secret"),
    ],
)
def test_signature_refused(header: str | None, secret: str) -> None:
    assert not verify_signature(WORKED_EXAMPLE_BODY, header, secret)


# --- POST --------------------------------------------------------------------------------


def test_worked_example_delivery_becomes_one_interaction_in_its_client(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, WORKED_EXAMPLE_BODY, WORKED_EXAMPLE_SIGNATURE)

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert event.status == InboundEvent.Status.PROCESSED
    assert event.client == session_clients.client_a
    assert event.dedupe_key == "700000000000001_800000000000001:add:1717000000"
    [interaction] = interactions_in(session_clients.client_a)
    assert interaction.external_id == "700000000000001_800000000000001"
    assert interaction.text == "Is this available in blue?"
    assert interaction.kind == "comment"
    assert interaction.direction == "inbound"
    assert interaction.needs_reply is True
    assert interaction.contact is not None
    assert (interaction.contact.external_id, interaction.contact.name) == (
        "6000000000000001",
        "Jane Doe",
    )
    assert interaction.permalink == (
        "https://www.facebook.com/105000000000001/posts/pfbid0abc?comment_id=800000000000001"
    )
    assert interactions_in(session_clients.client_b) == []


def test_duplicate_delivery_creates_one_interaction(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            assert post(client, WORKED_EXAMPLE_BODY, WORKED_EXAMPLE_SIGNATURE).status_code == 200

    assert InboundEvent.objects.count() == 1
    assert len(interactions_in(session_clients.client_a)) == 1


def test_events_repeated_inside_one_delivery_are_stored_once(
    client: HttpClient, cast: Cast
) -> None:
    payload = json.loads(WORKED_EXAMPLE_BODY)
    payload["entry"].append(payload["entry"][0])
    body = encode_like_meta(payload)

    assert post(client, body, sign_meta(body, SECRET)).status_code == 200
    assert InboundEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "signature"),
    [
        (WORKED_EXAMPLE_BODY.replace(b"blue", b"pink"), WORKED_EXAMPLE_SIGNATURE),  # tampered
        (WORKED_EXAMPLE_BODY, sign_meta(WORKED_EXAMPLE_BODY, "wrong_secret")),
        (WORKED_EXAMPLE_BODY, None),  # missing header
        (WORKED_EXAMPLE_BODY, "sha256=not-hex"),
    ],
    ids=["tampered-body", "wrong-secret", "missing-header", "garbage-header"],
)
def test_bad_signature_is_401_and_stores_nothing(
    client: HttpClient, cast: Cast, session_clients: SessionClients, body: bytes, signature: Any
) -> None:
    response = post(client, body, signature)

    assert response.status_code == 401
    assert response.json()["code"] == "bad_signature"
    assert InboundEvent.objects.count() == 0
    assert interactions_in(session_clients.client_a) == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"object":"page"}', b'{"entry":[{"time":1}]}', b"\xff\xfe"],
    ids=["broken-json", "not-an-object", "no-entry", "entry-without-id", "not-utf8"],
)
def test_malformed_signed_delivery_is_400_and_stores_nothing(
    client: HttpClient, cast: Cast, body: bytes
) -> None:
    response = post(client, body, sign_meta(body, SECRET))

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_payload"
    assert InboundEvent.objects.count() == 0


def test_oversized_delivery_is_413(client: HttpClient, cast: Cast, settings: Any) -> None:
    settings.WEBHOOK_MAX_BODY_BYTES = 100

    response = post(client, WORKED_EXAMPLE_BODY, WORKED_EXAMPLE_SIGNATURE)

    assert response.status_code == 413
    assert InboundEvent.objects.count() == 0


def test_page_no_client_connected_is_stored_as_unroutable(
    client: HttpClient, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    payload = feed_comment_delivery(
        page_id="999000000000009", author_id="1", author_name="Someone", message="Hello?"
    )
    body = encode_like_meta(payload)

    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, body, sign_meta(body, SECRET))

    assert response.status_code == 200
    event = InboundEvent.objects.get()
    assert (event.status, event.client, event.account_external_id) == (
        InboundEvent.Status.UNROUTABLE,
        None,
        "999000000000009",
    )


def test_url_without_trailing_slash_is_accepted(client: HttpClient, cast: Cast) -> None:
    response = client.post(
        "/webhooks/meta",
        data=WORKED_EXAMPLE_BODY,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=WORKED_EXAMPLE_SIGNATURE,
    )
    assert response.status_code == 200


def test_other_methods_are_refused(client: HttpClient) -> None:
    assert client.put(URL, data=WORKED_EXAMPLE_BODY).status_code == 405


def test_processing_is_scheduled_only_after_commit(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    # Without the commit callbacks running, the event is stored and waits: nothing half-done.
    assert post(client, WORKED_EXAMPLE_BODY, WORKED_EXAMPLE_SIGNATURE).status_code == 200
    assert InboundEvent.objects.get().status == InboundEvent.Status.PENDING
    with tenant_context(session_clients.client_a):
        assert Contact.objects.count() == 0


# --- GET handshake -----------------------------------------------------------------------


@pytest.mark.parametrize("separator", [".", "_"])
def test_handshake_echoes_the_challenge(client: HttpClient, separator: str) -> None:
    response = client.get(
        URL,
        {
            f"hub{separator}mode": "subscribe",
            f"hub{separator}challenge": "1158201444",
            f"hub{separator}verify_token": "meatyhamhock",
        },
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "wrong"},
        {"hub.mode": "unsubscribe", "hub.challenge": "1", "hub.verify_token": "meatyhamhock"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
def test_handshake_refused(client: HttpClient, params: dict[str, str]) -> None:
    assert client.get(URL, params).status_code == 403


def test_handshake_refused_when_no_token_is_configured(client: HttpClient, settings: Any) -> None:
    settings.META_VERIFY_TOKEN = ""
    response = client.get(
        URL, {"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": ""}
    )
    assert response.status_code == 403


def test_nul_characters_are_dropped_not_a_500(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    """PostgreSQL cannot store U+0000; a platform can send it."""
    body = encode_like_meta(
        feed_comment_delivery(
            page_id=PAGE_A,
            author_id="6000000000000001",
            author_name="A\u0000B",
            message="hi\u0000!",
        )
    )
    response = post(client, body, sign_meta(body, settings.META_APP_SECRET))
    assert response.status_code == 200
    [event] = InboundEvent.objects.all()
    assert event.payload["change"]["value"]["message"] == "hi!"


def test_a_lone_surrogate_is_stored_as_a_replacement_not_a_500(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    """JSON may escape half of a surrogate pair ("\\ud83d" alone); no text can hold it."""
    body = encode_like_meta(
        feed_comment_delivery(
            page_id=PAGE_A, author_id="6000000000000001", author_name="A", message="hi MARK!"
        )
    ).replace(b"MARK", b"\\ud83d")
    response = post(client, body, sign_meta(body, settings.META_APP_SECRET))
    assert response.status_code == 200
    [event] = InboundEvent.objects.all()
    assert event.payload["change"]["value"]["message"] == "hi ?!"
