"""Realistic, signed webhook deliveries, as the platforms would send them.

Bodies are encoded the way Meta sends them (non-ASCII as lowercase \\uXXXX escapes, `/` as
`\\/`) and signed over exactly those bytes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
import time
from typing import Any

import httpx

DEMO_COMMENTS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Jane Doe", "Is this available in blue?"),
        ("Sam Roe", "My order #4417 still hasn't arrived after two weeks. What's going on?"),
        ("Priya Patel", "Love the new autumn range, the packaging is gorgeous 😍"),
        ("Tom Becker", "Do you ship to Ireland, and how long does it take?"),
        ("Alex Kim", "Charged twice for the same order. Please fix this."),
    ],
    "de": [
        ("Anna Schmidt", "Gibt es die Jacke auch in Größe M?"),
        ("Lukas Weber", "Meine Bestellung ist seit zehn Tagen unterwegs. Können Sie nachsehen?"),
        ("Mia Fischer", "Super Beratung im Laden in Köln, vielen Dank!"),
        ("Jonas Wagner", "Warum ist der Preis seit letzter Woche um 20 € gestiegen?"),
    ],
    "pl": [
        ("Anna Kowalska", "Czy ten rower jest dostępny w rozmiarze L?"),
        ("Piotr Nowak", "Zamówienie nie dotarło, a minęły już dwa tygodnie. Co się dzieje?"),
        ("Zofia Wiśniewska", "Świetna obsługa w sklepie w Krakowie, dziękuję!"),
        ("Marek Zieliński", "Jak długo trwa zwrot pieniędzy za reklamację?"),
    ],
    "ru": [
        ("Анна Иванова", "Есть ли эта модель в синем цвете?"),
        ("Дмитрий Смирнов", "Заказ не пришёл уже две недели. Что происходит?"),
        ("Ольга Петрова", "Отличный сервис, спасибо!"),
    ],
}


def encode_like_meta(payload: Any) -> bytes:
    """JSON bytes in Meta's escaped-unicode form (platforms.md §1.3)."""
    return (
        json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()
    )


def sign_meta(raw_body: bytes, app_secret: str) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def _digits(length: int = 15) -> str:
    return str(random.randrange(10 ** (length - 1), 10**length))


def feed_comment_delivery(
    *,
    page_id: str,
    author_id: str,
    author_name: str,
    message: str,
    post_object_id: str | None = None,
    comment_object_id: str | None = None,
    verb: str = "add",
    created_time: int | None = None,
    parent_comment_id: str | None = None,
) -> dict[str, Any]:
    """A Page `feed` comment delivery in the shape of platforms.md §1.4."""
    post_object_id = post_object_id or _digits()
    comment_object_id = comment_object_id or _digits()
    post_id = f"{page_id}_{post_object_id}"
    created = created_time or int(time.time())
    value: dict[str, Any] = {
        "from": {"id": author_id, "name": author_name},
        "post": {
            "status_type": "added_photos",
            "is_published": True,
            "updated_time": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(created)),
            "permalink_url": f"https://www.facebook.com/{page_id}/posts/pfbid0{post_object_id}",
            "promotion_status": "inactive",
            "id": post_id,
        },
        "post_id": post_id,
        "comment_id": f"{post_object_id}_{comment_object_id}",
        "created_time": created,
        "item": "comment",
        "parent_id": parent_comment_id or post_id,
        "verb": verb,
    }
    if verb != "remove":
        value["message"] = message
    if verb == "edited":
        value["edited_time"] = created
    return {
        "object": "page",
        "entry": [
            {"id": page_id, "time": created + 2, "changes": [{"field": "feed", "value": value}]}
        ],
    }


def messenger_delivery(
    *,
    page_id: str,
    person_id: str,
    text: str,
    mid: str | None = None,
    timestamp_ms: int | None = None,
    is_echo: bool = False,
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Messenger message delivery in the shape of platforms.md §1.6 (an echo when the Page
    itself sent it)."""
    timestamp_ms = timestamp_ms or int(time.time() * 1000)
    message: dict[str, Any] = {"mid": mid or f"m_{_digits(20)}", "text": text}
    if attachments:
        message["attachments"] = attachments
    if is_echo:
        message["is_echo"] = True
    sender, recipient = (page_id, person_id) if is_echo else (person_id, page_id)
    return {
        "object": "page",
        "entry": [
            {
                "id": page_id,
                "time": timestamp_ms + 300,
                "messaging": [
                    {
                        "sender": {"id": sender},
                        "recipient": {"id": recipient},
                        "timestamp": timestamp_ms,
                        "message": message,
                    }
                ],
            }
        ],
    }


def random_demo_comment(*, page_id: str, language: str, post_object_id: str) -> dict[str, Any]:
    author_name, message = random.choice(DEMO_COMMENTS.get(language) or DEMO_COMMENTS["en"])
    return feed_comment_delivery(
        page_id=page_id,
        author_id=str(6 * 10**15 + random.randrange(10**9)),
        author_name=author_name,
        message=message,
        post_object_id=post_object_id,
    )


def post_meta_delivery(url: str, payload: Any, *, app_secret: str) -> httpx.Response:
    body = encode_like_meta(payload)
    return httpx.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign_meta(body, app_secret),
        },
        timeout=10,
    )


# --- Every platform and kind: the traffic generator behind `simulate_traffic` ----------------


def sign_x(raw_body: bytes, consumer_secret: str) -> str:
    """x-twitter-webhooks-signature over exactly these bytes (platforms.md §2.2)."""
    digest = hmac.new(consumer_secret.encode(), raw_body, hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _person(language: str) -> tuple[str, str, str]:
    """(id, name, handle) of a made-up person writing in `language`."""
    name, _text = random.choice(DEMO_COMMENTS.get(language) or DEMO_COMMENTS["en"])
    handle = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum()) or "fan"
    return _digits(16), name, f"{handle}{random.randrange(100)}"


def _text(language: str) -> str:
    return random.choice(DEMO_COMMENTS.get(language) or DEMO_COMMENTS["en"])[1]


def meta_delivery(kind: str, *, account_id: str, language: str) -> dict[str, Any]:
    """A signed-ready Meta delivery of `kind` for a Page (or an Instagram account)."""
    person_id, name, handle = _person(language)
    now = int(time.time())
    page_value: dict[str, Any] = {"from": {"id": person_id, "name": name}, "created_time": now}
    post_id = f"{account_id}_{_digits()}"
    match kind:
        case "comment":
            return random_demo_comment(
                page_id=account_id, language=language, post_object_id=_digits()
            )
        case "dm":
            return messenger_delivery(page_id=account_id, person_id=person_id, text=_text(language))
        case "like":
            value = {
                **page_value,
                "item": "reaction",
                "reaction_type": random.choice(["like", "love", "wow"]),
                "verb": "add",
                "post_id": post_id,
                "parent_id": post_id,
            }
            field = "feed"
        case "share":
            value = {
                **page_value,
                "item": "share",
                "verb": "add",
                "share_id": _digits(),
                "post_id": f"{person_id}_{_digits()}",
                "link": f"https://www.facebook.com/{account_id}/posts/pfbid0{_digits(8)}",
                "message": _text(language),
            }
            field = "feed"
        case "mention":
            value = {
                "post_id": f"{person_id}_{_digits()}",
                "item": "post",
                "verb": "add",
                "sender_id": person_id,
                "sender_name": name,
                "message": _text(language),
                "created_time": now,
            }
            field = "mention"
        case "review":
            value = {
                "item": "rating",
                "verb": "add",
                "recommendation_type": random.choice(["positive", "negative"]),
                "review_text": _text(language),
                "reviewer_id": person_id,
                "reviewer_name": name,
                "open_graph_story_id": _digits(),
                "created_time": now,
            }
            field = "ratings"
        case "instagram_comment":
            value = {
                "id": _digits(17),
                "from": {"id": person_id, "username": handle},
                "text": _text(language),
                "media": {"id": _digits(17), "media_product_type": "FEED"},
            }
            return {
                "object": "instagram",
                "entry": [
                    {
                        "id": account_id,
                        "time": now,
                        "changes": [{"field": "comments", "value": value}],
                    }
                ],
            }
        case "instagram_dm":
            delivery = messenger_delivery(
                page_id=account_id, person_id=person_id, text=_text(language)
            )
            return {**delivery, "object": "instagram"}
        case "instagram_story_mention":
            delivery = messenger_delivery(
                page_id=account_id,
                person_id=person_id,
                text="",
                attachments=[
                    {
                        "type": "story_mention",
                        "payload": {"url": f"https://lookaside.fbsbx.com/story/{_digits(12)}"},
                    }
                ],
            )
            return {**delivery, "object": "instagram"}
        case _:
            raise ValueError(f"no Meta delivery of kind {kind!r}")
    return {
        "object": "page",
        "entry": [{"id": account_id, "time": now, "changes": [{"field": field, "value": value}]}],
    }


def x_delivery(kind: str, *, account_id: str, language: str) -> dict[str, Any]:
    """An Account Activity delivery of `kind` for our X account (platforms.md §2.3)."""
    person_id, name, handle = _person(language)
    user = {
        "id_str": person_id,
        "id": person_id,
        "name": name,
        "screen_name": handle,
        "followers_count": random.randrange(5, 50_000),
        "verified": False,
    }
    now_ms = int(time.time() * 1000)
    tweet = {
        "created_at": time.strftime("%a %b %d %H:%M:%S +0000 %Y", time.gmtime()),
        "id_str": _digits(19),
        "text": f"@brand {_text(language)}",
        "user": user,
        "timestamp_ms": str(now_ms),
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id_str": None,
    }
    event: dict[str, Any]
    match kind:
        case "mention":
            return {"for_user_id": account_id, "tweet_create_events": [tweet]}
        case "comment":
            tweet |= {
                "in_reply_to_status_id_str": _digits(19),
                "in_reply_to_user_id_str": account_id,
            }
            return {"for_user_id": account_id, "tweet_create_events": [tweet]}
        case "dm":
            event = {
                "type": "message_create",
                "id": _digits(18),
                "created_timestamp": str(now_ms),
                "message_create": {
                    "target": {"recipient_id": account_id},
                    "sender_id": person_id,
                    "message_data": {"text": _text(language)},
                },
            }
            return {
                "for_user_id": account_id,
                "direct_message_events": [event],
                "users": {person_id: {**user, "id": person_id}},
            }
        case "follow" | "unfollow":
            event = {
                "type": kind,
                "created_timestamp": str(now_ms),
                "target": {"id": account_id},
                "source": {**user, "id": person_id},
            }
            return {"for_user_id": account_id, "follow_events": [event]}
        case "like":
            event = {
                "id": secrets.token_hex(16),
                "timestamp_ms": now_ms,
                "favorited_status": {"id_str": _digits(19), "user": {"id_str": account_id}},
                "user": user,
            }
            return {"for_user_id": account_id, "favorite_events": [event]}
    raise ValueError(f"no X delivery of kind {kind!r}")


def google_review(location: str, *, language: str) -> dict[str, Any]:
    """A Google review resource (§3.1), for the simulator to serve."""
    _id, name, _handle = _person(language)
    review_id = secrets.token_urlsafe(18).replace("-", "A").replace("_", "B")
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {
        "name": f"{location}/reviews/{review_id}",
        "reviewId": review_id,
        "reviewer": {"displayName": name, "isAnonymous": False},
        "starRating": random.choice(["ONE", "TWO", "FOUR", "FIVE"]),
        "comment": _text(language),
        "createTime": now,
        "updateTime": now,
    }


def google_push(review: dict[str, Any]) -> dict[str, Any]:
    """The Pub/Sub push envelope announcing `review` (§3.3)."""
    location = review["name"].split("/reviews/")[0]
    data = {"type": "NEW_REVIEW", "locationName": location, "reviewName": review["name"]}
    message_id = _digits(16)
    return {
        "message": {
            "attributes": {},
            "data": base64.b64encode(json.dumps(data).encode()).decode(),
            "messageId": message_id,
            "message_id": message_id,
            "publishTime": review["createTime"],
        },
        "subscription": "projects/parley-demo/subscriptions/gbp-reviews-push",
    }


def youtube_thread(channel_id: str, *, language: str) -> dict[str, Any]:
    person_id, _name, handle = _person(language)
    text = _text(language)
    thread_id = "Ugz" + secrets.token_urlsafe(15).replace("-", "a").replace("_", "b")
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    snippet = {
        "channelId": channel_id,
        "videoId": secrets.token_urlsafe(8)[:11],
        "textDisplay": text,
        "textOriginal": text,
        "authorDisplayName": f"@{handle}",
        "authorChannelId": {"value": f"UC{person_id}"},
        "publishedAt": now,
        "updatedAt": now,
    }
    return {
        "kind": "youtube#commentThread",
        "id": thread_id,
        "snippet": {
            "channelId": channel_id,
            "videoId": snippet["videoId"],
            "topLevelComment": {"kind": "youtube#comment", "id": thread_id, "snippet": snippet},
            "canReply": True,
            "totalReplyCount": 0,
            "isPublic": True,
        },
    }


def linkedin_comment(post_urn: str, *, language: str) -> dict[str, Any]:
    comment_id = _digits(19)
    activity = post_urn.replace("urn:li:share:", "urn:li:activity:")
    urn = f"urn:li:comment:({activity},{comment_id})"
    actor = f"urn:li:person:{secrets.token_urlsafe(8)}"
    now_ms = int(time.time() * 1000)
    return {
        "actor": actor,
        "commentUrn": urn,
        "$URN": urn,
        "id": comment_id,
        "object": post_urn,
        "message": {"attributes": [], "text": _text(language)},
        "created": {"actor": actor, "time": now_ms},
        "lastModified": {"actor": actor, "time": now_ms},
    }


def tiktok_comment(video_id: str, *, language: str) -> dict[str, Any]:
    person_id, _name, handle = _person(language)
    return {
        "comment_id": _digits(19),
        "video_id": video_id,
        "user_id": person_id,
        "create_time": int(time.time()),
        "text": _text(language),
        "likes": 0,
        "replies": 0,
        "owner": False,
        "liked": False,
        "pinned": False,
        "status": "PUBLIC",
        "username": handle,
        "profile_image": "",
    }


def post_x_delivery(url: str, payload: Any, *, consumer_secret: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    return httpx.post(
        url,
        content=body,
        headers={
            "Content-Type": "application/json",
            "x-twitter-webhooks-signature": sign_x(body, consumer_secret),
        },
        timeout=10,
    )


def seed_simulator(simulator_url: str, collection: str, items: list[dict[str, Any]]) -> None:
    """Add items to what the simulator's read endpoints serve (polled platforms)."""
    response = httpx.post(
        f"{simulator_url}/_simulator/data",
        json={"collection": collection, "items": items},
        timeout=10,
    )
    response.raise_for_status()


def post_google_push(url: str, envelope: Any, *, token: str) -> httpx.Response:
    return httpx.post(url, params={"token": token}, json=envelope, timeout=10)


def instagram_mention(account_id: str, *, language: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """An Instagram comment mention: (the webhook delivery, which carries ids only, and what
    the simulator must answer to the enrichment fetch, §1.8)."""
    _person_id, _name, handle = _person(language)
    comment_id, media_id = _digits(17), _digits(17)
    fetched = {
        "id": comment_id,
        "text": f"@brand {_text(language)}",
        "username": handle,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime()),
        "media": {"id": media_id, "permalink": f"https://www.instagram.com/p/{_digits(8)}/"},
    }
    delivery = {
        "object": "instagram",
        "entry": [
            {
                "id": account_id,
                "time": int(time.time()),
                "changes": [
                    {"field": "mentions", "value": {"comment_id": comment_id, "media_id": media_id}}
                ],
            }
        ],
    }
    return delivery, fetched
