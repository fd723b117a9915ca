"""The checker where replies are made: refuse, record, re-check at send, live in the composer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from guidelines.services import save_guideline_version
from inbox.models import Reply
from inbox.services import ReplyBlockedByGuideline, create_reply, send_reply
from tests.conftest import Cast, SessionClients, Simulator
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

RULES = {
    "defaults": {
        "banned_phrases": [{"phrase": "cheap", "replacement": "affordable"}],
        "approval_phrases": [{"phrase": "refund", "topic": "refunds"}],
        "sign_off": {"required": True, "phrases": ["— Team A"]},
    }
}


@pytest.fixture
def comment(cast: Cast, in_client_a: Any) -> Any:
    save_guideline_version(rules=RULES, author=cast.owner)
    return make_comment(cast.page_a, author_name="Jane Doe")


def test_blocking_violation_refuses_the_reply_and_creates_nothing(cast: Cast, comment: Any) -> None:
    with pytest.raises(ReplyBlockedByGuideline) as raised:
        create_reply(interaction=comment, author=cast.agent_a, text="So cheap! — Team A")

    assert [v.rule for v in raised.value.result.violations] == ["banned_phrase"]
    assert not Reply.objects.exists()


def test_warnings_are_recorded_with_the_guideline_version(cast: Cast, comment: Any) -> None:
    reply = create_reply(interaction=comment, author=cast.agent_a, text="We can refund it.")

    assert reply.guideline_version == 1
    assert [v["rule"] for v in reply.guideline_violations] == ["approval_phrase", "sign_off"]


def test_send_rechecks_against_the_guideline_in_force(
    cast: Cast, comment: Any, simulator: Simulator
) -> None:
    reply = create_reply(interaction=comment, author=cast.agent_a, text="Great value! — Team A")
    save_guideline_version(
        rules={"defaults": {"banned_phrases": [{"phrase": "great value"}]}}, author=cast.owner
    )

    send_reply(reply_id=reply.pk)

    reply.refresh_from_db()
    assert reply.status == Reply.Status.FAILED
    assert reply.error_message.startswith("Blocked by guideline version 2:")
    assert simulator.requests == []


def test_guideline_versions_number_themselves(cast: Cast, in_client_a: Any) -> None:
    first = save_guideline_version(rules={}, author=cast.owner)
    second = save_guideline_version(rules=RULES, author=cast.owner, note="sign-off")
    assert (first.number, second.number) == (1, 2)


def test_live_check_partial_highlights_and_escapes(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        save_guideline_version(rules=RULES, author=cast.owner)
        comment = make_comment(cast.page_a)
    client.force_login(cast.agent_a)

    response = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/replies/check/",
        {"text": "<b>cheap</b> refund"},
        HTTP_HX_REQUEST="true",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "&lt;b&gt;" in html
    assert "<b>" not in html
    assert '<mark class="block">cheap</mark>' in html
    assert '<mark class="warn">refund</mark>' in html
    assert "Use “affordable” instead." in html
    assert "guideline version 1" in html


def test_blocked_reply_in_the_composer_explains_why(
    client: HttpClient, cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_a):
        save_guideline_version(rules=RULES, author=cast.owner)
        comment = make_comment(cast.page_a)
    client.force_login(cast.agent_a)

    response = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/replies/", {"text": "cheap"}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["text"] == ["“cheap” is not in this brand's vocabulary."]
    with tenant_context(session_clients.client_a):
        assert not Reply.objects.exists()


@pytest.mark.parametrize("who", ["agent_b", "outsider"])
def test_live_check_of_another_clients_interaction_is_404(
    client: HttpClient, cast: Cast, session_clients: SessionClients, who: str
) -> None:
    with tenant_context(session_clients.client_a):
        comment = make_comment(cast.page_a)
    client.force_login(getattr(cast, who))

    response = client.post(
        f"/clients/client-a/inbox/interactions/{comment.pk}/replies/check/", {"text": "x"}
    )

    assert response.status_code == 404
