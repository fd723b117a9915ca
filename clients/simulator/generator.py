"""Realistic, signed webhook deliveries, as the platforms would send them.

Bodies are encoded the way Meta sends them (non-ASCII as lowercase \\uXXXX escapes, `/` as
`\\/`) and signed over exactly those bytes."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
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
