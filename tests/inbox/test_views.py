from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from inbox.models import Reply
from tests.conftest import Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


def test_platform_text_is_escaped_everywhere(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a, text=HOSTILE, author_name=HOSTILE)
    client.force_login(cast.agent_a)

    for url in [
        "/clients/client-a/inbox/",
        f"/clients/client-a/inbox/interactions/{comment.pk}/",
        f"/clients/client-a/inbox/conversations/{comment.conversation_id}/",
        "/",
    ]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


HTMX_RESULTS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


@pytest.mark.parametrize("rows", [1, 60])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"view": "all", "sort": "oldest"},
        {"kind": "comment", "sentiment": "negative", "assignee": "none", "tag": "1"},
        {"q": "blue"},
    ],
)
def test_list_results_take_at_most_8_queries_whatever_the_page(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_assert_max_num_queries: Any,
    rows: int,
    filters: dict[str, str],
) -> None:
    with tenant_context(session_clients.client_a):
        for index in range(rows):
            make_comment(cast.page_a, text=f"comment {index} in blue")
    client.force_login(cast.agent_a)
    connection.set_schema_to_public()

    # 2 schema switches, domain, session, user, role; then the page and the capped count.
    with django_assert_max_num_queries(8):
        response = client.get("/clients/client-a/inbox/", filters, **HTMX_RESULTS)

    assert response.status_code == 200
    assert "<html" not in response.content.decode()


def test_the_full_inbox_page_takes_a_fixed_number_of_queries(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_assert_max_num_queries: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        for index in range(60):
            make_comment(cast.page_a, text=f"comment {index}")
    client.force_login(cast.agent_a)
    connection.set_schema_to_public()

    # Plus the client switcher, the notifications count, the filter options (accounts,
    # people, teams, tags) and the saved views.
    with django_assert_max_num_queries(15):
        response = client.get("/clients/client-a/inbox/")

    assert len(response.context["page"].rows) == 50


def test_conversation_query_count_does_not_grow_with_thread_length(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_assert_max_num_queries: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        first = make_comment(cast.page_a, text="c0")
        comments = [first] + [
            make_comment(cast.page_a, text=f"c{i}", thread=first.conversation.thread_key)
            for i in range(1, 15)
        ]
        for item in comments:
            Reply.objects.create(
                interaction=item, author=cast.agent_a, text="thanks", status="sent"
            )
    client.force_login(cast.agent_a)
    connection.set_schema_to_public()

    # Opening a conversation from the list (htmx, the workspace only): 2 schema switches,
    # domain, session, user, role; the conversation, the message answered, its
    # escalations, thread, its replies and moderation actions, history (events, notes), the
    # person's timeline, the tags, the people and teams to assign to. None of it grows with
    # the thread.
    with django_assert_max_num_queries(18):
        response = client.get(
            f"/clients/client-a/inbox/conversations/{comments[0].conversation_id}/",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="workspace",
        )

    assert response.status_code == 200
    assert response.content.decode().count('class="reply"') == 15


def test_keyset_pages_do_not_repeat_or_skip_rows(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    start = timezone.now() - dt.timedelta(hours=1)
    with tenant_context(session_clients.client_a):
        created = [
            make_comment(cast.page_a, occurred_at=start + dt.timedelta(seconds=i // 2))
            for i in range(60)
        ]
    client.force_login(cast.agent_a)

    first = client.get("/clients/client-a/inbox/").context["page"]
    with tenant_context(session_clients.client_a):
        make_comment(cast.page_a)  # a new arrival between the two pages
    second = client.get("/clients/client-a/inbox/", {"before": first.next_cursor}).context["page"]

    seen = [c.pk for c in first.rows] + [c.pk for c in second.rows]
    assert sorted(seen) == sorted(c.conversation_id for c in created)
    assert second.next_cursor == ""
    assert (first.count, first.count_capped) == (60, False)


@pytest.mark.parametrize("cursor", ["garbage", "2024-01-01|x", "|", "not-a-date|5"])
def test_bad_cursor_starts_from_the_top(client: HttpClient, cast: Cast, cursor: str) -> None:
    client.force_login(cast.agent_a)
    assert client.get("/clients/client-a/inbox/", {"before": cursor}).status_code == 200


def test_empty_reply_shows_an_error_and_creates_nothing(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    client.force_login(cast.agent_a)

    response = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/replies/", {"text": "   "}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["text"]
    with tenant_context(session_clients.client_a):
        assert not Reply.objects.exists()


def test_htmx_reply_returns_the_thread_partial(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    client.force_login(cast.agent_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/clients/client-a/inbox/interactions/{comment.pk}/replies/",
            {"text": "Yes, in navy."},
            HTTP_HX_REQUEST="true",
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="thread"')
    assert "<html" not in html
    assert "Yes, in navy." in html


def test_reply_status_partial(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        reply = Reply.objects.create(
            interaction=make_comment(cast.page_a), author=cast.agent_a, text="x", status="sending"
        )
    client.force_login(cast.viewer_a)

    response = client.get(f"/clients/client-a/inbox/replies/{reply.pk}/status/")

    assert response.status_code == 200
    assert 'hx-trigger="every 2s"' in response.content.decode()


def test_empty_inbox_says_what_happens_next(client: HttpClient, cast: Cast) -> None:
    client.force_login(cast.agent_a)

    waiting = client.get("/clients/client-a/inbox/").content.decode()
    filtered = client.get("/clients/client-a/inbox/", {"kind": "review"}).content.decode()

    assert "Nothing waits for a reply." in waiting
    assert "Open a conversation from the list." in waiting
    assert "Nothing matches these filters." in filtered


def test_the_inbox_shows_what_needs_a_reply_first(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        question = make_comment(cast.page_a, text="Do you ship to Ireland?")
        thanks = make_comment(cast.page_a, text="Thanks!", needs_reply=False)
    client.force_login(cast.agent_a)

    waiting = client.get("/clients/client-a/inbox/").context["page"].rows
    everything = client.get("/clients/client-a/inbox/", {"view": "all"}).context["page"].rows

    assert [c.pk for c in waiting] == [question.conversation_id]
    assert {c.pk for c in everything} == {question.conversation_id, thanks.conversation_id}


def test_viewer_sees_no_composer(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    client.force_login(cast.viewer_a)

    html = client.get(f"/clients/client-a/inbox/interactions/{comment.pk}/").content.decode()

    assert "Send reply" not in html


@pytest.mark.parametrize(("suffix", "budget"), [("thread/", 11), ("presence/", 7)])
def test_live_partials_take_a_fixed_number_of_queries(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_assert_max_num_queries: Any,
    suffix: str,
    budget: int,
) -> None:
    with tenant_context(session_clients.client_a):
        first = make_comment(cast.page_a, text="c0")
        for i in range(1, 10):
            make_comment(cast.page_a, text=f"c{i}", thread=first.conversation.thread_key)
    client.force_login(cast.agent_a)
    connection.set_schema_to_public()

    # Each live event makes every open page ask for one of these: they must stay cheap.
    # Middleware 6; the conversation, the message answered, the thread, its replies and
    # moderation actions.
    with django_assert_max_num_queries(budget):
        response = client.get(
            f"/clients/client-a/inbox/conversations/{first.conversation_id}/{suffix}"
        )

    assert response.status_code == 200
