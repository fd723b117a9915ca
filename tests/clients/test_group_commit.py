"""The webhook receiver's group commit (clients/webhooks/receiver.py), in-process on the test
database: a delivery that arrives while a commit is in flight starts the next commit at once
on a second connection, the ones that arrive while both are busy wait and are stored
together, and each is answered only once its commit is done."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from clients.webhooks.receiver import GroupCommit, Publisher, _conninfo

pytestmark = pytest.mark.django_db


ACCOUNT = "group-commit-test"


def delivery(number: int) -> str:
    """An events document of one event, as `inbound_rows` makes them."""
    return (
        f'[{{"platform": "facebook", "account": "{ACCOUNT}", '
        f'"dedupe_key": "event-{number}", "payload": {{}}}}]'
    )


@pytest.fixture
def watcher() -> Iterator[psycopg.Connection]:
    """A session of its own that watches the receiver's sessions, and removes afterwards what
    the group commit stored (committed on its own connections, outside the test's
    transaction)."""
    with psycopg.connect(_conninfo(), autocommit=True) as session:
        yield session
        session.execute(
            "DELETE FROM public.clients_inbounddelivery WHERE events LIKE %s", [f"%{ACCOUNT}%"]
        )


def blocked_inserts(watcher: psycopg.Connection) -> int:
    """Sessions waiting for a lock to insert into the receiver's table."""
    row = watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND query LIKE %s",
        ["%INSERT INTO public.clients_inbounddelivery%"],
    ).fetchone()
    return int(row[0]) if row else 0


async def until(condition: Callable[[], bool], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_a_second_commit_starts_while_the_first_is_in_flight(watcher: psycopg.Connection) -> None:
    published: list[list[int]] = []
    blocker = psycopg.connect(_conninfo())
    # Every INSERT into the receiver's table waits until this transaction ends.
    blocker.execute("LOCK TABLE public.clients_inbounddelivery IN SHARE MODE")

    async def scenario() -> int:
        committer = GroupCommit(publisher=Publisher(send=published.append))
        try:
            first = asyncio.create_task(committer.store(delivery(1), 1))
            await until(lambda: blocked_inserts(watcher) == 1)
            second = asyncio.create_task(committer.store(delivery(2), 1))
            await until(lambda: blocked_inserts(watcher) == 2)  # not behind the first
            later = [asyncio.create_task(committer.store(delivery(n), 1)) for n in (3, 4)]
            await asyncio.sleep(0.3)
            waiting = blocked_inserts(watcher)  # both lines busy: the later two wait
            assert not any(task.done() for task in (first, second, *later))  # none answered
            blocker.commit()  # the lock goes, and every commit goes through
            await asyncio.gather(first, second, *later)
            return waiting
        finally:
            await committer.close()

    try:
        assert asyncio.run(scenario()) == 2
    finally:
        blocker.close()
    rows = watcher.execute(
        "SELECT id, event_count FROM public.clients_inbounddelivery WHERE events LIKE %s"
        " ORDER BY id",
        [f"%{ACCOUNT}%"],
    ).fetchall()
    # The last two arrived while both lines were busy: stored together, in one row.
    assert [count for _, count in rows] == [1, 1, 2]
    assert sorted(pk for task in published for pk in task) == [pk for pk, _ in rows]
