"""Publishing inbox events and reading presence. Synchronous: called from views and workers.

Events go to one Redis pub/sub channel per client. The browser learns *that* something
changed and asks the page server for the fresh HTML, so what it sees is always what the
person may see, rendered by the same code as the page."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core import signing
from django.db import transaction

CHANNEL_PREFIX = "parley:live:"
TOKEN_SALT = "parley.live-stream"  # noqa: S105 (a signing namespace, not a secret)
TOKEN_MAX_AGE = 12 * 3600
# A viewer who has not said "still here" for this long is gone (the page says it every 10 s).
PRESENCE_TTL_SECONDS = 25
TYPING_TTL_SECONDS = 6


@functools.cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def channel(client_id: int) -> str:
    """Pub/sub channels are server-wide, not per Redis database: name the installation (its
    Redis URL) so two installations, or two test processes, sharing a server never mix."""
    return f"{CHANNEL_PREFIX}{_installation()}:{client_id}"


@functools.cache
def _installation() -> str:
    return hashlib.sha256(settings.REDIS_URL.encode()).hexdigest()[:12]


def publish(client_id: int, event: str, data: dict[str, Any] | None = None) -> None:
    """Publish after the current transaction commits (at once outside one): a browser that
    reacts must find the change in the database."""
    publish_all(client_id, [(event, data or {})])


def publish_all(client_id: int, batch: list[tuple[str, dict[str, Any]]]) -> None:
    """`publish` for several events at once: one Redis message, which the stream relays as
    separate events (inbox/live/asgi.py). An ingestion batch touches hundreds of threads;
    a message each cost the worker a Redis command per thread."""
    message = json.dumps({"events": [{"event": event, "data": data} for event, data in batch]})

    def send() -> None:
        # Live updates are a convenience: the page is right on its next load anyway.
        with contextlib.suppress(redis.RedisError):
            _redis().publish(channel(client_id), message)

    transaction.on_commit(send)


def conversation_changed(client_id: int, conversation_id: int) -> None:
    conversations_changed(client_id, [conversation_id])


def stream_token(*, user_id: int, client_id: int) -> str:
    return signing.dumps({"u": user_id, "c": client_id}, salt=TOKEN_SALT)


def read_stream_token(token: str) -> tuple[int, int] | None:
    """(user id, client id) of a valid token, else None."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    if not isinstance(data.get("c"), int):
        return None
    return data["u"], data["c"]


# --- Presence ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    user_id: int
    name: str
    typing: bool


def _presence_key(client_id: int, conversation_id: int) -> str:
    return f"parley:presence:{client_id}:{conversation_id}"


def mark_present(
    *, client_id: int, conversation_id: int, user_id: int, name: str, typing: bool
) -> None:
    """Record that the person has the conversation open (and whether they are typing)."""
    now = time.time()
    key = _presence_key(client_id, conversation_id)
    value = json.dumps(
        {"name": name, "seen": now, "typing_until": now + TYPING_TTL_SECONDS if typing else 0}
    )
    pipe = _redis().pipeline()
    pipe.hset(key, str(user_id), value)
    pipe.expire(key, PRESENCE_TTL_SECONDS * 4)
    pipe.execute()
    publish(client_id, f"presence-{conversation_id}")


def viewers(*, client_id: int, conversation_id: int, except_user_id: int) -> list[Viewer]:
    """Who else has the conversation open now, and who of them is typing."""
    now = time.time()
    try:
        entries = _redis().hgetall(_presence_key(client_id, conversation_id))
    except redis.RedisError:
        return []
    present = []
    for raw_user, raw_value in entries.items():
        user_id = int(raw_user)
        value = json.loads(raw_value)
        if user_id == except_user_id or now - value["seen"] > PRESENCE_TTL_SECONDS:
            continue
        present.append(Viewer(user_id, value["name"], value["typing_until"] > now))
    return sorted(present, key=lambda viewer: viewer.name)


def conversations_changed(client_id: int, conversation_ids: list[int]) -> None:
    """One inbox refresh and an event per conversation (its open page reloads its thread),
    in one message after the commit."""
    if not conversation_ids:
        return
    inbox_refresh = ("inbox", {"conversation": conversation_ids[0]})
    publish_all(
        client_id, [inbox_refresh, *((f"conversation-{pk}", {}) for pk in conversation_ids)]
    )
