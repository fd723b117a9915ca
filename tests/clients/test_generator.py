"""The traffic generator (simulate_traffic, make run's demo stream) sends what the platforms
send: every kind parses to the interaction it stands for, signed so the webhooks accept it."""

from __future__ import annotations

import json

import pytest

from clients.platforms import get_connector, google_business, meta, normalize_all, x
from clients.simulator import generator

META_KINDS = {
    "comment": ("facebook", "comment"),
    "dm": ("messenger", "dm"),
    "like": ("facebook", "like"),
    "share": ("facebook", "share"),
    "mention": ("facebook", "mention"),
    "review": ("facebook", "review"),
    "instagram_comment": ("instagram", "comment"),
    "instagram_dm": ("instagram", "dm"),
    "instagram_story_mention": ("instagram", "mention"),
}
X_KINDS = ["mention", "comment", "dm", "follow", "unfollow", "like"]


def kinds_of(events: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    found = []
    for event in events:
        connector = get_connector(event.platform)
        assert connector is not None
        found += [(n.platform, str(n.kind)) for n in normalize_all(connector, event.payload)]
    return found


@pytest.mark.parametrize("language", ["en", "de", "pl", "ru"])
@pytest.mark.parametrize(("kind", "expected"), META_KINDS.items())
def test_meta_kinds(kind: str, expected: tuple[str, str], language: str) -> None:
    payload = generator.meta_delivery(kind, account_id="105000000000001", language=language)
    body = generator.encode_like_meta(payload)
    assert meta.verify_signature(body, generator.sign_meta(body, "s"), "s")
    assert kinds_of(meta.split_delivery(json.loads(body))) == [expected]


@pytest.mark.parametrize("kind", X_KINDS)
def test_x_kinds(kind: str) -> None:
    payload = generator.x_delivery(kind, account_id="2244994945", language="de")
    body = json.dumps(payload).encode()
    assert x.verify_signature(body, generator.sign_x(body, "s"), "s")
    assert kinds_of(x.split_delivery(payload)) == [("x", kind)]


def test_instagram_mention_comes_with_what_its_fetch_will_find() -> None:
    delivery, fetched = generator.instagram_mention("17841400000000001", language="pl")
    [event] = meta.split_delivery(delivery)
    payload = {**event.payload, "fetched": {"mentioned_comment": fetched}}
    [mention] = normalize_all(get_connector("instagram"), payload)  # type: ignore[arg-type]
    assert (mention.kind, mention.external_id) == ("mention", fetched["id"])


def test_google_review_and_its_push() -> None:
    review = generator.google_review("accounts/1/locations/2", language="ru")
    [event] = google_business.split_push(generator.google_push(review))
    assert event.payload["notification"]["review"] == review["name"]
    [item] = google_business.normalize_event({"review": review})
    assert item.kind == "review"
    assert item.rating in (1, 2, 4, 5)
