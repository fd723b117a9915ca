"""Whatever shape a platform's JSON takes, splitting it either refuses the delivery as
malformed (a 400) or gives events, and normalizing an event either gives interactions whose
fields have the types the tables need or nothing (skipped): never an exception, which would
fail a whole batch of other events and park this one as failed.

Every example payload of platforms.md is mutated at random, with a fixed seed so a failure
repeats: a value replaced by one of another JSON type, or removed."""

from __future__ import annotations

import copy
import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from clients.models import Client, InboundEvent
from clients.platforms import get_connector, normalize_all
from clients.platforms.base import (
    ID_LENGTH,
    LARGEST_COUNT,
    NAME_LENGTH,
    REACTION_LENGTH,
    RECOMMENDATION_LENGTH,
    URL_LENGTH,
    NormalizedInteraction,
)
from clients.services import inbound_rows, process_inbound_deliveries
from clients.webhooks.deliveries import ENDPOINTS
from inbox.models import Contact, Conversation, Interaction
from tests.clients.test_platform_fixtures import fixture
from tests.conftest import PAGE_A, Cast
from tests.factories import receive_deliveries

MUTATIONS_PER_PAYLOAD = 300

# JSON values of every type, and texts a platform field should not hold.
ODD_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    10**30,
    True,
    "",
    "x",
    "2024-13-45T99:99:99",
    "y" * (URL_LENGTH + 1),
    "love_love_love_love",
    [],
    [1, "a"],
    {},
    {"a": 1},
]

WEBHOOK_EXAMPLES = {
    "meta": [
        "meta_feed_comment_add",
        "meta_feed_comment_edited",
        "meta_feed_comment_remove",
        "meta_feed_comment_reply",
        "meta_feed_reaction",
        "meta_feed_share",
        "meta_page_mention",
        "meta_ratings",
        "instagram_comment",
        "instagram_mention",
        "instagram_message",
        "messenger_message",
    ],
    "x": ["x_direct_message", "x_favorite", "x_follow", "x_tweet_mention", "x_tweet_reply"],
}


def polled_examples() -> list[tuple[str, dict[str, Any]]]:
    """Stored events of the polling platforms, as their pollers store them."""
    thread = fixture("youtube_comment_threads")["items"][0]
    element = fixture("linkedin_comments")["elements"][0]
    return [
        ("youtube", {"comment": thread["snippet"]["topLevelComment"], "thread_id": thread["id"]}),
        ("youtube", {"comment": thread["replies"]["comments"][0], "thread_id": thread["id"]}),
        ("linkedin", {"comment": element, "post": element["object"]}),
        ("tiktok", {"comment": fixture("tiktok_comments")["data"]["comments"][0]}),
        ("google_business", {"review": fixture("google_review")}),
    ]


def paths(document: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths(value, (*path, index))


def mutated(document: Any, rng: random.Random) -> Any:
    """`document` with one to three values replaced by odd ones, or removed."""
    document = copy.deepcopy(document)
    for _ in range(rng.randint(1, 3)):
        places = list(paths(document))[1:]
        if not places:
            break
        *parents, last = rng.choice(places)
        parent = document
        for key in parents:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.3:
            del parent[last]
        else:
            parent[last] = copy.deepcopy(rng.choice(ODD_VALUES))
    return document


def assert_storable(item: NormalizedInteraction) -> None:
    texts = ("platform", "external_id", "thread_key", "parent_external_id", "text", "permalink")
    for name in texts:
        assert isinstance(getattr(item, name), str), (name, item)
    assert item.external_id, item
    lengths = {
        "external_id": ID_LENGTH,
        "thread_key": ID_LENGTH,
        "parent_external_id": ID_LENGTH,
        "post_external_id": ID_LENGTH,
        "permalink": URL_LENGTH,
        "thread_permalink": URL_LENGTH,
        "reaction": REACTION_LENGTH,
        "recommendation": RECOMMENDATION_LENGTH,
    }
    for name, length in lengths.items():
        assert len(getattr(item, name)) <= length, (name, item)
    assert isinstance(item.occurred_at, dt.datetime), item
    assert item.occurred_at.tzinfo is not None, item
    assert item.rating is None or (type(item.rating) is int and 0 <= item.rating <= 5), item
    assert all(isinstance(value, str) for found in item.attachments for value in found.values())
    if item.author is not None:
        assert isinstance(item.author.external_id, str), item
        assert item.author.external_id, item
        assert len(item.author.external_id) <= ID_LENGTH, item
        assert max(len(item.author.name), len(item.author.handle)) <= NAME_LENGTH, item
        assert len(item.author.avatar_url) <= URL_LENGTH, item
        followers = item.author.follower_count
        assert followers is None or (type(followers) is int and followers <= LARGEST_COUNT)


def normalized(platform: str, payload: dict[str, Any]) -> list[NormalizedInteraction]:
    connector = get_connector(platform)
    assert connector is not None
    return normalize_all(connector, payload)


def test_the_limits_normalizing_keeps_to_are_those_of_the_inbox_columns() -> None:
    def length(model: Any, name: str) -> int:
        return int(model._meta.get_field(name).max_length)

    for name in ("external_id", "parent_external_id"):
        assert length(Interaction, name) == ID_LENGTH
    for name in ("thread_key", "post_external_id"):
        assert length(Conversation, name) == ID_LENGTH
    assert length(Contact, "external_id") == ID_LENGTH
    assert length(Contact, "name") == length(Contact, "handle") == NAME_LENGTH
    assert length(Contact, "avatar_url") == URL_LENGTH
    assert length(Interaction, "permalink") == length(Conversation, "permalink") == URL_LENGTH
    assert length(Interaction, "reaction") == REACTION_LENGTH
    assert length(Interaction, "recommendation") == RECOMMENDATION_LENGTH
    followers = Contact._meta.get_field("follower_count").get_internal_type()
    assert connection.ops.integer_field_range(followers)[1] == LARGEST_COUNT


@pytest.mark.parametrize("endpoint", sorted(WEBHOOK_EXAMPLES))
def test_mutated_webhook_deliveries_are_refused_or_split_and_normalized(endpoint: str) -> None:
    rng = random.Random(f"webhooks-{endpoint}")
    split = ENDPOINTS[endpoint].split
    for name in WEBHOOK_EXAMPLES[endpoint]:
        example = fixture(name)
        for _ in range(MUTATIONS_PER_PAYLOAD):
            delivery = mutated(example, rng)
            try:
                events = split(delivery)
            except ValueError:
                continue  # answered 400: malformed
            for event in events:
                for item in normalized(event.platform, event.payload):
                    assert_storable(item)


def test_mutated_stored_events_normalize_to_storable_interactions_or_nothing() -> None:
    rng = random.Random("stored-events")
    stored = [
        (event.platform, event.payload)
        for endpoint, names in WEBHOOK_EXAMPLES.items()
        for name in names
        for event in ENDPOINTS[endpoint].split(fixture(name))
    ]
    for platform, payload in [*stored, *polled_examples()]:
        for _ in range(MUTATIONS_PER_PAYLOAD):
            for item in normalized(platform, mutated(payload, rng)):
                assert_storable(item)


@pytest.mark.django_db
def test_an_event_of_an_unusable_shape_is_skipped_beside_good_ones(
    cast: Cast, in_client_a: Client
) -> None:
    """The shapes the mutations found: an event type given as an object (a TypeError), and
    values longer than their columns (PostgreSQL refused the batch). Each failed the whole
    batch it came in and was then parked as failed."""
    good = fixture("meta_feed_comment_add")
    odd_type = copy.deepcopy(fixture("meta_feed_reaction"))
    odd_type["entry"][0]["changes"][0]["field"] = {"feed": True}
    long_id = copy.deepcopy(fixture("meta_feed_share"))
    long_id["entry"][0]["changes"][0]["value"]["post_id"] = "1" * (ID_LENGTH + 1)
    long_name = copy.deepcopy(fixture("meta_feed_reaction"))
    value = long_name["entry"][0]["changes"][0]["value"]
    value["from"]["name"] = "N" * (NAME_LENGTH + 50)
    deliveries = (good, odd_type, long_id, long_name)
    for delivery in deliveries:
        delivery["entry"][0]["id"] = PAGE_A
    events = [event for delivery in deliveries for event in ENDPOINTS["meta"].split(delivery)]
    delivery_id = receive_deliveries(inbound_rows(events))

    process_inbound_deliveries(delivery_ids=[delivery_id])

    statuses = InboundEvent.objects.values_list("status", flat=True)
    assert sorted(statuses) == ["processed", "processed", "skipped", "skipped"]
    assert Interaction.objects.count() == 2
    like = Interaction.objects.select_related("contact").get(kind="like")
    assert like.contact is not None
    assert like.contact.name == "N" * NAME_LENGTH
