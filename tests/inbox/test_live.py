"""Live updates: the stream relays a client's events (and only to holders of its token),
presence shows who else is on a conversation, and a reply written after someone else's
answer is held back until the person has seen it."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import httpx
import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from inbox.live import events
from inbox.models import Reply
from inbox.services import create_reply
from tests.conftest import Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db


def logged_in(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


# --- the stream --------------------------------------------------------------------------


def read_events(url: str, found: list[str], ready: threading.Event, wanted: int) -> None:
    with httpx.stream("GET", url, timeout=20) as response:
        ready.set()
        for line in response.iter_lines():
            if line.startswith("event: "):
                found.append(line.removeprefix("event: "))
                if len(found) >= wanted:
                    return


def start_reading(
    server: str, client_id: int, *, wanted: int
) -> tuple[threading.Thread, list[str]]:
    """A thread reading the client's stream (as a page holding its token) until `wanted`
    events arrived; returns once the stream has answered."""
    token = events.stream_token(user_id=1, client_id=client_id)
    found: list[str] = []
    ready = threading.Event()
    reader = threading.Thread(
        target=read_events, args=(f"{server}/live/{client_id}/?token={token}", found, ready, wanted)
    )
    reader.start()
    assert ready.wait(10)
    return reader, found


def test_the_stream_relays_the_clients_events_as_they_happen(
    session_clients: SessionClients, live_stream_server: str
) -> None:
    client_a, client_b = session_clients.client_a, session_clients.client_b
    reader, found = start_reading(live_stream_server, client_a.pk, wanted=2)

    # Published outside a transaction, so at once; client B's event must not arrive.
    deadline = timezone.now() + dt.timedelta(seconds=10)
    while not found and timezone.now() < deadline:
        events._redis().publish(events.channel(client_b.pk), '{"event": "inbox-b"}')
        events._redis().publish(events.channel(client_a.pk), '{"event": "inbox"}')
        reader.join(0.3)
    events._redis().publish(events.channel(client_a.pk), '{"event": "conversation-7"}')
    reader.join(10)

    assert "inbox-b" not in found
    assert found[0] == "inbox"
    assert "conversation-7" in found


def test_a_batch_of_changed_conversations_travels_as_one_message_and_arrives_as_events(
    session_clients: SessionClients,
    live_stream_server: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client_a = session_clients.client_a
    pubsub = events._redis().pubsub()
    pubsub.subscribe(events.channel(client_a.pk))
    reader, found = start_reading(live_stream_server, client_a.pk, wanted=3)
    # The stream subscribes after it answers: wait until it is listening too.
    deadline = timezone.now() + dt.timedelta(seconds=10)
    while events._redis().pubsub_numsub(events.channel(client_a.pk))[0][1] < 2:
        assert timezone.now() < deadline
        reader.join(0.05)

    with django_capture_on_commit_callbacks(execute=True):
        events.conversations_changed(client_a.pk, [7, 8])
    reader.join(10)

    published = [
        m for m in iter(lambda: pubsub.get_message(timeout=1), None) if m["type"] == "message"
    ]
    pubsub.close()
    assert len(published) == 1
    assert found == ["inbox", "conversation-7", "conversation-8"]


@pytest.mark.parametrize("case", ["no token", "tampered", "other client", "bad path"])
def test_the_stream_refuses_without_a_valid_token_for_that_client(
    session_clients: SessionClients, live_stream_server: str, case: str
) -> None:
    client_a, client_b = session_clients.client_a, session_clients.client_b
    token = events.stream_token(user_id=1, client_id=client_a.pk)
    url = {
        "no token": f"/live/{client_a.pk}/",
        "tampered": f"/live/{client_a.pk}/?token={token[:-3]}abc",
        "other client": f"/live/{client_b.pk}/?token={token}",
        "bad path": f"/live/{client_a.pk}/../admin/?token={token}",
    }[case]

    response = httpx.get(f"{live_stream_server}{url}", timeout=5)

    assert response.status_code in (403, 404)
    assert "access-control-allow-origin" not in response.headers


def test_the_stream_allows_the_app_origin_only(
    session_clients: SessionClients, live_stream_server: str
) -> None:
    url = f"{live_stream_server}/live/{session_clients.client_a.pk}/"

    ours = httpx.get(url, headers={"Origin": "http://testserver"}, timeout=5)
    theirs = httpx.get(url, headers={"Origin": "https://evil.example"}, timeout=5)

    assert ours.headers["access-control-allow-origin"] == "http://testserver"
    assert "access-control-allow-origin" not in theirs.headers


def test_the_inbox_page_connects_to_its_own_clients_stream(
    cast: Cast, session_clients: SessionClients
) -> None:
    html = logged_in(cast.agent_a).get("/clients/client-a/inbox/").content.decode()

    assert f'sse-connect="http://127.0.0.1:8001/live/{session_clients.client_a.pk}/?token=' in html
    token = html.split("?token=", 1)[1].split('"', 1)[0]
    assert events.read_stream_token(token) == (cast.agent_a.pk, session_clients.client_a.pk)


def test_a_change_is_published_after_its_commit(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pubsub = events._redis().pubsub()
    pubsub.subscribe(events.channel(in_client_a.pk))
    pubsub.get_message(timeout=1)  # the subscription confirmation

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        comment = make_comment(cast.page_a)
        published_early = pubsub.get_message(timeout=0.2)

    received = pubsub.get_message(timeout=1)
    pubsub.close()
    assert published_early is None
    assert callbacks
    assert received is not None
    assert json.loads(received["data"])["events"] == [
        {"event": "inbox", "data": {"conversation": comment.conversation_id}},
        {"event": f"conversation-{comment.conversation_id}", "data": {}},
    ]


# --- presence ----------------------------------------------------------------------------


def test_colleagues_see_who_is_viewing_and_who_is_typing(
    cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    url = f"/clients/client-a/inbox/conversations/{comment.conversation_id}/presence/"
    agent, owner = logged_in(cast.agent_a), logged_in(cast.owner)

    assert agent.post(url, {"typing": "1"}).status_code == 204
    assert owner.post(url, {"typing": "0"}).status_code == 204

    assert "agent-a is typing a reply" in owner.get(url).content.decode()
    assert "owner is viewing" in agent.get(url).content.decode()
    assert "agent-a" not in agent.get(url).content.decode()  # not told about oneself


def test_presence_is_for_the_clients_team_only(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    url = f"/clients/client-a/inbox/conversations/{comment.conversation_id}/presence/"

    assert logged_in(cast.viewer_a).post(url, {"typing": "1"}).status_code == 403
    assert logged_in(cast.agent_b).get(url).status_code == 404
    assert logged_in(cast.agent_b).post(url).status_code == 404


# --- answering twice ---------------------------------------------------------------------


def test_a_reply_after_someone_elses_answer_waits_for_a_second_look(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    opened_at = (timezone.now() - dt.timedelta(seconds=5)).isoformat()
    with tenant_context(session_clients.client_a), django_capture_on_commit_callbacks():
        create_reply(interaction=comment, author=cast.owner, text="Yes, we ship there.")
    url = f"/clients/client-a/inbox/interactions/{comment.pk}/replies/"
    agent = logged_in(cast.agent_a)

    held = agent.post(url, {"text": "We do ship to Ireland!", "opened_at": opened_at})

    assert held.status_code == 422
    assert "owner answered this conversation at" in held.content.decode()
    assert "Send mine anyway" in held.content.decode()
    with tenant_context(session_clients.client_a):
        assert Reply.objects.count() == 1

    with django_capture_on_commit_callbacks():
        sent = agent.post(
            url,
            {"text": "We do ship to Ireland!", "opened_at": opened_at, "send_anyway": "on"},
        )

    assert sent.status_code == 302
    with tenant_context(session_clients.client_a):
        assert Reply.objects.count() == 2


def test_a_reply_opened_after_the_last_answer_goes_straight_through(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(session_clients.client_a), django_capture_on_commit_callbacks():
        comment = make_comment(cast.page_a)
        create_reply(interaction=comment, author=cast.owner, text="Yes, we ship there.")
    opened_at = (timezone.now() + dt.timedelta(seconds=1)).isoformat()

    with django_capture_on_commit_callbacks():
        response = logged_in(cast.agent_a).post(
            f"/clients/client-a/inbox/interactions/{comment.pk}/replies/",
            {"text": "And it takes 3 days.", "opened_at": opened_at},
        )

    assert response.status_code == 302
