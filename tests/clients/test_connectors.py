"""X, Google Business Profile, YouTube, LinkedIn and TikTok end to end: webhooks and polls
into the durable pipeline, then answers through the simulator."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from clients.models import ConnectedAccount, InboundEvent
from clients.services import connect_account, poll_account, process_inbound_event
from clients.simulator.generator import sign_x
from escalation.models import EscalationRule
from inbox.models import Conversation, Interaction, Reply
from inbox.services import ReplyBlockedByGuideline, create_reply
from inbox.tasks import send_reply_task
from tests.conftest import Cast, SessionClients, Simulator

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms"
X_ACCOUNT = "2244994945"
LOCATION = "accounts/112233445566778899001/locations/9988776655443322110"
CHANNEL = "UCacmeChannelId000000001"
ORGANIZATION = "urn:li:organization:2414183"
BUSINESS = "bc-business-0001"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def connect(session_clients: SessionClients, platform: str, external_id: str) -> ConnectedAccount:
    return connect_account(
        client=session_clients.client_a,
        platform=platform,
        external_account_id=external_id,
        name=f"Client A {platform}",
        access_token=f"{platform}-token",
    )


def process_pending(captured: Any) -> list[str]:
    with captured(execute=True):
        return [
            str(process_inbound_event(event_id=pk))
            for pk in InboundEvent.objects.filter(status="pending").values_list("pk", flat=True)
        ]


def post_x(http: HttpClient, payload: Any) -> Any:
    body = json.dumps(payload).encode()
    return http.post(
        "/webhooks/x",
        data=body,
        content_type="application/json",
        headers={"x-twitter-webhooks-signature": sign_x(body, settings.X_CONSUMER_SECRET)},
    )


def calls(simulator: Simulator, fragment: str) -> list[dict[str, Any]]:
    return [r for r in simulator.requests if fragment in r["path"]]


def in_client_a(session_clients: SessionClients) -> Any:
    return tenant_context(session_clients.client_a)


# --- X ---------------------------------------------------------------------------------


@pytest.fixture
def x_account(cast: Cast, session_clients: SessionClients) -> ConnectedAccount:
    return connect(session_clients, "x", X_ACCOUNT)


def test_x_crc_is_answered_with_the_consumer_secret(client: HttpClient) -> None:
    response = client.get("/webhooks/x?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553")
    assert response.status_code == 200
    assert response.json() == fixture("x_crc_response")
    assert client.get("/webhooks/x").status_code == 400


def test_x_delivery_is_stored_once_and_becomes_the_clients_interactions(
    client: HttpClient,
    x_account: ConnectedAccount,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    for name in ("x_tweet_mention", "x_direct_message", "x_follow", "x_favorite"):
        payload = x_fixture(name)
        assert post_x(client, payload).status_code == 200
        assert post_x(client, payload).status_code == 200  # X retried: nothing twice
    assert InboundEvent.objects.count() == 4
    assert set(process_pending(django_capture_on_commit_callbacks)) == {"processed"}

    with in_client_a(session_clients):
        kinds = dict(Interaction.objects.values_list("kind", "needs_reply"))
        waiting = set(Conversation.objects.filter(needs_reply=True).values_list("kind", flat=True))
    assert kinds == {"mention": True, "dm": True, "follow": False, "like": False}
    assert waiting == {"mention", "dm"}  # likes and follows are engagement, not work


@pytest.mark.parametrize(
    ("mutate", "status"),
    [
        (lambda body, header: (body, "sha256=AAAA"), 401),
        (lambda body, header: (body.replace(b"22", b"23", 1), header), 401),
        (lambda body, header: (body, None), 401),
    ],
)
def test_x_bad_signatures_are_refused_and_store_nothing(
    client: HttpClient, x_account: ConnectedAccount, mutate: Any, status: int
) -> None:
    body = json.dumps(fixture("x_follow")).encode()
    body, header = mutate(body, sign_x(body, "test_consumer_secret"))
    headers = {"x-twitter-webhooks-signature": header} if header else {}
    response = client.post(
        "/webhooks/x", data=body, content_type="application/json", headers=headers
    )
    assert response.status_code == status
    assert response.json()["code"] == "bad_signature"
    assert not InboundEvent.objects.exists()


def test_x_malformed_and_oversized_deliveries(
    client: HttpClient, x_account: ConnectedAccount, settings: Any
) -> None:
    assert post_x(client, {"follow_events": []}).status_code == 400
    assert post_x(client, {"for_user_id": "1", "follow_events": "nope"}).status_code == 400
    settings.WEBHOOK_MAX_BODY_BYTES = 100
    assert post_x(client, fixture("x_follow")).status_code == 413
    assert not InboundEvent.objects.exists()


def x_fixture(name: str) -> Any:
    """The example, addressed to our account (the DM example is for another one), with a DM
    that asks something."""
    payload = fixture(name)
    if name == "x_direct_message":
        event = payload["direct_message_events"][0]["message_create"]
        event["target"]["recipient_id"] = X_ACCOUNT
        event["message_data"]["text"] = "Hello! Where is my refund?"
    payload["for_user_id"] = X_ACCOUNT
    return payload


def deliver_x(client: HttpClient, name: str, captured: Any) -> None:
    assert post_x(client, x_fixture(name)).status_code == 200
    process_pending(captured)


def test_x_answers_go_out_as_a_reply_post_and_a_direct_message(
    client: HttpClient,
    cast: Cast,
    x_account: ConnectedAccount,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    deliver_x(client, "x_tweet_mention", django_capture_on_commit_callbacks)
    deliver_x(client, "x_direct_message", django_capture_on_commit_callbacks)
    with in_client_a(session_clients), django_capture_on_commit_callbacks(execute=True):
        mention = Interaction.objects.get(kind="mention")
        dm = Interaction.objects.get(kind="dm")
        create_reply(interaction=mention, author=cast.agent_a, text="Sorry! Checking now.")
        create_reply(interaction=dm, author=cast.agent_a, text="Hi Jordan, on it.")
    with in_client_a(session_clients):
        assert set(Reply.objects.values_list("status", flat=True)) == {"sent"}
    [tweet] = calls(simulator, "/2/tweets")
    assert tweet["body"] == {
        "text": "Sorry! Checking now.",
        "reply": {"in_reply_to_tweet_id": "1795876543210987520"},
    }
    assert tweet["authorization"] == "Bearer x-token"
    [message] = calls(simulator, "/2/dm_conversations/with/3001969357/messages")
    assert message["body"] == {"text": "Hi Jordan, on it."}


@pytest.mark.usefixtures("eager_retries")
def test_x_rate_limit_then_success_sends_once_and_400_keeps_the_message(
    client: HttpClient,
    cast: Cast,
    x_account: ConnectedAccount,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    deliver_x(client, "x_tweet_mention", django_capture_on_commit_callbacks)
    simulator.fail("^/2/tweets", 429, count=1)
    with in_client_a(session_clients):
        mention = Interaction.objects.get(kind="mention")
        reply = create_reply(interaction=mention, author=cast.agent_a, text="Looking into it.")
        send_reply_task.apply(args=[reply.pk])
        reply.refresh_from_db()
        assert reply.status == "sent"
        assert len(calls(simulator, "/2/tweets")) == 2  # the 429, then the one that landed

        simulator.fail("^/2/tweets", 400, count=1)
        second = create_reply(interaction=mention, author=cast.agent_a, text="Another one.")
        send_reply_task.apply(args=[second.pk])
        second.refresh_from_db()
    assert (second.status, second.error_message) == ("failed", "Injected failure")


def test_escalation_rule_brings_a_big_follower_into_the_queue(
    client: HttpClient,
    x_account: ConnectedAccount,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with in_client_a(session_clients):
        EscalationRule.objects.create(
            name="Big accounts", position=1, kinds=["follow"], min_follower_count=10_000
        )
    follow = fixture("x_follow")
    follow["follow_events"][0]["source"]["followers_count"] = 250_000
    follow["follow_events"][0]["source"]["verified"] = True
    assert post_x(client, follow).status_code == 200
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients):
        followed = Interaction.objects.select_related("contact").get(kind="follow")
        assert followed.needs_reply
        assert (followed.contact.follower_count, followed.contact.is_verified) == (250_000, True)


# --- Google Business Profile ------------------------------------------------------------


def review(review_id: str, *, stars: str = "TWO", updated: str = "2024-05-29T16:26:40Z") -> Any:
    base = copy.deepcopy(fixture("google_review"))
    base["reviewId"] = review_id
    base["name"] = f"{LOCATION}/reviews/{review_id}"
    base["starRating"] = stars
    base["createTime"] = base["updateTime"] = updated
    return base


@pytest.fixture
def location(cast: Cast, session_clients: SessionClients) -> ConnectedAccount:
    return connect(session_clients, "google_business", LOCATION)


def push(client: HttpClient, envelope: Any, token: str | None = None) -> Any:
    return client.post(
        f"/webhooks/google?token={token or settings.GOOGLE_PUSH_TOKEN}",
        data=json.dumps(envelope),
        content_type="application/json",
    )


def test_google_push_fetches_the_review_and_files_it_with_its_stars(
    client: HttpClient,
    location: ConnectedAccount,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    simulator.seed(f"reviews:{LOCATION}", [fixture("google_review")])
    assert push(client, fixture("google_pubsub_push")).status_code == 204
    assert push(client, fixture("google_pubsub_push")).status_code == 204  # redelivered
    assert process_pending(django_capture_on_commit_callbacks) == ["processed"]
    [fetch] = calls(simulator, "/reviews/AbFvOqnExampleReviewId0001")
    assert fetch["authorization"] == "Bearer google_business-token"
    with in_client_a(session_clients):
        item = Interaction.objects.select_related("contact").get()
    assert (item.kind, item.rating, item.needs_reply, item.sentiment) == (
        "review",
        2,
        True,
        "negative",
    )
    assert item.contact.name == "Maria Lopez"


def test_google_push_with_a_bad_token_is_refused(
    client: HttpClient, location: ConnectedAccount
) -> None:
    assert push(client, fixture("google_pubsub_push"), token="guess").status_code == 401
    assert push(client, {"message": {}}).status_code == 400
    assert not InboundEvent.objects.exists()


def test_google_review_that_no_longer_exists_is_skipped_with_googles_words(
    client: HttpClient, location: ConnectedAccount, django_capture_on_commit_callbacks: Any
) -> None:
    assert push(client, fixture("google_pubsub_push")).status_code == 204
    assert process_pending(django_capture_on_commit_callbacks) == ["skipped"]
    event = InboundEvent.objects.get()
    assert "Requested entity was not found." in event.last_error


def test_google_polling_backfills_page_by_page_and_then_only_what_changed(
    location: ConnectedAccount,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    simulator.seed(
        f"reviews:{LOCATION}",
        [
            review(f"R{n:03d}", updated=f"2024-05-{1 + n % 28:02d}T10:{n % 60:02d}:00Z")
            for n in range(60)
        ],
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=location.pk) == 60
        assert poll_account(account_id=location.pk) == 0
    assert len(calls(simulator, "/reviews")) == 3  # two pages, then one page with nothing new
    simulator.seed(
        f"reviews:{LOCATION}", [review("R999", stars="FIVE", updated="2024-06-01T00:00:00Z")]
    )
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=location.pk) == 1
    location.refresh_from_db()
    assert location.sync_cursor == {"updated_since": "2024-06-01T00:00:00Z"}
    assert location.last_synced_at is not None
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients):
        assert Interaction.objects.filter(kind="review").count() == 61


def test_google_reply_is_put_on_the_review_and_a_failed_poll_is_shown(
    cast: Cast,
    location: ConnectedAccount,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    simulator.seed(f"reviews:{LOCATION}", [review("R1")])
    with django_capture_on_commit_callbacks(execute=False):
        poll_account(account_id=location.pk)
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients), django_capture_on_commit_callbacks(execute=True):
        item = Interaction.objects.get()
        reply = create_reply(interaction=item, author=cast.agent_a, text="Sorry, Maria.")
    with in_client_a(session_clients):
        reply.refresh_from_db()
    assert reply.status == "sent"
    [put] = calls(simulator, "/reviews/R1/reply")
    assert (put["method"], put["body"]) == ("PUT", {"comment": "Sorry, Maria."})

    simulator.fail("/reviews$", 403, count=1)
    assert poll_account(account_id=location.pk) is None
    location.refresh_from_db()
    assert location.last_error == "Injected failure"
    assert location.sync_cursor == {"updated_since": "2024-05-29T16:26:40Z"}


# --- YouTube, LinkedIn, TikTok ----------------------------------------------------------


def test_youtube_poll_reply_and_moderation(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel = connect(session_clients, "youtube", CHANNEL)
    simulator.seed(f"youtube:{CHANNEL}", fixture("youtube_comment_threads")["items"])
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=channel.pk) == 2
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients), django_capture_on_commit_callbacks(execute=True):
        assert Conversation.objects.count() == 1  # the reply is in its thread
        answer_to = Interaction.objects.get(external_id="UgzExampleThreadId0001.AbCdEfReply0001")
        reply = create_reply(interaction=answer_to, author=cast.agent_a, text="Yes, Windows 10+.")
    with in_client_a(session_clients):
        reply.refresh_from_db()
    assert reply.status == "sent"
    [post] = [r for r in calls(simulator, "/youtube/v3/comments") if r["method"] == "POST"]
    assert post["body"] == {
        "snippet": {"parentId": "UgzExampleThreadId0001", "textOriginal": "Yes, Windows 10+."}
    }


def test_linkedin_poll_and_reply_as_the_organization(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    organization = connect(session_clients, "linkedin", ORGANIZATION)
    element = fixture("linkedin_comments")["elements"][0]
    simulator.seed(f"linkedin-posts:{ORGANIZATION}", [{"id": element["object"]}])
    simulator.seed(f"linkedin-comments:{element['object']}", [element])
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=organization.pk) == 1
        assert poll_account(account_id=organization.pk) == 0
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients), django_capture_on_commit_callbacks(execute=True):
        comment = Interaction.objects.get()
        reply = create_reply(interaction=comment, author=cast.agent_a, text="Thank you!")
    with in_client_a(session_clients):
        reply.refresh_from_db()
    assert reply.status == "sent"
    [post] = [r for r in calls(simulator, "/rest/socialActions/") if r["method"] == "POST"]
    assert post["body"]["parentComment"] == element["commentUrn"]
    assert post["body"]["actor"] == ORGANIZATION
    assert post["headers"]["linkedin-version"] == "202411"


def test_tiktok_poll_reply_and_its_length_limit(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    business = connect(session_clients, "tiktok", BUSINESS)
    comment = fixture("tiktok_comments")["data"]["comments"][0]
    simulator.seed(f"tiktok-videos:{BUSINESS}", [{"item_id": comment["video_id"]}])
    simulator.seed(f"tiktok-comments:{comment['video_id']}", [comment])
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=business.pk) == 1
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients), django_capture_on_commit_callbacks(execute=True):
        item = Interaction.objects.get()
        sent = create_reply(interaction=item, author=cast.agent_a, text="Link in bio!")
        # The guideline checker knows TikTok's limit, so nothing longer is ever sent.
        with pytest.raises(ReplyBlockedByGuideline, match="the limit here is 150"):
            create_reply(interaction=item, author=cast.agent_a, text="x" * 151)
    with in_client_a(session_clients):
        sent.refresh_from_db()
    assert sent.status == "sent"
    [reply_call] = calls(simulator, "/business/comment/reply/create/")
    assert reply_call["headers"]["access-token"] == "tiktok-token"
    assert reply_call["body"]["comment_id"] == comment["comment_id"]


def test_linkedin_and_tiktok_polls_read_every_page_of_a_busy_post(
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # LinkedIn: 120 comments under one post, 50 to a page, in no promised order.
    organization = connect(session_clients, "linkedin", ORGANIZATION)
    element = fixture("linkedin_comments")["elements"][0]
    post = element["object"]
    comments = []
    for n in range(120):
        urn = f"urn:li:comment:({post},{7000000000000001000 + n})"
        when = {"actor": element["actor"], "time": 1717000000000 + n * 1000}
        comments.append(
            {**element, "commentUrn": urn, "$URN": urn, "created": when, "lastModified": when}
        )
    simulator.seed(f"linkedin-posts:{ORGANIZATION}", [{"id": post}])
    simulator.seed(f"linkedin-comments:{post}", comments)
    # TikTok: 70 new comments under one video, newest first, 30 to a page.
    business = connect(session_clients, "tiktok", BUSINESS)
    comment = fixture("tiktok_comments")["data"]["comments"][0]
    video = comment["video_id"]
    simulator.seed(f"tiktok-videos:{BUSINESS}", [{"item_id": video}])
    simulator.seed(
        f"tiktok-comments:{video}",
        [
            {**comment, "comment_id": str(7374000000000001000 + n), "create_time": 1717000000 + n}
            for n in range(70)
        ],
    )

    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=organization.pk) == 120
        assert poll_account(account_id=business.pk) == 70
        pages = [r["query"].get("start") for r in calls(simulator, "/comments")]
        assert pages == ["0", "50", "100"]
        assert len(calls(simulator, "/business/comment/list/")) == 3
        # Two more on TikTok: the next poll stops at the first page, which reaches the last.
        simulator.seed(
            f"tiktok-comments:{video}",
            [
                {
                    **comment,
                    "comment_id": str(7374000000000002000 + n),
                    "create_time": 1718000000 + n,
                }
                for n in range(2)
            ],
        )
        assert poll_account(account_id=business.pk) == 2
        assert len(calls(simulator, "/business/comment/list/")) == 4
        assert poll_account(account_id=organization.pk) == 0


# --- Instagram mentions -----------------------------------------------------------------


def test_instagram_mention_is_fetched_then_answered_where_it_was_made(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from clients.platforms.meta import split_delivery
    from clients.services import store_inbound_events

    account = connect(session_clients, "instagram", "17841405726653026")
    simulator.seed(
        "ig-mentions:17894227972186120",
        [
            {
                "text": "@acmestore where is my parcel?",
                "username": "jane.doe",
                "timestamp": "2018-03-09T19:16:08+0000",
                "media": {"id": "17918195224117851", "permalink": "https://www.instagram.com/p/x/"},
                "id": "17894227972186120",
            }
        ],
    )
    with django_capture_on_commit_callbacks(execute=False):
        store_inbound_events(split_delivery(fixture("instagram_mention")))
    assert process_pending(django_capture_on_commit_callbacks) == ["processed"]
    [fetch] = calls(simulator, "/17841405726653026")
    assert fetch["query"]["fields"].startswith("mentioned_comment.comment_id(17894227972186120)")
    with in_client_a(session_clients), django_capture_on_commit_callbacks(execute=True):
        mention = Interaction.objects.select_related("contact").get()
        assert (mention.text, mention.contact.handle) == (
            "@acmestore where is my parcel?",
            "jane.doe",
        )
        create_reply(interaction=mention, author=cast.agent_a, text="Hi Jane, DM us please.")
    [answer] = calls(simulator, f"/{account.external_account_id}/mentions")
    assert answer["body"] == {
        "media_id": "17918195224117851",
        "comment_id": "17894227972186120",
        "message": "Hi Jane, DM us please.",
    }


def test_engagement_and_reviews_read_as_what_happened(
    client: HttpClient,
    cast: Cast,
    x_account: ConnectedAccount,
    location: ConnectedAccount,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    deliver_x(client, "x_follow", django_capture_on_commit_callbacks)
    deliver_x(client, "x_favorite", django_capture_on_commit_callbacks)
    simulator.seed(f"reviews:{LOCATION}", [review("R5", stars="FOUR")])
    with django_capture_on_commit_callbacks(execute=False):
        poll_account(account_id=location.pk)
    process_pending(django_capture_on_commit_callbacks)
    client.force_login(cast.agent_a)
    with in_client_a(session_clients):
        pages = {
            kind: client.get(
                f"/clients/client-a/inbox/interactions/{Interaction.objects.get(kind=kind).pk}/"
            ).content.decode()
            for kind in ("follow", "like", "review")
        }
    assert "Followed the account" in pages["follow"]
    assert "Reacted: like" in pages["like"]
    assert "★★★★☆" in pages["review"]
    # Engagement waits for nobody; listed with everything, it says what happened.
    waiting = client.get("/clients/client-a/inbox/").content.decode()
    assert "Followed the account" not in waiting
    listing = client.get("/clients/client-a/inbox/?view=all&kind=follow").content.decode()
    assert "Followed the account" in listing


def polled_with_a_month_old_thread(
    session_clients: SessionClients, simulator: Simulator, captured: Any
) -> tuple[ConnectedAccount, dict[str, Any]]:
    """A channel with a recent thread (a comment and its reply) and a month-old comment,
    polled twice: the second poll finds nothing new and looks the old thread up by id.
    Returns the account and the old thread as the simulator holds it."""
    channel = connect(session_clients, "youtube", CHANNEL)
    [recent] = fixture("youtube_comment_threads")["items"]
    old = copy.deepcopy(recent)
    old["id"] = old["snippet"]["topLevelComment"]["id"] = "UgzMonthOldThread0001"
    now = timezone.now()
    for thread, age in ((recent, dt.timedelta(hours=1)), (old, dt.timedelta(days=30))):
        published = (now - age).strftime("%Y-%m-%dT%H:%M:%SZ")
        thread["snippet"]["topLevelComment"]["snippet"] |= {
            "publishedAt": published,
            "updatedAt": published,
        }
    old["snippet"]["totalReplyCount"] = 0
    old.pop("replies", None)
    simulator.seed(f"youtube:{CHANNEL}", [recent, old])
    with captured(execute=False):
        assert poll_account(account_id=channel.pk) == 3  # two comments and the reply
        # Nothing new: the scan stops at the month-old thread, which is looked up by id.
        assert poll_account(account_id=channel.pk) == 0
    [by_id] = [r for r in calls(simulator, "/commentThreads") if "id" in r["query"]]
    assert by_id["query"]["id"] == old["id"]
    with simulator.state.lock:
        return channel, simulator.state.data[f"youtube:{CHANNEL}"][1]


def test_youtube_finds_a_new_reply_under_a_thread_older_than_the_scanned_week(
    session_clients: SessionClients, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    channel, old = polled_with_a_month_old_thread(
        session_clients, simulator, django_capture_on_commit_callbacks
    )
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=False):
        # A month later someone answers under the old comment.
        reply = {
            "kind": "youtube#comment",
            "id": f"{old['id']}.LateReply0001",
            "snippet": {
                "channelId": CHANNEL,
                "videoId": old["snippet"]["videoId"],
                "parentId": old["id"],
                "textOriginal": "Did anyone ever answer this?",
                "authorDisplayName": "@latecomer",
                "authorChannelId": {"value": "UClatecomer"},
                "publishedAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "updatedAt": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
        with simulator.state.lock:
            old["snippet"]["totalReplyCount"] = 1
        simulator.seed(f"youtube-replies:{old['id']}", [reply])
        assert poll_account(account_id=channel.pk) == 1
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients):
        late = Interaction.objects.get(external_id=reply["id"])
        top = Interaction.objects.get(external_id=old["id"])
        assert late.conversation_id == top.conversation_id


def test_youtube_sees_an_edit_of_a_thread_older_than_the_scanned_week(
    session_clients: SessionClients, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    channel, old = polled_with_a_month_old_thread(
        session_clients, simulator, django_capture_on_commit_callbacks
    )
    process_pending(django_capture_on_commit_callbacks)
    with simulator.state.lock:
        old["snippet"]["topLevelComment"]["snippet"] |= {
            "textOriginal": "Edit: it arrived broken, I want a refund.",
            "updatedAt": timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=channel.pk) == 1
        assert poll_account(account_id=channel.pk) == 0  # seen once
    process_pending(django_capture_on_commit_callbacks)
    with in_client_a(session_clients):
        top = Interaction.objects.get(external_id=old["id"])
        assert top.text == "Edit: it arrived broken, I want a refund."
        [edit] = top.revisions.filter(action="edited")
        assert (
            edit.previous_text
            == fixture("youtube_comment_threads")["items"][0]["snippet"]["topLevelComment"][
                "snippet"
            ]["textOriginal"]
        )


def test_youtube_finds_a_new_reply_under_an_older_thread(
    session_clients: SessionClients, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    channel = connect(session_clients, "youtube", CHANNEL)
    thread = fixture("youtube_comment_threads")["items"][0]
    simulator.seed(f"youtube:{CHANNEL}", [thread])
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=channel.pk) == 2

    # Someone answers in that thread: it now counts 2 replies but still carries only one.
    first_reply = thread["replies"]["comments"][0]
    new_reply = copy.deepcopy(first_reply)
    new_reply["id"] = "UgzExampleThreadId0001.AbCdEfReply0002"
    new_reply["snippet"] |= {
        "textOriginal": "Still no answer?",
        "publishedAt": "2024-05-31T09:00:00Z",
        "updatedAt": "2024-05-31T09:00:00Z",
    }
    with simulator.state.lock:
        simulator.state.data[f"youtube:{CHANNEL}"][0]["snippet"]["totalReplyCount"] = 2
    simulator.seed(f"youtube-replies:{thread['id']}", [first_reply, new_reply])
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=channel.pk) == 1  # only the new one is new
    [listed] = [r for r in simulator.requests if r["path"] == "/youtube/v3/comments"]
    assert listed["query"]["parentId"] == thread["id"]


def test_youtube_cursor_kept_before_edit_tracking_is_completed_without_rereading(
    session_clients: SessionClients, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    channel, old = polled_with_a_month_old_thread(
        session_clients, simulator, django_capture_on_commit_callbacks
    )
    with simulator.state.lock:
        old["snippet"]["totalReplyCount"] = 2  # replies it does not carry: reading them costs
    channel.refresh_from_db()
    published, _, edited = channel.sync_cursor["threads"][old["id"]]
    # As the cursor was kept before: no edit time, and the reply count already known.
    channel.sync_cursor["threads"] = {old["id"]: [published, 2]}
    channel.save(update_fields=["sync_cursor"])
    earlier = len(simulator.requests)
    with django_capture_on_commit_callbacks(execute=False):
        assert poll_account(account_id=channel.pk) == 0
    assert not [r for r in simulator.requests[earlier:] if r["path"].endswith("/comments")]
    channel.refresh_from_db()
    assert channel.sync_cursor["threads"][old["id"]] == [published, 2, edited]
