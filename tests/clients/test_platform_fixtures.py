"""Every example payload of platforms.md (tests/fixtures/platforms/) parses to the right
interaction, and the signature vectors of §1.3 and §2.2 hold (a one-byte change fails)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from clients.platforms import get_connector, google_business, meta, normalize_all, x
from clients.platforms.base import NormalizedAuthor, NormalizedInteraction, SplitEvent

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def normalized(events: list[SplitEvent]) -> list[NormalizedInteraction]:
    found = []
    for event in events:
        connector = get_connector(event.platform)
        assert connector is not None
        found += normalize_all(connector, event.payload)
    return found


def one(events: list[SplitEvent]) -> NormalizedInteraction:
    (interaction,) = normalized(events)
    return interaction


def author_of(item: NormalizedInteraction) -> NormalizedAuthor:
    assert item.author is not None
    return item.author


def summary(item: NormalizedInteraction) -> tuple[str, str, str, str, str, str]:
    return (
        item.platform,
        item.kind,
        item.action,
        item.direction,
        item.external_id,
        item.thread_key,
    )


# (fixture, platform, kind, action, direction, external id, thread key, author id, text start)
META_EXPECTED = [
    (
        "meta_feed_comment_add",
        ("facebook", "comment", "created", "inbound", "700000000000001_800000000000001"),
        "700000000000001_800000000000001",
        "6000000000000001",
    ),
    (
        "meta_feed_comment_reply",
        ("facebook", "comment", "created", "inbound", "700000000000001_800000000000002"),
        "700000000000001_800000000000001",  # joins the comment it answers
        None,
    ),
    (
        "meta_feed_comment_edited",
        ("facebook", "comment", "edited", "inbound", "700000000000001_800000000000001"),
        "700000000000001_800000000000001",
        None,
    ),
    (
        "meta_feed_comment_remove",
        ("facebook", "comment", "deleted", "inbound", "700000000000001_800000000000001"),
        "700000000000001_800000000000001",
        None,
    ),
    (
        "meta_feed_reaction",
        (
            "facebook",
            "like",
            "created",
            "inbound",
            "reaction:105000000000001_700000000000001:6000000000000003",
        ),
        "engagement:105000000000001_700000000000001",
        "6000000000000003",
    ),
    (
        "meta_feed_share",
        ("facebook", "share", "created", "inbound", "share:710000000000001"),
        "engagement:105000000000001/posts/pfbid0abc",
        "6000000000000004",
    ),
    (
        "meta_page_mention",
        ("facebook", "mention", "created", "inbound", "6000000000000005_720000000000001"),
        "mention:6000000000000005_720000000000001",
        "6000000000000005",
    ),
    (
        "meta_ratings",
        ("facebook", "review", "created", "inbound", "740000000000001"),
        "review:740000000000001",
        "6000000000000006",
    ),
    (
        "messenger_message",
        ("messenger", "dm", "created", "inbound", "m_1fTq8oLumEyIp3Q2MR-aY7IfLZDamVrALniheU"),
        "dm:7000000000000001",
        "7000000000000001",
    ),
    (
        "instagram_comment",
        ("instagram", "comment", "created", "inbound", "17890000000000001"),
        "17890000000000000",  # the example answers another comment: it joins its thread
        "2380000000000001",
    ),
    (
        "instagram_message",
        (
            "instagram",
            "dm",
            "created",
            "inbound",
            "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDAwMDAwMDAx",
        ),
        "dm:2380000000000001",
        "2380000000000001",
    ),
]


@pytest.mark.parametrize(("name", "expected", "thread_key", "author_id"), META_EXPECTED)
def test_meta_example_parses_to_the_right_interaction(
    name: str, expected: tuple[str, ...], thread_key: str, author_id: str | None
) -> None:
    item = one(meta.split_delivery(fixture(name)))
    assert summary(item) == (*expected, thread_key)
    if author_id:
        assert item.author is not None
        assert item.author.external_id == author_id


def test_meta_examples_keep_the_details_the_inbox_shows() -> None:
    reaction = one(meta.split_delivery(fixture("meta_feed_reaction")))
    assert (reaction.reaction, author_of(reaction).name) == ("love", "John Roe")
    rating = one(meta.split_delivery(fixture("meta_ratings")))
    assert (rating.recommendation, rating.rating, rating.text) == (
        "negative",
        None,
        "Waited 40 minutes and nobody answered.",
    )
    share = one(meta.split_delivery(fixture("meta_feed_share")))
    assert share.text == "Look at this!"
    assert share.permalink == "https://www.facebook.com/105000000000001/posts/pfbid0abc"
    mention = one(meta.split_delivery(fixture("meta_page_mention")))
    assert mention.text == "Great service from Acme Store today"
    assert author_of(mention).name == "Someone Else"
    message = one(meta.split_delivery(fixture("messenger_message")))
    assert message.attachments == (
        {"type": "image", "url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/abc.jpg"},
    )


def test_reaction_spellings_nobody_documented_fall_back_to_like() -> None:
    payload = fixture("meta_feed_reaction")
    payload["entry"][0]["changes"][0]["value"]["reaction_type"] = "yay"
    assert one(meta.split_delivery(payload)).reaction == "like"
    payload["entry"][0]["changes"][0]["value"]["verb"] = "remove"
    assert one(meta.split_delivery(payload)).action == "deleted"


def test_instagram_mention_needs_its_fetch_and_parses_from_it() -> None:
    (event,) = meta.split_delivery(fixture("instagram_mention"))
    assert normalized([event]) == []  # ids only: nothing to show before the fetch
    fetched = {
        "mentioned_comment": {
            "text": "@acmestore my parcel is lost",
            "username": "jane.doe",
            "timestamp": "2018-03-09T19:16:08+0000",
            "media": {"id": "17918195224117851", "permalink": "https://www.instagram.com/p/x/"},
            "id": "17894227972186120",
        }
    }
    item = one([SplitEvent(**{**event.__dict__, "payload": {**event.payload, "fetched": fetched}})])
    assert summary(item) == (
        "instagram",
        "mention",
        "created",
        "inbound",
        "17894227972186120",
        "mention:17894227972186120",
    )
    assert (item.text, author_of(item).handle, item.post_external_id) == (
        "@acmestore my parcel is lost",
        "jane.doe",
        "17918195224117851",
    )


def test_instagram_story_mention_is_a_mention_in_the_persons_conversation() -> None:
    payload = fixture("instagram_message")
    message = payload["entry"][0]["messaging"][0]["message"]
    message.pop("text")
    message["attachments"] = [
        {"type": "story_mention", "payload": {"url": "https://lookaside.fbsbx.com/story/1"}}
    ]
    item = one(meta.split_delivery(payload))
    assert (item.kind, item.thread_key) == ("mention", "dm:2380000000000001")


X_EXPECTED = [
    ("x_tweet_mention", ("x", "mention", "created", "inbound", "1795876543210987520")),
    ("x_tweet_reply", ("x", "comment", "created", "inbound", "1795877000000000001")),
    ("x_direct_message", ("x", "dm", "created", "inbound", "954491830116155396")),
    ("x_follow", ("x", "follow", "created", "inbound", "follow:3001969357:1517588749178")),
    (
        "x_favorite",
        ("x", "like", "created", "inbound", "favorite:a7ba59eab0bfcba386f7acedac279542"),
    ),
]


@pytest.mark.parametrize(("name", "expected"), X_EXPECTED)
def test_x_example_parses_to_the_right_interaction(name: str, expected: tuple[str, ...]) -> None:
    item = one(x.split_delivery(fixture(name)))
    assert summary(item)[:5] == expected
    assert item.author is not None
    assert item.author.external_id == "3001969357"


def test_x_examples_keep_the_details_the_inbox_shows() -> None:
    mention = one(x.split_delivery(fixture("x_tweet_mention")))
    assert mention.text == "@AcmeSupport my order 1234 never arrived"
    assert mention.permalink == "https://x.com/furiouscamper/status/1795876543210987520"
    assert author_of(mention).handle == "furiouscamper"
    assert mention.occurred_at.isoformat() == "2024-05-29T16:26:40.123000+00:00"
    reply = one(x.split_delivery(fixture("x_tweet_reply")))
    assert reply.parent_external_id == "1795876900000000000"
    dm = one(x.split_delivery(fixture("x_direct_message")))
    assert (dm.thread_key, dm.text) == ("dm:3001969357", "Hello World!")
    assert (author_of(dm).follower_count, author_of(dm).handle) == (22, "furiouscamper")
    like = one(x.split_delivery(fixture("x_favorite")))
    assert (like.thread_key, like.parent_external_id) == (
        "engagement:978290000000000000",
        "978290000000000000",
    )


def test_x_own_activity_is_outbound_or_ignored() -> None:
    tweet = fixture("x_tweet_mention")
    tweet["tweet_create_events"][0]["user"]["id_str"] = "2244994945"
    assert one(x.split_delivery(tweet)).direction == "outbound"
    follow = fixture("x_follow")
    follow["follow_events"][0]["source"]["id"] = "2244994945"  # we followed someone
    assert normalized(x.split_delivery(follow)) == []
    dm = fixture("x_direct_message")
    event = dm["direct_message_events"][0]["message_create"]
    event["sender_id"], event["target"]["recipient_id"] = "4337869213", "3001969357"
    sent = one(x.split_delivery(dm))
    assert (sent.direction, sent.thread_key) == ("outbound", "dm:3001969357")


def test_x_long_tweets_retweets_and_unknown_lists() -> None:
    tweet = fixture("x_tweet_mention")
    event = tweet["tweet_create_events"][0]
    event["truncated"] = True
    event["extended_tweet"] = {"full_text": "@AcmeSupport " + "very long " * 30}
    assert one(x.split_delivery(tweet)).text.startswith("@AcmeSupport very long very long")
    event["retweeted_status"] = {"id_str": "978290000000000000"}
    retweet = one(x.split_delivery(tweet))
    assert (retweet.kind, retweet.thread_key) == ("share", "engagement:978290000000000000")
    typing = {"for_user_id": "1", "direct_message_indicate_typing_events": [{"x": 1}]}
    assert x.split_delivery(typing) == []
    blocks = {"for_user_id": "1", "block_events": [{"type": "block"}]}
    assert normalized(x.split_delivery(blocks)) == []  # stored, then skipped


@pytest.mark.parametrize(
    "payload",
    [[], {}, {"for_user_id": ""}, {"for_user_id": "1", "favorite_events": {}}],
)
def test_x_malformed_deliveries_are_refused(payload: Any) -> None:
    with pytest.raises(x.MalformedDelivery):
        x.split_delivery(payload)


def test_x_crc_vectors() -> None:
    token = "9b4507b3-9040-4669-9ca3-6b94edb50553"
    assert x.crc_response(token, "test_consumer_secret") == fixture("x_crc_response")
    assert x.crc_response(token, "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu") == {
        "response_token": "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="
    }


def test_x_signature_vector_and_a_one_byte_change() -> None:
    body = (FIXTURES / "x_signature_body.txt").read_bytes()
    header = "sha256=7IYhJ4zqk3OBparrjg09XypQogwyLyma1drKLrIqzf8="
    assert len(body) == 261
    assert x.verify_signature(body, header, "test_consumer_secret")
    assert not x.verify_signature(body.replace(b"2244", b"2245", 1), header, "test_consumer_secret")
    assert not x.verify_signature(body, header, "other_secret")
    assert not x.verify_signature(body, None, "test_consumer_secret")
    assert not x.verify_signature(body, header, "")


def test_google_push_names_the_review_to_fetch() -> None:
    envelope = fixture("google_pubsub_push")
    decoded = json.loads(base64.b64decode(envelope["message"]["data"]))
    assert decoded == fixture("google_notification")
    (event,) = google_business.split_push(envelope)
    assert event.account_external_id == (
        "accounts/112233445566778899001/locations/9988776655443322110"
    )
    assert event.dedupe_key == "pubsub:2070443601311540"
    assert normalized([event]) == []  # a trigger only: the review is fetched


@pytest.mark.parametrize("type_key", ["type", "notificationType", "notification_type"])
def test_google_notification_keys_are_read_tolerantly(type_key: str) -> None:
    notification = {
        type_key: "UPDATED_REVIEW",
        "review_name": "accounts/1/locations/2/reviews/3",
    }
    envelope = {
        "message": {
            "data": base64.b64encode(json.dumps(notification).encode()).decode(),
            "message_id": "9",
        }
    }
    (event,) = google_business.split_push(envelope)
    assert event.account_external_id == "accounts/1/locations/2"


def test_google_other_notifications_are_acknowledged_and_dropped() -> None:
    data = base64.b64encode(b'{"type":"NEW_QUESTION","locationName":"accounts/1/locations/2"}')
    assert google_business.split_push({"message": {"data": data.decode(), "messageId": "1"}}) == []
    for bad in [{}, {"message": {"messageId": "1", "data": "%%%"}}]:
        with pytest.raises(google_business.MalformedDelivery):
            google_business.split_push(bad)


def test_google_review_parses_with_stars_and_our_reply() -> None:
    review = fixture("google_review")
    (item,) = google_business.normalize_event({"review": review})
    assert summary(item) == (
        "google_business",
        "review",
        "created",
        "inbound",
        review["name"],
        f"review:{review['name']}",
    )
    assert (item.rating, item.text) == (2, "Food was cold and the order was wrong.")
    assert author_of(item).name == "Maria Lopez"
    review["reviewReply"] = {"comment": "Sorry, Maria!", "updateTime": "2024-05-30T08:00:00Z"}
    review["updateTime"] = "2024-05-30T07:00:00.5Z"
    edited, ours = google_business.normalize_event({"review": review})
    assert edited.action == "edited"
    assert (ours.direction, ours.parent_external_id, ours.text) == (
        "outbound",
        review["name"],
        "Sorry, Maria!",
    )


def test_youtube_linkedin_tiktok_examples_parse() -> None:
    thread = fixture("youtube_comment_threads")["items"][0]
    top = get_connector("youtube").normalize_event(  # type: ignore[union-attr]
        {"comment": thread["snippet"]["topLevelComment"], "thread_id": thread["id"]}
    )
    reply = get_connector("youtube").normalize_event(  # type: ignore[union-attr]
        {"comment": thread["replies"]["comments"][0], "thread_id": thread["id"]}
    )
    assert summary(top)[1:] == (
        "comment",
        "created",
        "inbound",
        "UgzExampleThreadId0001",
        "UgzExampleThreadId0001",
    )
    assert (reply.thread_key, reply.parent_external_id, reply.author.handle) == (
        "UgzExampleThreadId0001",
        "UgzExampleThreadId0001",
        "other",
    )
    assert top.permalink == "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzExampleThreadId0001"

    element = fixture("linkedin_comments")["elements"][0]
    comment = get_connector("linkedin").normalize_event(  # type: ignore[union-attr]
        {"comment": element, "post": element["object"]}
    )
    assert summary(comment)[1:] == (
        "comment",
        "created",
        "inbound",
        element["commentUrn"],
        element["commentUrn"],
    )
    assert comment.author.external_id == "urn:li:person:Ylpq-RobP9"

    tiktok = fixture("tiktok_comments")["data"]["comments"][0]
    item = get_connector("tiktok").normalize_event({"comment": tiktok})  # type: ignore[union-attr]
    assert summary(item)[1:] == (
        "comment",
        "created",
        "inbound",
        "7374000000000000001",
        "7374000000000000001",
    )
    assert (item.author.handle, item.post_external_id) == ("shopper_01", "7373000000000000001")
