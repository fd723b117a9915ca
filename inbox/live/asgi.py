"""The live-update stream: a plain ASGI app, served by uvicorn beside gunicorn.

    GET /live/<client id>/?token=<signed by the page>   ->   text/event-stream

Each open inbox holds one connection. Sync Django under ASGI is several times slower than
gunicorn for pages (DESIGN.md, "Running it"), and a held connection would pin a sync worker,
so streams get this small async path: no ORM, no request per event. The page server signs
a token naming the person and the client (after checking their membership), and this app
only verifies it and relays that client's Redis channel.

Run: uvicorn inbox.live.asgi:app --port 8001
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import django
import redis.asyncio as aioredis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.conf import settings  # noqa: E402

from inbox.live.events import channel, read_stream_token  # noqa: E402

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PATH = re.compile(r"^/live/(?P<client>\d+)/$")
KEEPALIVE_SECONDS = 15.0


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    match = PATH.match(scope["path"])
    if scope["method"] == "OPTIONS":
        await _respond(send, 204, b"", scope)
        return
    if scope["method"] != "GET" or match is None:
        await _respond(send, 404, b"Not found.", scope)
        return
    token = parse_qs(scope["query_string"].decode()).get("token", [""])[0]
    identity = read_stream_token(token)
    if identity is None or identity[1] != int(match["client"]):
        await _respond(send, 403, b"This stream needs a fresh page.", scope)
        return
    await _stream(identity[1], scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _cors_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """The stream is read by pages of the main origin (another port): allow exactly it."""
    origin = dict(scope["headers"]).get(b"origin", b"")
    allowed = settings.PARLEY_BASE_URL.rstrip("/").encode()
    if origin and origin == allowed:
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-credentials", b"true"),
            (b"vary", b"origin"),
        ]
    return []


async def _respond(send: Send, status: int, body: bytes, scope: Scope) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *_cors_headers(scope)],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _stream(client_id: int, scope: Scope, receive: Receive, send: Send) -> None:
    connection = aioredis.Redis.from_url(settings.REDIS_URL)
    pubsub = connection.pubsub()
    await pubsub.subscribe(channel(client_id))
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"text/event-stream"),
                (b"cache-control", b"no-cache"),
                (b"x-accel-buffering", b"no"),
                *_cors_headers(scope),
            ],
        }
    )
    # Tell the browser to retry after 2 s if the connection drops.
    await send({"type": "http.response.body", "body": b"retry: 2000\n\n", "more_body": True})
    disconnected = asyncio.create_task(_wait_for_disconnect(receive))
    try:
        while not disconnected.done():
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=KEEPALIVE_SECONDS
            )
            body = _event_bytes(message) if message else b": keepalive\n\n"
            await send({"type": "http.response.body", "body": body, "more_body": True})
    except OSError:
        pass  # the browser went away mid-write
    finally:
        disconnected.cancel()
        await pubsub.unsubscribe()
        await pubsub.aclose()
        await connection.aclose()


def _event_bytes(message: dict[str, Any]) -> bytes:
    """The server-sent events of one published message: a batch (`{"events": [...]}`, see
    events.publish_all) or a single event."""
    payload = json.loads(message["data"])
    if not isinstance(payload, dict):
        return b""
    batch = payload.get("events")
    items = batch if isinstance(batch, list) else [payload]
    return b"".join(_one_event(item) for item in items if isinstance(item, dict))


def _one_event(item: dict[str, Any]) -> bytes:
    event = re.sub(r"[^\w-]", "", str(item.get("event", "message")))
    data = json.dumps(item.get("data", {}))
    return f"event: {event}\ndata: {data}\n\n".encode()


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
