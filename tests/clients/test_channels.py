"""Connecting accounts through each platform's OAuth flow (against the simulator's authorize
and token endpoints), token refresh, and disconnecting."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from clients.crypto import decrypt_token
from clients.models import Client, ConnectedAccount, InboundEvent
from clients.platforms import x
from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, store_inbound_events
from clients.simulator.generator import feed_comment_delivery, messenger_delivery
from clients.tasks import refresh_expiring_tokens_task
from inbox.models import Conversation, Interaction
from tests.conftest import Cast, Simulator

pytestmark = pytest.mark.django_db

CHANNELS = "/clients/client-a/channels/"


def start(http: HttpClient, platform: str) -> str:
    """Press "Connect <platform>"; return where the platform would send the browser back."""
    response = http.post(f"{CHANNELS}connect/{platform}/")
    assert response.status_code == 302
    authorize = response["Location"]
    consent = httpx.get(authorize, follow_redirects=False)  # the person clicks "Allow"
    assert consent.status_code == 302
    back = consent.headers["Location"]
    assert back.startswith("http://testserver/oauth/callback/")
    return back.removeprefix("http://testserver")


def connect(http: HttpClient, platform: str, captured: Any) -> Any:
    """The whole flow, choosing every account offered."""
    callback = start(http, platform)
    chooser = http.get(callback)
    assert chooser.status_code == 302, chooser.content
    page = http.get(chooser["Location"].removeprefix("http://testserver"))
    assert page.status_code == 200
    choices = page.context["choices"]
    with captured(execute=True):
        return http.post(
            chooser["Location"].removeprefix("http://testserver"),
            {"account": [c["id"] for c in choices]},
        )


def answered_in_one_thread(client: Client, question_id: str, answer_id: str) -> Interaction:
    """The backfilled question and the account's own answer: inbound and outbound, in one
    conversation that no longer waits. Returns the question."""
    with tenant_context(client):
        question = Interaction.objects.get(external_id=question_id)
        answer = Interaction.objects.get(external_id=answer_id)
        assert (question.direction, answer.direction) == ("inbound", "outbound")
        assert answer.conversation_id == question.conversation_id
        assert not Conversation.objects.get(pk=question.conversation_id).needs_reply
    return question


def assert_stored_already(delivery: dict[str, Any], captured: Any) -> None:
    """The platform later sends by webhook what the backfill brought: nothing new."""
    with captured(execute=False):
        assert store_inbound_events(split_delivery(delivery)) == []


def test_meta_flow_lists_the_pages_connects_the_chosen_one_and_subscribes_it(
    client: HttpClient, cast: Cast, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    response = client.post(f"{CHANNELS}connect/facebook/")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["client_id"] == ["demo-meta-client"]
    assert query["redirect_uri"] == ["http://testserver/oauth/callback/meta/"]
    assert query["code_challenge_method"] == ["S256"]
    assert "pages_messaging" in query["scope"][0]

    done = connect(client, "facebook", django_capture_on_commit_callbacks)
    assert done.status_code == 302
    page = ConnectedAccount.objects.get(external_account_id="105000000000009")
    assert (page.platform, page.name, page.status) == ("facebook", "Simulated Page", "active")
    assert decrypt_token(page.access_token_encrypted).startswith("page-token-")
    assert "page-token-" not in page.access_token_encrypted  # encrypted at rest
    # The hour-long login token was exchanged for a long-lived one before reading the Pages.
    [exchange] = [r for r in simulator.requests if r["path"].endswith("/oauth/access_token")]
    [pages] = [r for r in simulator.requests if r["path"].endswith("/me/accounts")]
    assert exchange["query"]["grant_type"] == "fb_exchange_token"
    assert pages["authorization"].startswith("Bearer long-lived-")
    [subscribe] = [r for r in simulator.requests if r["path"].endswith("/subscribed_apps")]
    assert subscribe["method"] == "POST"
    assert "feed" in subscribe["body"]["subscribed_fields"]

    listing = client.get(CHANNELS).content.decode()
    assert "Simulated Page" in listing
    assert "live (webhooks)" in listing


@pytest.mark.parametrize(
    ("platform", "external_id", "name"),
    [
        ("instagram", "17841400000000009", "@simulated.page (Simulated Page)"),
        ("x", "2244994949", "@SimulatedBrand"),
        (
            "google_business",
            "accounts/112233445566778899009/locations/9988776655443322119",
            "Simulated Shop",
        ),
        ("youtube", "UCsimulatedChannel000009", "Simulated Channel"),
        ("linkedin", "urn:li:organization:2414189", "Simulated Brand"),
        ("tiktok", "bc-simulated-business-0009", "Simulated Brand"),
    ],
)
def test_every_platform_connects_through_its_own_flow(
    client: HttpClient,
    cast: Cast,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
    platform: str,
    external_id: str,
    name: str,
) -> None:
    client.force_login(cast.owner)
    connect(client, platform, django_capture_on_commit_callbacks)
    account = ConnectedAccount.objects.get(platform=platform, external_account_id=external_id)
    assert (account.name, account.status, account.client.slug) == (name, "active", "client-a")
    tokens = [r for r in simulator.requests if r["path"].endswith("/token")]
    assert tokens[-1]["body"]["grant_type"] == "authorization_code"
    assert tokens[-1]["body"]["code_verifier"]
    if platform == "tiktok":  # TikTok's Business API: JSON, and the code is `auth_code`
        assert "auth_code" in tokens[-1]["body"]
    if platform == "x":  # X: the app's credentials as HTTP Basic, never in the form
        assert tokens[-1]["headers"]["authorization"].startswith("Basic ")
        assert "client_secret" not in tokens[-1]["body"]
    if platform in ("x", "google_business", "youtube", "linkedin", "tiktok"):
        assert account.refresh_token_encrypted
        assert account.token_expires_at is not None


def test_connecting_a_polled_platform_backfills_its_history_at_once(
    client: HttpClient, cast: Cast, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    channel = "UCsimulatedChannel000009"
    simulator.seed(
        f"youtube:{channel}",
        [
            {
                "id": "UgzOld0001",
                "snippet": {
                    "videoId": "v1",
                    "topLevelComment": {
                        "id": "UgzOld0001",
                        "snippet": {
                            "channelId": channel,
                            "videoId": "v1",
                            "textOriginal": "Old question?",
                            "authorDisplayName": "@fan",
                            "authorChannelId": {"value": "UCfan"},
                            "publishedAt": "2024-01-01T10:00:00Z",
                            "updatedAt": "2024-01-01T10:00:00Z",
                        },
                    },
                },
            }
        ],
    )
    client.force_login(cast.owner)
    connect(client, "youtube", django_capture_on_commit_callbacks)
    account = ConnectedAccount.objects.get(platform="youtube")
    assert account.last_synced_at is not None
    assert InboundEvent.objects.filter(platform="youtube").count() == 1


def test_denied_tampered_and_replayed_sign_ins_connect_nothing(
    client: HttpClient, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    callback = start(client, "x")
    state = parse_qs(urlsplit(callback).query)["state"][0]

    denied = client.get(f"/oauth/callback/x/?error=access_denied&state={state}")
    assert denied.status_code == 302
    assert "access_denied" in client.get(CHANNELS).content.decode()

    tampered = client.get(callback.replace("state=", "state=x"))
    assert tampered.status_code == 400
    assert client.get(callback).status_code == 302
    assert client.get(callback).status_code == 400  # the code and the state are used up
    wrong_provider = client.get(callback.replace("/x/", "/google/"))
    assert wrong_provider.status_code == 400
    assert not ConnectedAccount.objects.filter(platform="x").exists()


def test_only_managers_connect_and_disconnect(
    client: HttpClient, cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.agent_a)
    assert client.get(CHANNELS).status_code == 403
    assert client.post(f"{CHANNELS}connect/x/").status_code == 403
    assert client.post(f"{CHANNELS}{cast.page_a.pk}/disconnect/").status_code == 403
    client.force_login(cast.owner)
    # Another client's account is not found from here.
    assert client.post(f"{CHANNELS}{cast.page_b.pk}/disconnect/").status_code == 404
    assert client.post(f"{CHANNELS}connect/myspace/").status_code == 404


def test_disconnect_revokes_stops_ingestion_and_keeps_history(
    client: HttpClient, cast: Cast, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    connect(client, "x", django_capture_on_commit_callbacks)
    account = ConnectedAccount.objects.get(platform="x")
    token = decrypt_token(account.access_token_encrypted)

    assert client.post(f"{CHANNELS}{account.pk}/disconnect/").status_code == 302
    account.refresh_from_db()
    assert (account.status, account.access_token_encrypted) == ("closed", "")
    [revoke] = [r for r in simulator.requests if r["path"] == "/oauth/x/revoke"]
    assert revoke["body"]["token"] == token
    assert simulator.state.oauth_tokens.get(token) is None

    follow = {
        "for_user_id": account.external_account_id,
        "follow_events": [
            {
                "type": "follow",
                "created_timestamp": "1",
                "source": {"id": "3", "screen_name": "a"},
                "target": {"id": account.external_account_id},
            }
        ],
    }
    with django_capture_on_commit_callbacks(execute=False):
        [event_id] = store_inbound_events(x.split_delivery(follow))
    assert process_inbound_event(event_id=event_id) == "skipped"

    meta_page = cast.page_a
    assert client.post(f"{CHANNELS}{meta_page.pk}/disconnect/").status_code == 302
    [unsubscribe] = [r for r in simulator.requests if r["path"].endswith("/subscribed_apps")]
    assert unsubscribe["method"] == "DELETE"


def test_expiring_tokens_are_renewed_and_a_refused_renewal_is_shown(
    client: HttpClient, cast: Cast, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast.owner)
    connect(client, "linkedin", django_capture_on_commit_callbacks)
    account = ConnectedAccount.objects.get(platform="linkedin")
    old_access = decrypt_token(account.access_token_encrypted)
    ConnectedAccount.objects.filter(pk=account.pk).update(
        token_expires_at=timezone.now() + dt.timedelta(minutes=5)
    )

    assert refresh_expiring_tokens_task() == 1
    account.refresh_from_db()
    assert decrypt_token(account.access_token_encrypted) != old_access
    assert account.token_expires_at > timezone.now() + dt.timedelta(minutes=30)
    assert refresh_expiring_tokens_task() == 0  # nothing expires soon any more

    simulator.state.oauth_tokens.clear()  # the platform forgot us: the refresh is refused
    ConnectedAccount.objects.filter(pk=account.pk).update(token_expires_at=timezone.now())
    assert refresh_expiring_tokens_task() == 0
    account.refresh_from_db()
    assert account.last_error == "The token could not be renewed: Unknown refresh token."
    assert "The token could not be renewed" in client.get(CHANNELS).content.decode()


def test_a_connected_page_brings_its_recent_comments_and_webhooks_do_not_repeat_them(
    client: HttpClient,
    cast: Cast,
    session_clients: Any,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    page = "105000000000009"
    post = f"{page}_701"
    simulator.seed(
        f"meta-feed:{page}",
        [
            {
                "id": post,
                "permalink_url": f"https://www.facebook.com/{page}/posts/pfbid0701",
                "comments": {
                    "data": [
                        {
                            "id": "701_801",
                            "from": {"id": "6000000000000801", "name": "Ola Nowak"},
                            "message": "Czy wysyłacie do Niemiec?",
                            "created_time": "2024-05-29T16:26:40+0000",
                        },
                        {
                            "id": "701_802",
                            "from": {"id": page, "name": "Simulated Page"},
                            "message": "Tak!",
                            "created_time": "2024-05-29T17:00:00+0000",
                            "parent": {"id": "701_801"},
                        },
                    ]
                },
            }
        ],
    )
    client.force_login(cast.owner)
    connect(client, "facebook", django_capture_on_commit_callbacks)

    answered_in_one_thread(session_clients.client_a, "701_801", "701_802")
    again = feed_comment_delivery(
        page_id=page,
        author_id="6000000000000801",
        author_name="Ola Nowak",
        message="Czy wysyłacie do Niemiec?",
        post_object_id="701",
        comment_object_id="801",
        created_time=1717000000,  # 2024-05-29T16:26:40Z, as the feed said
    )
    assert_stored_already(again, django_capture_on_commit_callbacks)


def test_a_connected_instagram_account_brings_its_recent_comments_and_replies(
    client: HttpClient,
    cast: Cast,
    session_clients: Any,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    account_id = "17841400000000009"
    simulator.seed(
        f"meta-media:{account_id}",
        [
            {
                "id": "17900000000000701",
                "media_product_type": "FEED",
                "comments": {
                    "data": [
                        {
                            "id": "17800000000000801",
                            "text": "Gibt es das auch in Grün?",
                            "timestamp": "2024-05-29T16:26:40+0000",
                            "from": {"id": "17840000000000801", "username": "anna.k"},
                            "replies": {
                                "data": [
                                    {
                                        "id": "17800000000000802",
                                        "text": "Ja, ab Juni!",
                                        "timestamp": "2024-05-29T17:00:00+0000",
                                        "from": {"id": account_id, "username": "simulated.page"},
                                    }
                                ]
                            },
                        },
                        {
                            # No author the API would show: nothing to store.
                            "id": "17800000000000803",
                            "text": "?",
                            "timestamp": "2024-05-29T18:00:00+0000",
                        },
                    ]
                },
            }
        ],
    )
    client.force_login(cast.owner)
    connect(client, "instagram", django_capture_on_commit_callbacks)

    [media_request] = [r for r in simulator.requests if r["path"].endswith(f"{account_id}/media")]
    assert "replies" in media_request["query"]["fields"]
    question = answered_in_one_thread(
        session_clients.client_a, "17800000000000801", "17800000000000802"
    )
    assert question.occurred_at.isoformat() == "2024-05-29T16:26:40+00:00"
    with tenant_context(session_clients.client_a):
        assert not Interaction.objects.filter(external_id="17800000000000803").exists()
    again = {
        "object": "instagram",
        "entry": [
            {
                "id": account_id,
                "time": 1717000000,
                "changes": [
                    {
                        "field": "comments",
                        "value": {
                            "id": "17800000000000801",
                            "text": "Gibt es das auch in Grün?",
                            "from": {"id": "17840000000000801", "username": "anna.k"},
                            "media": {"id": "17900000000000701"},
                        },
                    }
                ],
            }
        ],
    }
    assert_stored_already(again, django_capture_on_commit_callbacks)


@dataclasses.dataclass(frozen=True)
class DirectHistory:
    """One connected account's Direct history, as the Graph API lists it, and what Parley
    must make of it."""

    connect_as: str
    meta_object: str
    platform: str
    account: str
    person: str
    question: tuple[str, str]
    answer: tuple[str, str]
    attachment: dict[str, Any]
    stored_attachment: dict[str, str]
    history_path: str


DIRECT_HISTORIES = [
    DirectHistory(
        connect_as="facebook",
        meta_object="page",
        platform="messenger",
        account="105000000000009",
        person="7000000000000901",
        question=("m_question_901", "Wo ist meine Bestellung?"),
        answer=("m_answer_901", "Hallo! Die Bestellung ist unterwegs."),
        attachment={
            "id": "a_901",
            "mime_type": "application/pdf",
            "name": "rechnung.pdf",
            "file_url": "https://cdn.example/rechnung.pdf",
        },
        stored_attachment={"type": "file", "url": "https://cdn.example/rechnung.pdf"},
        history_path="/105000000000009/conversations",
    ),
    DirectHistory(
        connect_as="instagram",
        meta_object="instagram",
        platform="instagram",
        account="17841400000000009",
        person="17840000000000902",
        question=("ig_question_902", "Czy ta sukienka jest w rozmiarze M?"),
        answer=("ig_answer_902", "Dzień dobry! Tak, mamy rozmiar M."),
        attachment={
            "id": "a_902",
            "mime_type": "image/jpeg",
            "image_data": {"url": "https://cdn.example/dress.jpg"},
        },
        stored_attachment={"type": "image", "url": "https://cdn.example/dress.jpg"},
        # Through the linked Page (its token makes `me` the Page), as Facebook Login has it.
        history_path="/me/conversations",
    ),
]


@pytest.mark.parametrize("history", DIRECT_HISTORIES, ids=lambda h: h.platform)
def test_a_connected_account_brings_its_recent_direct_conversations(
    history: DirectHistory,
    client: HttpClient,
    cast: Cast,
    session_clients: Any,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # Newest first, as the Graph API lists them: the account's answer, the person's
    # question with an attachment, and a message sent to nobody (nothing to thread it under).
    stray = f"stray_{history.question[0]}"
    messages = [
        {
            "id": history.answer[0],
            "message": history.answer[1],
            "from": {"id": history.account},
            "to": {"data": [{"id": history.person}]},
            "created_time": "2024-05-29T17:00:00+0000",
        },
        {
            "id": history.question[0],
            "message": history.question[1],
            "from": {"id": history.person},
            "to": {"data": [{"id": history.account}]},
            "created_time": "2024-05-29T16:26:40+0000",
            "attachments": {"data": [history.attachment]},
        },
        {
            "id": stray,
            "message": "?",
            "from": {"id": history.person},
            "created_time": "2024-05-29T16:00:00+0000",
        },
    ]
    simulator.seed(
        f"meta-conversations:{history.account}",
        [{"id": f"t_{history.question[0]}", "messages": {"data": messages}}],
    )
    client.force_login(cast.owner)
    connect(client, history.connect_as, django_capture_on_commit_callbacks)

    [call] = [r for r in simulator.requests if r["path"].endswith(history.history_path)]
    assert call["query"]["platform"] == history.platform
    assert "attachments" in call["query"]["fields"]
    question = answered_in_one_thread(
        session_clients.client_a, history.question[0], history.answer[0]
    )
    assert (question.platform, question.kind) == (history.platform, "dm")
    assert question.occurred_at.isoformat() == "2024-05-29T16:26:40+00:00"
    assert question.attachments == [history.stored_attachment]
    with tenant_context(session_clients.client_a):
        assert not Interaction.objects.filter(external_id=stray).exists()
    again = messenger_delivery(
        page_id=history.account,
        person_id=history.person,
        text=history.question[1],
        mid=history.question[0],
        timestamp_ms=1717000000000,
    )
    assert_stored_already(
        {**again, "object": history.meta_object}, django_capture_on_commit_callbacks
    )


def test_history_the_platform_refuses_in_part_keeps_the_part_it_gave(
    client: HttpClient,
    cast: Cast,
    session_clients: Any,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    page = "105000000000009"
    simulator.seed(
        f"meta-feed:{page}",
        [
            {
                "id": f"{page}_703",
                "comments": {
                    "data": [
                        {
                            "id": "703_801",
                            "from": {"id": "6000000000000803", "name": "Eva Braun"},
                            "message": "Wann öffnet der Laden?",
                            "created_time": "2024-05-29T16:26:40+0000",
                        }
                    ]
                },
            }
        ],
    )
    # An app without the messaging permission: Meta refuses the conversations.
    simulator.fail(r"/conversations", 403)
    client.force_login(cast.owner)
    connect(client, "facebook", django_capture_on_commit_callbacks)

    with tenant_context(session_clients.client_a):
        assert Interaction.objects.filter(external_id="703_801").exists()
    account = ConnectedAccount.objects.get(external_account_id=page)
    assert account.last_error.startswith("Part of the history could not be fetched: ")
    assert "Part of the history could not be fetched" in client.get(CHANNELS).content.decode()
