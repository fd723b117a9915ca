"""The receiver's Publisher: a task per full batch at once, the rest together a little later,
and nothing left behind when it closes."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from clients.services import BATCH_LIMIT
from clients.webhooks.receiver import Publisher


@pytest.fixture(autouse=True)
def long_linger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever waits for its batch waits until close(): the tests do not race the clock."""
    monkeypatch.setattr(Publisher, "LINGER", 60.0)


def wait_for(condition: Callable[[], object], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_full_batches_go_at_once_and_the_rest_follows_in_one_task() -> None:
    sent: list[list[int]] = []
    publisher = Publisher(send=sent.append)
    publisher.publish(list(range(2 * BATCH_LIMIT + 120)))
    wait_for(lambda: sent)
    publisher.publish([9001, 9002])
    publisher.close()
    assert sent == [
        list(range(2 * BATCH_LIMIT)),
        [*range(2 * BATCH_LIMIT, 2 * BATCH_LIMIT + 120), 9001, 9002],
    ]


def test_a_failed_publish_does_not_stop_the_next() -> None:
    sent: list[list[int]] = []

    def send(event_ids: list[int]) -> None:
        if not sent:
            sent.append([])
            raise ConnectionError("the broker is away")
        sent.append(event_ids)

    publisher = Publisher(send=send)
    publisher.publish([1])
    wait_for(lambda: sent)
    publisher.publish([2])
    publisher.close()
    assert sent == [[], [2]]
