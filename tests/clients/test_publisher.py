"""The receiver's Publisher: a task per full batch of events at once, the rest together a
little later, and nothing left behind when it closes. It is given committed InboundDelivery
rows with their number of events, and sends lists of row ids."""

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
    publisher.publish(0, 1)  # the first after a quiet spell goes at once
    wait_for(lambda: sent)
    # Rows of 200 events: the third fills a batch (600 >= BATCH_LIMIT), and so on.
    assert BATCH_LIMIT == 500
    for row in range(1, 8):
        publisher.publish(row, 200)
    wait_for(lambda: len(sent) >= 3)
    publisher.publish(9001, 5)
    publisher.close()
    assert sent == [[0], [1, 2, 3], [4, 5, 6], [7, 9001]]


def test_a_batch_is_counted_in_events_not_rows() -> None:
    sent: list[list[int]] = []
    publisher = Publisher(send=sent.append)
    publisher.publish(0, 1)
    wait_for(lambda: sent)
    publisher.publish(1, 1)
    publisher.publish(2, BATCH_LIMIT + 1)  # one big commit fills a batch by itself
    wait_for(lambda: len(sent) >= 2)
    publisher.publish(3, 1)
    publisher.close()
    assert sent == [[0], [1, 2], [3]]


def test_a_failed_publish_does_not_stop_the_next() -> None:
    sent: list[list[int]] = []

    def send(event_ids: list[int]) -> None:
        if not sent:
            sent.append([])
            raise ConnectionError("the broker is away")
        sent.append(event_ids)

    publisher = Publisher(send=send)
    publisher.publish(1, 10)
    wait_for(lambda: sent)
    publisher.publish(2, 10)
    publisher.close()
    assert sent == [[], [2]]
