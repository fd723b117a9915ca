"""Client approval: who gets asked, who may decide, and links that work once."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from clients.models import ApprovalLink
from guidelines.services import save_guideline_version
from inbox import approvals
from inbox.models import ApprovalPolicy, Reply
from inbox.services import create_reply
from tests.conftest import Cast, SessionClients, Simulator
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/approvals/[\w-]+/[^\s/]+/)")


def set_policy(**fields: Any) -> ApprovalPolicy:
    policy = approvals.get_approval_policy()
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()
    return policy


def new_reply(
    cast: Cast, session_clients: SessionClients, captured: Any, text: str = "Yes!"
) -> Reply:
    with tenant_context(session_clients.client_a), captured(execute=True):
        return create_reply(interaction=make_comment(cast.page_a), author=cast.agent_a, text=text)


def reload(reply: Reply, session_clients: SessionClients) -> Reply:
    with tenant_context(session_clients.client_a):
        return Reply.objects.get(pk=reply.pk)


def graph_calls(simulator: Simulator) -> int:
    return len([r for r in simulator.requests if r["path"].endswith("/comments")])


@pytest.fixture
def approve_all(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        set_policy(mode=ApprovalPolicy.Mode.ALL, approver_emails=["cmo@brand-a.test"])


# --- who is asked ------------------------------------------------------------------------


@pytest.mark.usefixtures("approve_all")
def test_policy_all_holds_the_reply_and_emails_every_approver(
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)

    assert reload(reply, session_clients).status == Reply.Status.PENDING_APPROVAL
    assert sorted(m.to[0] for m in mail.outbox) == ["approver-a@brand-a.test", "cmo@brand-a.test"]
    assert mail.outbox[0].subject == "Client A: a reply waits for your approval"
    assert LINK.search(mail.outbox[0].body)
    assert graph_calls(simulator) == 0


def test_flagged_policy_holds_warnings_and_keywords_only(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(session_clients.client_a):
        set_policy(mode=ApprovalPolicy.Mode.FLAGGED, flag_keywords=["lawsuit"])
        save_guideline_version(rules={"defaults": {"emoji": {"policy": "none"}}}, author=cast.owner)

    plain = new_reply(cast, session_clients, django_capture_on_commit_callbacks, "Thanks!")
    warned = new_reply(cast, session_clients, django_capture_on_commit_callbacks, "Thanks 🙂")
    keyword = new_reply(cast, session_clients, django_capture_on_commit_callbacks, "No lawsuit.")

    assert reload(plain, session_clients).status == Reply.Status.SENT
    assert reload(warned, session_clients).approval_reasons == [
        "The reply raised guideline warnings."
    ]
    assert reload(keyword, session_clients).approval_reasons == ["Mentions “lawsuit”."]


def test_approval_phrases_hold_the_reply_even_without_a_policy(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    with tenant_context(session_clients.client_a):
        save_guideline_version(
            rules={"defaults": {"approval_phrases": [{"phrase": "refund", "topic": "refunds"}]}},
            author=cast.owner,
        )

    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks, "A refund!")

    assert reload(reply, session_clients).status == Reply.Status.PENDING_APPROVAL


# --- deciding in the app -----------------------------------------------------------------


@pytest.mark.usefixtures("approve_all")
def test_approver_approves_in_the_app_and_the_reply_is_sent_once(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    client.force_login(cast.approver_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/clients/client-a/inbox/approvals/{reply.pk}/decide/", {"decision": "approve"}
        )
    again = client.post(
        f"/clients/client-a/inbox/approvals/{reply.pk}/decide/", {"decision": "approve"}
    )

    assert response.status_code == 302
    assert again.status_code == 404  # no longer waiting
    reply = reload(reply, session_clients)
    assert (reply.status, reply.decided_by) == (Reply.Status.SENT, "approver-a")
    assert graph_calls(simulator) == 1
    with tenant_context(session_clients.client_a):
        event = reply.events.get(to_status="approved")
    assert event.actor_id == cast.approver_a.pk


@pytest.mark.usefixtures("approve_all")
def test_edit_then_approve_sends_the_edited_text_and_rechecks_it(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        save_guideline_version(
            rules={"defaults": {"banned_phrases": [{"phrase": "cheap"}]}}, author=cast.owner
        )
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks, "Draft")
    client.force_login(cast.approver_a)
    url = f"/clients/client-a/inbox/approvals/{reply.pk}/decide/"

    client.post(url, {"decision": "approve", "text": "So cheap!"})
    assert reload(reply, session_clients).status == Reply.Status.PENDING_APPROVAL

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"decision": "approve", "text": "Edited by the brand."})
    assert reload(reply, session_clients).text == "Edited by the brand."
    [call] = [r for r in simulator.requests if r["path"].endswith("/comments")]
    assert call["body"] == {"message": "Edited by the brand."}


@pytest.mark.usefixtures("approve_all")
def test_reject_needs_a_note_and_shows_it_to_the_agent(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    client.force_login(cast.approver_a)
    url = f"/clients/client-a/inbox/approvals/{reply.pk}/decide/"

    client.post(url, {"decision": "reject"})
    assert reload(reply, session_clients).status == Reply.Status.PENDING_APPROVAL

    client.post(url, {"decision": "reject", "note": "Too casual for us."})
    reply = reload(reply, session_clients)
    assert (reply.status, reply.error_message) == (Reply.Status.REJECTED, "Too casual for us.")
    client.force_login(cast.agent_a)
    page = client.get(f"/clients/client-a/inbox/interactions/{reply.interaction_id}/")
    assert "Too casual for us." in page.content.decode()
    assert "Decided by approver-a." in page.content.decode()


@pytest.mark.usefixtures("approve_all")
@pytest.mark.parametrize(
    ("who", "status"), [("agent_a", 403), ("viewer_a", 403), ("agent_b", 404), ("outsider", 404)]
)
def test_others_cannot_decide_and_nothing_changes(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    who: str,
    status: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    client.force_login(getattr(cast, who))

    response = client.post(
        f"/clients/client-a/inbox/approvals/{reply.pk}/decide/", {"decision": "approve"}
    )

    assert response.status_code == status
    assert reload(reply, session_clients).status == Reply.Status.PENDING_APPROVAL


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("approver_a", 200), ("agent_a", 403), ("agent_b", 404)]
)
def test_approval_queue_page(client: HttpClient, cast: Cast, who: str, status: int) -> None:
    client.force_login(getattr(cast, who))
    assert client.get("/clients/client-a/inbox/approvals/").status_code == status


def test_manager_sets_the_policy_and_bad_emails_are_refused(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.owner)
    data = {
        "mode": "flagged",
        "flag_guideline_warnings": "on",
        "remind_after_minutes": "30",
        "link_valid_hours": "24",
        "flag_keywords_text": "lawsuit\nrefund",
        "approver_emails_text": "CMO@brand-a.test",
    }

    assert client.post("/clients/client-a/inbox/approvals/", data).status_code == 302
    bad = client.post(
        "/clients/client-a/inbox/approvals/", {**data, "approver_emails_text": "nope"}
    )

    assert bad.status_code == 422
    with tenant_context(session_clients.client_a):
        policy = approvals.get_approval_policy()
    assert (policy.mode, policy.flag_keywords, policy.approver_emails) == (
        "flagged",
        ["lawsuit", "refund"],
        ["cmo@brand-a.test"],
    )


def test_approver_cannot_change_the_policy(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    client.force_login(cast.approver_a)
    response = client.post("/clients/client-a/inbox/approvals/", {"mode": "none"})
    assert response.status_code == 403


# --- deciding by e-mailed link -----------------------------------------------------------


def link_for(email: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [email]]
    match = LINK.search(message.body)
    assert match is not None
    return match.group(1)


@pytest.mark.usefixtures("approve_all")
def test_stakeholder_approves_by_link_once(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    simulator: Simulator,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    url = link_for("cmo@brand-a.test")

    assert client.get(url).status_code == 200  # reading does not use the link
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        decided = client.post(url, {"decision": "approve", "text": "Yes!"})
    reused = client.post(url, {"decision": "reject", "note": "changed my mind"})

    assert decided.status_code == 200
    assert reused.status_code == 410
    reply = reload(reply, session_clients)
    assert (reply.status, reply.decided_by) == (Reply.Status.SENT, "cmo@brand-a.test")
    assert graph_calls(simulator) == 1
    with tenant_context(session_clients.client_a):
        assert reply.events.get(to_status="approved").actor_email == "cmo@brand-a.test"


@pytest.mark.usefixtures("approve_all")
@pytest.mark.parametrize("tamper", ["expired", "tampered", "other_client", "garbage"])
def test_unusable_links_are_refused_and_change_nothing(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    tamper: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    url = link_for("cmo@brand-a.test")
    if tamper == "expired":
        ApprovalLink.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    elif tamper == "tampered":
        url = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    elif tamper == "other_client":
        url = url.replace("/client-a/", "/client-b/")
    else:
        url = "/approvals/client-a/not-a-token/"

    response = client.post(url, {"decision": "approve", "text": "Yes!"})

    assert response.status_code == (410 if tamper == "expired" else 404)
    assert reload(reply, session_clients).status == Reply.Status.PENDING_APPROVAL
    assert ApprovalLink.objects.filter(used_at__isnull=False).count() == 0


@pytest.mark.usefixtures("approve_all")
def test_link_for_a_reply_decided_in_the_app_says_so_and_stays_unused(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    url = link_for("cmo@brand-a.test")
    with tenant_context(session_clients.client_a):
        approvals.reject_reply(reply=reply, actor=cast.approver_a, note="No.")

    response = client.post(url, {"decision": "approve"})

    assert response.status_code == 200
    assert "already decided by approver-a" in response.content.decode()
    assert reload(reply, session_clients).status == Reply.Status.REJECTED


# --- reminders ---------------------------------------------------------------------------


@pytest.mark.usefixtures("approve_all")
def test_reminders_go_once_after_the_wait(
    cast: Cast, session_clients: SessionClients, django_capture_on_commit_callbacks: Any
) -> None:
    reply = new_reply(cast, session_clients, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    later = timezone.now() + dt.timedelta(minutes=61)

    with tenant_context(session_clients.client_a), django_capture_on_commit_callbacks(execute=True):
        assert approvals.remind_pending_approvals(now=timezone.now()) == 0
        assert approvals.remind_pending_approvals(now=later) == 1
        assert approvals.remind_pending_approvals(now=later) == 0

    assert len(mail.outbox) == 2  # the approver member and the stakeholder, once each
    assert reload(reply, session_clients).approval_reminded_at is not None


def test_approval_emails_speak_the_clients_language(
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_a = session_clients.client_a
    # The object lives for the whole session: put its language back after the test (the
    # database row is rolled back anyway).
    monkeypatch.setattr(client_a, "default_language", "de")
    client_a.save(update_fields=["default_language"])
    with tenant_context(client_a):
        set_policy(mode=ApprovalPolicy.Mode.ALL)

    new_reply(cast, session_clients, django_capture_on_commit_callbacks)

    [message] = mail.outbox
    assert message.subject == "Client A: Eine Antwort wartet auf Ihre Freigabe"
    assert "Hier freigeben, bearbeiten oder ablehnen" in message.body


def test_flagged_policy_holds_replies_to_vips(
    client: HttpClient,
    cast: Cast,
    session_clients: SessionClients,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with tenant_context(session_clients.client_a):
        set_policy(mode=ApprovalPolicy.Mode.FLAGGED)
        comment = make_comment(cast.page_a)
    client.force_login(cast.agent_a)

    marked = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/vip/", {"is_vip": "on"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/clients/client-a/inbox/interactions/{comment.pk}/replies/", {"text": "Hi!"})

    assert marked.status_code == 302
    with tenant_context(session_clients.client_a):
        reply = Reply.objects.get()
    assert (reply.status, reply.approval_reasons) == (
        Reply.Status.PENDING_APPROVAL,
        ["The reply goes to a VIP."],
    )


@pytest.mark.parametrize(("who", "status"), [("viewer_a", 403), ("agent_b", 404)])
def test_only_repliers_mark_vips(
    client: HttpClient, cast: Cast, session_clients: SessionClients, who: str, status: int
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    client.force_login(getattr(cast, who))

    response = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/vip/", {"is_vip": "on"}
    )

    assert response.status_code == status
    with tenant_context(session_clients.client_a):
        comment.contact.refresh_from_db()
    assert not comment.contact.is_vip
