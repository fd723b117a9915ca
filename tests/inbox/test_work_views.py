"""The inbox pages: filters and search, work on a conversation over HTTP, isolation between
clients, and the agency-wide queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Notification
from clients.models import WorkItem
from inbox import workflow
from inbox.models import Contact, Conversation, ConversationEvent, Interaction, SavedView, Team
from tests.conftest import Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

INBOX = "/clients/client-a/inbox/"


def logged_in(user: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def listed(response: Any) -> set[int]:
    return {row.pk for row in response.context["page"].rows}


# --- filters and search ------------------------------------------------------------------


def test_filters_narrow_the_list(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        angry = make_comment(cast.page_a, text="This is awful")
        Interaction.objects.filter(pk=angry.pk).update(sentiment="negative")
        workflow.refresh_conversation(angry.conversation_id)
        mine = make_comment(cast.page_a, text="Is it vegan?")
        workflow.assign(conversation=mine.conversation, assignee=cast.agent_a, actor=cast.agent_a)
        tagged = make_comment(cast.page_a, text="Press inquiry")
        tag = workflow.add_tag(conversation=tagged.conversation, name="press", actor=cast.owner)
    http = logged_in(cast.agent_a)

    assert listed(http.get(INBOX, {"sentiment": "negative"})) == {angry.conversation_id}
    assert listed(http.get(INBOX, {"assignee": "me"})) == {mine.conversation_id}
    assert listed(http.get(INBOX, {"assignee": "none"})) == {
        angry.conversation_id,
        tagged.conversation_id,
    }
    assert listed(http.get(INBOX, {"tag": tag.pk})) == {tagged.conversation_id}
    assert listed(http.get(INBOX, {"kind": "review"})) == set()
    assert listed(http.get(INBOX, {"view": "open", "status": "x"})) == {
        angry.conversation_id,
        mine.conversation_id,
        tagged.conversation_id,
    }


@pytest.mark.parametrize(
    "params",
    [
        {"view": "<script>"},
        {"since": "yesterday"},
        {"account": "abc"},
        {"assignee": "someone; drop table"},
        {"q": "x" * 500},
        {"tag": "-1"},
        {"sort": "random"},
    ],
)
def test_filters_it_cannot_read_are_ignored_and_said(
    cast: Cast, session_clients: SessionClients, params: dict[str, str]
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)

    response = logged_in(cast.agent_a).get(INBOX, params)

    assert response.status_code == 200
    assert listed(response) == {comment.conversation_id}
    assert "Some filters were not understood and are ignored" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("en", "My orders never arrived", "order"),
        ("de", "Die Schuhe sind zu klein", "Schuh"),
        ("ru", "Где моя доставка?", "доставки"),
        ("pl", "Gdzie jest moja przesyłka?", "przesyłka"),
        ("en", "Gdzie jest moja przesyłka?", "PRZESYŁKA"),
    ],
)
def test_search_finds_words_in_each_language(
    cast: Cast, session_clients: SessionClients, language: str, text: str, query: str
) -> None:
    with tenant_context(session_clients.client_a):
        match = make_comment(cast.page_a, text=text)
        Interaction.objects.filter(pk=match.pk).update(language=language)
        workflow.refresh_conversation(match.conversation_id)
        make_comment(cast.page_a, text="Something else entirely")

    response = logged_in(cast.agent_a).get(INBOX, {"q": query})

    assert listed(response) == {match.conversation_id}


def test_search_finds_people_by_name(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        match = make_comment(cast.page_a, author_name="Zofia Nowak")
        make_comment(cast.page_a)

    assert listed(logged_in(cast.agent_a).get(INBOX, {"q": "nowak"})) == {match.conversation_id}


def test_saved_views_are_personal_or_shared(cast: Cast, session_clients: SessionClients) -> None:
    agent = logged_in(cast.agent_a)
    agent.post(f"{INBOX}views/", {"name": "Mine", "query": "assignee=me"})
    agent.post(f"{INBOX}views/", {"name": "Angry", "query": "sentiment=negative", "shared": "on"})

    owner_page = logged_in(cast.owner).get(INBOX).content.decode()

    assert "Angry" in owner_page
    assert "Mine" not in owner_page
    with tenant_context(session_clients.client_a):
        mine = SavedView.objects.get(name="Mine")
    assert logged_in(cast.owner).post(f"{INBOX}views/{mine.pk}/delete/").status_code == 404
    assert agent.post(f"{INBOX}views/{mine.pk}/delete/").status_code == 302


# --- work over HTTP ----------------------------------------------------------------------


def test_an_agent_resolves_from_the_workspace_with_htmx(
    cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)

    response = logged_in(cast.agent_a).post(
        f"{INBOX}conversations/{comment.conversation_id}/status/",
        {"status": "resolved"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="workspace",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "Reopen" in html
    assert "changed the status from New to Resolved" in html


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("status", {"status": "deleted"}, "Unknown status."),
        ("assign", {"assignee": "abc"}, "Choose someone who works on this client."),
        ("snooze", {"until": "soon"}, "Choose until when, in the future."),
        ("snooze", {"until": "2001-01-01T10:00"}, "Choose a time in the future."),
        ("tags", {"name": ""}, "Give the tag a name"),
        ("notes", {"note-text": "  "}, "The note was not saved."),
    ],
)
def test_bad_work_input_is_refused_and_changes_nothing(
    cast: Cast,
    session_clients: SessionClients,
    action: str,
    data: dict[str, str],
    error: str,
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)

    response = logged_in(cast.agent_a).post(
        f"{INBOX}conversations/{comment.conversation_id}/{action}/",
        data,
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    with tenant_context(session_clients.client_a):
        assert not ConversationEvent.objects.exists()
        assert Conversation.objects.get().status == "new"


WORK_ENDPOINTS = [
    ("status/", {"status": "resolved"}),
    ("assign/", {"assignee": ""}),
    ("tags/", {"name": "x"}),
    ("snooze/", {"hours": "1"}),
    ("no-reply-needed/", {}),
    ("notes/", {"note-text": "hello"}),
]


@pytest.mark.parametrize(("suffix", "data"), WORK_ENDPOINTS)
def test_viewers_and_approvers_cannot_work_conversations(
    cast: Cast, session_clients: SessionClients, suffix: str, data: dict[str, str]
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    url = f"{INBOX}conversations/{comment.conversation_id}/{suffix}"

    for user in (cast.viewer_a, cast.approver_a):
        assert logged_in(user).post(url, data).status_code == 403
    with tenant_context(session_clients.client_a):
        assert not ConversationEvent.objects.exists()


@pytest.mark.parametrize(
    ("suffix", "data"), [("", None), ("thread/", None), ("presence/", None), *WORK_ENDPOINTS]
)
def test_another_clients_conversation_is_not_found(
    cast: Cast, session_clients: SessionClients, suffix: str, data: dict[str, str] | None
) -> None:
    with tenant_context(session_clients.client_b):
        comment_b = make_comment(cast.page_b)
    agent_b = logged_in(cast.agent_b)
    url_in_a = f"{INBOX}conversations/{comment_b.conversation_id}/{suffix}"
    url_in_b = f"/clients/client-b/inbox/conversations/{comment_b.conversation_id}/{suffix}"

    def request(http: HttpClient, url: str) -> int:
        return (http.get(url) if data is None else http.post(url, data)).status_code

    # Agent B is not a member of client A; agent A asks client A for B's id.
    assert request(agent_b, url_in_a) == 404
    assert request(logged_in(cast.agent_a), url_in_b) == 404
    with tenant_context(session_clients.client_b):
        assert not ConversationEvent.objects.exists()


def test_bulk_resolve_then_undo_over_http(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        ids = [make_comment(cast.page_a).conversation_id for _ in range(3)]
    agent = logged_in(cast.agent_a)

    response = agent.post(
        f"{INBOX}bulk/",
        {"conversation": [*map(str, ids), "junk"], "action": "resolve", "filters": "view=all"},
        follow=True,
    )

    html = response.content.decode()
    assert "3 conversations changed." in html
    assert "Undo" in html
    token = next(m.extra_tags for m in response.context["messages"]).removeprefix("undo:")
    assert agent.post(f"{INBOX}bulk/undo/", {"token": token}).status_code == 302
    with tenant_context(session_clients.client_a):
        assert set(Conversation.objects.values_list("status", flat=True)) == {"new"}


def test_bulk_needs_a_selection_and_an_action(cast: Cast, session_clients: SessionClients) -> None:
    agent = logged_in(cast.agent_a)

    nothing = agent.post(f"{INBOX}bulk/", {"action": "resolve"}, follow=True)
    no_tag = agent.post(f"{INBOX}bulk/", {"conversation": "1", "action": "tag"}, follow=True)

    assert "Select at least one conversation." in nothing.content.decode()
    assert "Choose an action" in no_tag.content.decode()
    assert logged_in(cast.viewer_a).post(f"{INBOX}bulk/", {"action": "resolve"}).status_code == 403


def test_mentioned_people_see_the_note_in_their_notifications(
    cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    logged_in(cast.agent_a).post(
        f"{INBOX}conversations/{comment.conversation_id}/notes/",
        {"note-text": "@owner <b>please</b> look"},
    )
    owner = logged_in(cast.owner)

    page = owner.get("/notifications/").content.decode()
    owner.post("/notifications/read/")

    assert "&lt;b&gt;please&lt;/b&gt;" in page
    assert Notification.objects.get().read_at is not None


# --- the agency queue --------------------------------------------------------------------


def test_the_agency_queue_shows_only_the_clients_a_person_works_on(
    cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        in_a = make_comment(cast.page_a, text="Question for A")
    with tenant_context(session_clients.client_b):
        make_comment(cast.page_b, text="Question for B")
    connection.set_schema_to_public()

    agent_a = logged_in(cast.agent_a).get("/")
    owner = logged_in(cast.owner).get("/")
    outsider = logged_in(cast.outsider).get("/")

    assert [item.conversation_id for item, _client in agent_a.context["page"].rows] == [
        in_a.conversation_id
    ]
    assert "Question for B" not in agent_a.content.decode()
    assert {item.snippet for item, _client in owner.context["page"].rows} == {
        "Question for A",
        "Question for B",
    }
    assert {c.slug: n for c, n in owner.context["page"].counts} == {
        "client-a": 1,
        "client-b": 1,
    }
    assert outsider.context["page"].rows == []
    # Naming a client one does not work on changes nothing.
    assert logged_in(cast.agent_a).get("/", {"client": "client-b"}).context["page"].rows == (
        agent_a.context["page"].rows
    )


def test_the_agency_queue_reads_only_the_index(
    cast: Cast, session_clients: SessionClients, django_assert_max_num_queries: Any
) -> None:
    for client, page in (
        (session_clients.client_a, cast.page_a),
        (session_clients.client_b, cast.page_b),
    ):
        with tenant_context(client):
            for _ in range(30):
                make_comment(page)
    connection.set_schema_to_public()
    owner = logged_in(cast.owner)

    # Two schema switches and the public tenant, session, user, the person's clients, the
    # page, the counts, the agencies they manage, the notifications; never a client schema.
    with django_assert_max_num_queries(10) as captured:
        response = owner.get("/")

    assert len(response.context["page"].rows) == 50
    assert not any("client_client" in query["sql"] for query in captured.captured_queries)
    assert WorkItem.objects.count() == 60


# --- teams -------------------------------------------------------------------------------


def test_a_manager_makes_a_team_and_the_inbox_assigns_and_filters_by_it(
    cast: Cast, session_clients: SessionClients
) -> None:
    manager = logged_in(cast.owner)
    assert (
        manager.post(
            f"{INBOX}teams/", {"name": "Support", "members": [str(cast.agent_a.pk)]}
        ).status_code
        == 302
    )
    with tenant_context(session_clients.client_a):
        team = Team.objects.get()
        assert list(team.members.all()) == [cast.agent_a]
        comment = make_comment(cast.page_a)
        other = make_comment(cast.page_a)

    logged_in(cast.agent_a).post(
        f"{INBOX}conversations/{comment.conversation_id}/assign/", {"team": str(team.pk)}
    )

    assert listed(logged_in(cast.agent_a).get(INBOX, {"team": team.pk})) == {
        comment.conversation_id
    }
    assert other.conversation_id not in listed(
        logged_in(cast.agent_a).get(INBOX, {"team": team.pk})
    )


def test_teams_are_for_managers_and_only_of_the_clients_people(
    cast: Cast, session_clients: SessionClients
) -> None:
    assert logged_in(cast.agent_a).get(f"{INBOX}teams/").status_code == 403
    response = logged_in(cast.owner).post(
        f"{INBOX}teams/", {"name": "Mixed", "members": [str(cast.agent_b.pk)]}
    )

    assert response.status_code == 422
    with tenant_context(session_clients.client_a):
        assert not Team.objects.exists()


def test_the_team_keeps_notes_on_a_person(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    url = f"{INBOX}conversations/{comment.conversation_id}/contact-notes/"

    logged_in(cast.agent_a).post(url, {"notes": "Journalist at <b>Die Zeit</b>"})
    page = logged_in(cast.owner).get(f"{INBOX}conversations/{comment.conversation_id}/")

    assert "Journalist at &lt;b&gt;Die Zeit&lt;/b&gt;" in page.content.decode()
    assert logged_in(cast.viewer_a).post(url, {"notes": "x"}).status_code == 403
    assert logged_in(cast.agent_a).post(url, {"notes": "x" * 2001}, HTTP_HX_REQUEST="true")
    with tenant_context(session_clients.client_a):
        assert Contact.objects.get(pk=comment.contact_id).notes == "Journalist at <b>Die Zeit</b>"


def test_search_pages_through_every_match_newest_first(
    cast: Cast, session_clients: SessionClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A small window, so that both ways of finding matches are taken: the page from the
    # recent window, and the next one from the search index.
    monkeypatch.setattr("inbox.selectors.SEARCH_RECENT_WINDOW", 70)
    start = timezone.now() - dt.timedelta(hours=2)
    with tenant_context(session_clients.client_a):
        matching = []
        for index in range(120):
            text = "Where is my parcel?" if index % 2 == 0 else "Love it"
            comment = make_comment(
                cast.page_a, text=text, occurred_at=start + dt.timedelta(seconds=index)
            )
            if index % 2 == 0:
                matching.append(comment.conversation_id)
    agent = logged_in(cast.agent_a)

    first = agent.get(INBOX, {"q": "parcel"}).context["page"]
    second = agent.get(INBOX, {"q": "parcel", "before": first.next_cursor}).context["page"]

    assert [row.pk for row in first.rows] == matching[::-1][:50]
    assert [row.pk for row in second.rows] == matching[::-1][50:]
    assert (first.count_capped, second.next_cursor) == (True, "")


@pytest.mark.parametrize("query", ["sentiment=negative\r\nSet-Cookie: x=1", "//evil.example"])
def test_posted_filters_only_ever_lead_back_to_the_inbox(
    cast: Cast, session_clients: SessionClients, query: str
) -> None:
    agent = logged_in(cast.agent_a)

    saved = agent.post(f"{INBOX}views/", {"name": "Odd", "query": query})
    bulk = agent.post(f"{INBOX}bulk/", {"action": "resolve", "filters": query})

    for response in (saved, bulk):
        assert response.status_code == 302
        assert response["Location"].startswith(INBOX)
        assert "\n" not in response["Location"]
