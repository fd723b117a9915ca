"""The webhook receiver: the platforms' endpoints on a lean async path, served by uvicorn.

    POST /webhooks/meta/   /webhooks/x/   /webhooks/google/?token=...   (and the handshake GETs)

Platforms time out and retry when an answer is slow, and they send in bursts, so the
acknowledgement gets its own process, like the live-update streams (inbox/live/asgi.py). Each
request is checked and answered exactly as the Django views answer it (deliveries.py decides
both); what differs is the storing. An acknowledgement still waits until its events are
committed, but the deliveries that arrive while a process's commits are in flight (two at a
time, each on its own connection) are stored together by the next one (group commit): one
row and one WAL flush for many deliveries (an InboundDelivery, which a worker turns into
InboundEvents; clients/models.py says why), and a processing task per 200 ms or 500 events
instead of one per request. bench/ingest.py measures it.

If storing fails (PostgreSQL down or restarting) the answer is 503 and nothing is
acknowledged: the platform sends the delivery again. If publishing the processing task fails
after the commit, the row is stored, and beat's stale-event sweep queues it.

Run: uvicorn clients.webhooks.receiver:app --port 8002 --loop uvloop --http httptools
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import django
import psycopg
from psycopg.conninfo import make_conninfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()

from django.conf import settings  # noqa: E402

from clients.services import (  # noqa: E402
    BATCH_LIMIT,
    STAGE_DELIVERIES_SQL,
    delivery_batches,
    inbound_rows,
    joined_rows,
    prepare_publishing,
    schedule_delivery_processing,
)
from clients.webhooks import deliveries  # noqa: E402

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

PATH = re.compile(r"^/webhooks/(?P<endpoint>[a-z]+)/?$")
NOT_STORED = deliveries.problem(
    503, "not_stored", "The delivery could not be stored just now; send it again."
)


class NotStored(Exception):
    """The commit that was to hold a delivery failed; it must not be acknowledged."""


class ClientGone(Exception):
    """The sender closed the connection before its body arrived."""


def _conninfo() -> str:
    database = settings.DATABASES["default"]
    parts: dict[str, str] = {
        "dbname": str(database["NAME"]),
        "user": str(database.get("USER") or ""),
        "password": str(database.get("PASSWORD") or ""),
        "host": str(database.get("HOST") or ""),
        "port": str(database.get("PORT") or ""),
        "application_name": os.environ.get("PGAPPNAME", "parley-webhooks"),
        "connect_timeout": "5",
    }
    return make_conninfo("", **{key: value for key, value in parts.items() if value})


# A delivery waiting for its commit: its events document, how many events, its answer.
Waiting = tuple[str, int, "asyncio.Future[None]"]


class _Line:
    """One connection the group commit writes on (connected on first use, and again after
    a failure)."""

    def __init__(self) -> None:
        self.connection: psycopg.AsyncConnection[Any] | None = None

    async def connect(self) -> psycopg.AsyncConnection[Any]:
        if self.connection is None or self.connection.closed:
            self.connection = await psycopg.AsyncConnection.connect(_conninfo(), autocommit=True)
        return self.connection

    async def forget(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(psycopg.Error, OSError):  # it may be broken already
                await self.connection.close()
        self.connection = None


class GroupCommit:
    """Stores the events of concurrent deliveries in shared commits, as one InboundDelivery
    row per commit (clients/models.py says why), with up to LINES commits in flight, each on
    a connection of its own.

    `store` returns once the events are committed. The deliveries that arrive while every
    line is busy wait together for the first to come free; with one line, a delivery that
    arrived just after a commit began waited for that commit and then its own, which under
    load (PostgreSQL's CPU shared with the worker's sessions) was most of its wait."""

    LINES = 2

    def __init__(self, publisher: Publisher | None = None) -> None:
        self._waiting: list[Waiting] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self._lines = [_Line() for _ in range(self.LINES)]
        self._free: asyncio.Queue[_Line] = asyncio.Queue()
        for line in self._lines:
            self._free.put_nowait(line)
        self._commits: set[asyncio.Task[None]] = set()
        self._publisher = publisher or Publisher()

    async def store(self, rows: str, event_count: int) -> None:
        """Return once `rows` (an `inbound_rows` document of `event_count` events) is
        committed; raise NotStored if its commit failed."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever())
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, event_count, future))
        self._wake.set()
        await future

    async def warm_up(self) -> None:
        """Connect to PostgreSQL and prepare publishing before the first delivery arrives,
        which would otherwise wait for both. Either failing now is not fatal: the first
        commit or publish tries again (a commit answers 503 while it cannot; the sweep
        queues what a failed publish left)."""
        try:
            for line in self._lines:
                await line.connect()
        except (psycopg.Error, OSError) as error:
            logger.warning("PostgreSQL is not reachable yet (%s); connecting on first use", error)
        try:
            await asyncio.to_thread(prepare_publishing)
        except Exception as error:  # kombu's and redis's errors alike
            logger.warning("The broker is not reachable yet (%s); connecting on first use", error)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
        for commit in list(self._commits):
            commit.cancel()
        for line in self._lines:
            await line.forget()
        self._publisher.close()

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            line = await self._free.get()
            batch, self._waiting = self._waiting, []
            if not batch:  # taken by the commit before, while this one waited for a line
                self._free.put_nowait(line)
                continue
            commit = asyncio.create_task(self._commit_on(line, batch))
            self._commits.add(commit)
            commit.add_done_callback(self._commits.discard)

    async def _commit_on(self, line: _Line, batch: list[Waiting]) -> None:
        try:
            await self._commit(line, batch)
        finally:
            self._free.put_nowait(line)

    async def _commit(self, line: _Line, batch: list[Waiting]) -> None:
        rows = joined_rows([delivery for delivery, _, _ in batch])
        event_count = sum(count for _, count, _ in batch)
        try:
            connection = await line.connect()
        except (psycopg.Error, OSError):
            logger.exception(
                "PostgreSQL is unreachable; %d deliveries not acknowledged", len(batch)
            )
            _settle(batch, NotStored())
            return
        try:
            # Autocommit: the statement's answer arrives after its commit is flushed.
            cursor = await connection.execute(STAGE_DELIVERIES_SQL, [rows, event_count])
            stored = await cursor.fetchone()
        except Exception:  # whatever it was, these deliveries are not stored
            await line.forget()
            if len(batch) > 1:
                # One delivery PostgreSQL refuses must not hold back the others: each alone.
                logger.warning("Storing %d deliveries together failed; one by one", len(batch))
                for one in batch:
                    await self._commit(line, [one])
                return
            logger.exception("Storing a delivery failed; not acknowledged")
            _settle(batch, NotStored())
            return
        _settle(batch, None)
        if stored is not None:
            self._publisher.publish(stored[0], event_count)


def _settle(batch: list[Waiting], error: Exception | None) -> None:
    """Answer the deliveries waiting on a commit: stored (None), or not."""
    for _, _, future in batch:
        if future.done():  # its sender is gone
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


class Publisher:
    """Queues processing tasks for committed deliveries from a thread of its own (Celery's
    publish blocks, and commits must not wait for it). At most one round of tasks per LINGER
    seconds (sooner once the deliveries fill a batch): the first commit after a quiet spell
    goes out at once, and in a burst the rows of many commits go together, a task per
    BATCH_LIMIT events or so rather than one per commit. Publishing a task costs more CPU
    than storing a delivery, and the events are safe in the table meanwhile."""

    LINGER = 0.2

    def __init__(self, send: Callable[[list[int]], None] | None = None) -> None:
        self._send = send or schedule_delivery_processing
        # (InboundDelivery id, its number of events), in the order committed.
        self._deliveries: list[tuple[int, int]] = []
        self._events = 0
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="publish", daemon=True)
        self._thread.start()

    def publish(self, delivery_id: int, event_count: int) -> None:
        with self._ready:
            self._deliveries.append((delivery_id, event_count))
            self._events += event_count
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join(10)

    def _run(self) -> None:
        published_at = -self.LINGER
        while True:
            with self._ready:
                while not self._deliveries and not self._closed:
                    self._ready.wait()
                deadline = published_at + self.LINGER
                while self._events < BATCH_LIMIT and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._ready.wait(left)
                # Full batches go now, and what is left over waits for the rest of its batch
                # (publishing it at once made a small task beside every full one).
                groups, rest = delivery_batches(self._deliveries)
                if (self._closed or not groups) and rest:
                    groups, rest = [*groups, [delivery_id for delivery_id, _ in rest]], []
                self._deliveries, self._events = rest, sum(count for _, count in rest)
                if self._closed and not groups:
                    return
            published_at = time.monotonic()
            for group in groups:
                try:
                    self._send(group)
                except Exception:
                    # Stored: the stale-event sweep (clients.tasks) queues them.
                    logger.exception(
                        "Queueing %d stored deliveries failed; the sweep will", len(group)
                    )


@functools.cache
def _committer() -> GroupCommit:
    return GroupCommit()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    match = PATH.match(scope["path"])
    if match is None:
        await _respond(send, deliveries.NOT_FOUND)
        return
    endpoint = match["endpoint"]
    query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
    if scope["method"] == "GET":
        await _respond(send, deliveries.answer_get(endpoint, query))
        return
    if scope["method"] != "POST":
        await _respond(send, deliveries.not_allowed(endpoint))
        return
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }
    try:
        raw = await _read_limited_body(receive, headers)
    except ClientGone:
        return
    answer = deliveries.answer_post(endpoint, raw, headers, query)
    if answer.events:
        try:
            await _committer().store(inbound_rows(answer.events), len(answer.events))
        except NotStored:
            answer = NOT_STORED
    await _respond(send, answer)


async def _read_limited_body(receive: Receive, headers: dict[str, str]) -> bytes | None:
    """The raw body, or None when it is larger than WEBHOOK_MAX_BODY_BYTES (reading stops
    there; a declared length over the limit is refused before reading anything)."""
    if deliveries.too_large(headers.get("content-length")):
        return None
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, answer: deliveries.Answer) -> None:
    headers = [
        (b"content-type", answer.content_type.encode()),
        (b"content-length", str(len(answer.body)).encode()),
        *((name.lower().encode(), value.encode()) for name, value in answer.headers),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await _committer().warm_up()
            # What is loaded by now lives as long as the process: out of the collector's
            # sight, or its first full collections walk it all (40 and 65 ms, one in each
            # process, in the first second of a burst: bench/ingest.py --quick's p99).
            gc.collect()
            gc.freeze()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await _committer().close()
            await send({"type": "lifespan.shutdown.complete"})
            return
