"""A reply reaches the platform exactly once, whatever happens to its task."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from inbox.models import Interaction, Reply
from inbox.services import create_reply, reconcile_stuck_replies, send_reply
from inbox.tasks import send_reply_task
from tests.conftest import Cast, Simulator
from tests.factories import make_comment

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment(cast: Cast, in_client_a: Any) -> Any:
    return make_comment(cast.page_a)


def graph_calls(simulator: Simulator) -> list[dict[str, Any]]:
    return [r for r in simulator.requests if r["path"].endswith("/comments")]


def test_reply_is_posted_to_the_graph_api_and_marked_sent(
    cast: Cast, comment: Any, simulator: Simulator, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reply = create_reply(interaction=comment, author=cast.agent_a, text="Yes, in navy.")

    reply.refresh_from_db()
    [call] = graph_calls(simulator)
    assert call["method"] == "POST"
    assert call["path"] == f"/v21.0/{comment.external_id}/comments"
    assert call["body"] == {"message": "Yes, in navy."}
    assert call["authorization"] == "Bearer page-token-a"
    assert reply.status == Reply.Status.SENT
    assert reply.external_id.startswith("700000000000001_")
    assert reply.sent_at is not None
    assert list(reply.events.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "approved"),
        ("approved", "sending"),
        ("sending", "sent"),
    ]
    comment.refresh_from_db()
    assert comment.needs_reply is False


def test_reply_is_sent_once_even_if_its_task_runs_twice(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    reply = create_reply(interaction=comment, author=cast.agent_a, text="Once only")

    send_reply_task.apply(args=[reply.pk])
    send_reply_task.apply(args=[reply.pk])
    send_reply(reply_id=reply.pk)

    assert len(graph_calls(simulator)) == 1
    reply.refresh_from_db()
    assert reply.status == Reply.Status.SENT


def test_reply_being_sent_is_not_sent_again(cast: Cast, comment: Any, simulator: Simulator) -> None:
    # A worker died after claiming the reply: nobody knows if the platform got it.
    reply = create_reply(interaction=comment, author=cast.agent_a, text="In flight")
    Reply.objects.filter(pk=reply.pk).update(status=Reply.Status.SENDING)

    assert send_reply(reply_id=reply.pk) is None
    assert graph_calls(simulator) == []


@pytest.mark.usefixtures("eager_retries")
def test_transient_error_retries_then_sends(cast: Cast, comment: Any, simulator: Simulator) -> None:
    simulator.fail("/comments", 500, count=2)
    reply = create_reply(interaction=comment, author=cast.agent_a, text="Retry me")

    send_reply_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert reply.status == Reply.Status.SENT
    assert len(graph_calls(simulator)) == 3


@pytest.mark.usefixtures("eager_retries")
def test_transient_errors_beyond_the_retries_fail_the_reply(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    simulator.fail("/comments", 429, count=100, headers={"Retry-After": "0"})
    reply = create_reply(interaction=comment, author=cast.agent_a, text="Never lands")

    send_reply_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert reply.status == Reply.Status.FAILED
    assert reply.error_message == "Injected failure"
    assert len(graph_calls(simulator)) == 6  # the first try and five retries


def test_permanent_error_fails_with_the_platforms_message(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    simulator.fail("/comments", 400, count=1)
    reply = create_reply(interaction=comment, author=cast.agent_a, text="Refused")

    send_reply_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert reply.status == Reply.Status.FAILED
    assert reply.error_message == "Injected failure"
    assert len(graph_calls(simulator)) == 1


def test_account_without_token_fails_without_calling_the_platform(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    cast.page_a.access_token_encrypted = ""
    cast.page_a.save()
    reply = create_reply(interaction=comment, author=cast.agent_a, text="No token")

    send_reply_task.apply(args=[reply.pk])

    reply.refresh_from_db()
    assert reply.status == Reply.Status.FAILED
    assert (
        reply.error_message
        == "Client A Page has no access token: reconnect the account to act from it."
    )
    assert graph_calls(simulator) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [("   ", "Write a reply first"), ("x" * 8001, "limit is 8000")],
)
def test_invalid_reply_is_refused_and_creates_nothing(
    cast: Cast, comment: Any, text: str, message: str
) -> None:
    from inbox.services import ReplyNotAllowed

    with pytest.raises(ReplyNotAllowed, match=message):
        create_reply(interaction=comment, author=cast.agent_a, text=text)
    assert not Reply.objects.exists()


def _left_sending(reply: Reply, *, minutes_ago: int) -> None:
    """As a worker that died between the platform call and recording its answer leaves it."""
    from inbox.transitions import transition_reply

    transition_reply(reply, Reply.Status.APPROVED, Reply.Status.SENDING)
    reply.events.filter(to_status="sending").update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago)
    )


def test_stuck_reply_whose_echo_arrived_is_settled_as_sent_without_sending_again(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    reply = create_reply(interaction=comment, author=cast.agent_a, text="On its way!")
    _left_sending(reply, minutes_ago=11)
    echo = make_comment(cast.page_a, text="On its way!", thread=comment.conversation.thread_key)
    Interaction.objects.filter(pk=echo.pk).update(direction="outbound")
    fresh = create_reply(interaction=comment, author=cast.agent_a, text="Still being sent")
    _left_sending(fresh, minutes_ago=1)

    assert reconcile_stuck_replies() == 1
    reply.refresh_from_db()
    fresh.refresh_from_db()
    assert (reply.status, reply.external_id) == ("sent", echo.external_id)
    assert fresh.status == "sending"  # too early to tell
    assert graph_calls(simulator) == []


def test_stuck_reply_without_an_echo_fails_and_says_to_look_first(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    reply = create_reply(interaction=comment, author=cast.agent_a, text="Lost in flight")
    _left_sending(reply, minutes_ago=30)

    assert reconcile_stuck_replies() == 1
    reply.refresh_from_db()
    assert reply.status == "failed"
    assert "Check the platform before sending it again." in reply.error_message
    assert graph_calls(simulator) == []
