"""Escalation rules: conditions, actions, idempotency, and what approvals make of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.platforms.meta import split_delivery
from clients.services import process_inbound_event, store_inbound_events
from clients.simulator.generator import feed_comment_delivery
from escalation.models import EscalationEvent, EscalationRule, Priority
from escalation.rules import Facts, apply_escalation_rules, rule_matches
from inbox.approvals import get_approval_policy
from inbox.models import ApprovalPolicy, Conversation, Interaction, Reply
from inbox.services import create_reply
from tests.conftest import PAGE_A, Cast, SessionClients
from tests.factories import make_comment

pytestmark = pytest.mark.django_db

FACTS = Facts(
    kind="comment",
    platform="facebook",
    text="Ich rufe meinen Anwalt an.",
    sentiment="negative",
    follower_count=12000,
    is_vip=False,
    is_verified=True,
)


def deliver_comment(message: str, comment_id: str = "800000000000001") -> Interaction:
    payload = feed_comment_delivery(
        page_id=PAGE_A,
        author_id="6000000000000001",
        author_name="Jane Doe",
        message=message,
        post_object_id="700000000000001",
        comment_object_id=comment_id,
        verb="add",
        created_time=1717000000,
    )
    for event_id in store_inbound_events(split_delivery(payload)):
        process_inbound_event(event_id=event_id)
    return Interaction.objects.get(external_id__endswith=comment_id)


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ({"keywords": ["anwalt", "lawyer"]}, True),
        ({"keywords": ["Rechtsanwalt"]}, False),  # whole words only
        ({"sentiment": "negative"}, True),
        ({"sentiment": "positive"}, False),
        ({"min_follower_count": 10000}, True),
        ({"min_follower_count": 50000}, False),
        ({"verified_only": True}, True),
        ({"vip_only": True}, False),
        ({"kinds": ["review", "comment"]}, True),
        ({"kinds": ["direct_message"]}, False),
        ({"platforms": ["instagram"]}, False),
        ({"platforms": ["facebook"], "keywords": ["anwalt"], "sentiment": "negative"}, True),
        ({"platforms": ["facebook"], "keywords": ["anwalt"], "sentiment": "neutral"}, False),
    ],
)
def test_every_condition_given_must_hold(conditions: dict[str, Any], matches: bool) -> None:
    assert rule_matches(EscalationRule(name="r", **conditions), FACTS) is matches


def test_a_matching_rule_raises_priority_escalates_and_emails_in_the_clients_language(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    EscalationRule.objects.create(
        name="Legal threats",
        keywords=["lawyer"],
        priority=Priority.URGENT,
        notify_emails=["Lead@brand-a.test"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        interaction = deliver_comment("I will call my lawyer about this <b>order</b>.")

    conversation = Conversation.objects.get(pk=interaction.conversation_id)
    assert conversation.priority == Priority.URGENT
    assert conversation.escalated_at is not None
    [event] = EscalationEvent.objects.all()
    assert (event.rule_name, event.interaction_id, event.notified) == (
        "Legal threats",
        interaction.pk,
        ["lead@brand-a.test"],
    )
    [message] = mail.outbox
    assert message.to == ["lead@brand-a.test"]
    assert message.subject == "Client A: escalated by “Legal threats”"
    assert f"/clients/client-a/inbox/interactions/{interaction.pk}/" in message.body
    assert EscalationEvent.objects.get().notified_at is not None


def test_rules_run_once_per_interaction_and_priority_never_goes_down(
    cast: Cast, in_client_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    EscalationRule.objects.create(
        name="Unhappy", position=1, sentiment="negative", priority=Priority.HIGH
    )
    EscalationRule.objects.create(
        name="Anything", position=2, kinds=["comment"], notify_emails=["a@brand-a.test"]
    )
    interaction = make_comment(cast.page_a, text="Terrible, awful service.")
    interaction.sentiment = "negative"
    Conversation.objects.filter(pk=interaction.conversation_id).update(priority=Priority.URGENT)

    with django_capture_on_commit_callbacks(execute=True):
        assert len(apply_escalation_rules(interaction)) == 2
        assert apply_escalation_rules(interaction) == []

    assert Conversation.objects.get(pk=interaction.conversation_id).priority == Priority.URGENT
    assert EscalationEvent.objects.count() == 2
    assert len(mail.outbox) == 1


def test_stop_here_leaves_later_rules_out_and_inactive_rules_never_run(
    cast: Cast, in_client_a: Any
) -> None:
    EscalationRule.objects.create(name="Off", position=0, kinds=["comment"], is_active=False)
    EscalationRule.objects.create(name="First", position=1, kinds=["comment"], stop_processing=True)
    EscalationRule.objects.create(name="Second", position=2, kinds=["comment"])

    events = apply_escalation_rules(make_comment(cast.page_a))

    assert [event.rule_name for event in events] == ["First"]


def test_rules_do_not_run_on_other_clients(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_b):
        EscalationRule.objects.create(name="B only", kinds=["comment"])
    with tenant_context(session_clients.client_a):
        deliver_comment("Hello?")
        assert EscalationEvent.objects.count() == 0


# --- approvals ---------------------------------------------------------------------------


def reply_in_escalated_conversation(cast: Cast, **rule: Any) -> Reply:
    EscalationRule.objects.create(name="VIP rule", kinds=["comment"], **rule)
    interaction = make_comment(cast.page_a)
    apply_escalation_rules(interaction)
    interaction.conversation.refresh_from_db()
    return create_reply(interaction=interaction, author=cast.agent_a, text="We are on it.")


def test_flagged_policy_holds_replies_in_escalated_conversations(
    cast: Cast, in_client_a: Any
) -> None:
    policy = get_approval_policy()
    policy.mode = ApprovalPolicy.Mode.FLAGGED
    policy.save()

    reply = reply_in_escalated_conversation(cast)

    assert reply.status == Reply.Status.PENDING_APPROVAL
    assert reply.approval_reasons == ["The conversation was escalated."]


def test_flagged_policy_may_let_escalated_conversations_through(
    cast: Cast, in_client_a: Any
) -> None:
    policy = get_approval_policy()
    policy.mode = ApprovalPolicy.Mode.FLAGGED
    policy.flag_escalated = False
    policy.save()

    reply = reply_in_escalated_conversation(cast)

    assert reply.status == Reply.Status.APPROVED


def test_a_rule_requiring_approval_holds_replies_even_without_a_policy(
    cast: Cast, in_client_a: Any
) -> None:
    assert get_approval_policy().mode == ApprovalPolicy.Mode.NONE

    reply = reply_in_escalated_conversation(cast, escalate=False, require_approval=True)

    assert reply.status == Reply.Status.PENDING_APPROVAL
    assert reply.approval_reasons == ["The escalation rule “VIP rule” requires approval."]


# --- the rules page ----------------------------------------------------------------------

RULES_URL = "/clients/client-a/escalation/rules/"
VALID_RULE = {
    "name": "Press",
    "position": "1",
    "is_active": "on",
    "keywords_text": "journalist\nDziennikarz",
    "min_follower_count": "",
    "priority": "urgent",
    "escalate": "on",
    "notify_emails_text": "press@brand-a.test",
}


def test_a_manager_adds_a_rule_and_sees_it_in_words(
    cast: Cast, session_clients: SessionClients
) -> None:
    http = HttpClient()
    http.force_login(cast.owner)

    response = http.post(RULES_URL, VALID_RULE)

    assert response.status_code == 302
    page = http.get(RULES_URL).content.decode()
    assert "mentions journalist, Dziennikarz" in page
    assert "e-mail press@brand-a.test" in page
    with tenant_context(session_clients.client_a):
        rule = EscalationRule.objects.get()
        assert rule.keywords == ["journalist", "Dziennikarz"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"keywords_text": ""}, "Give at least one condition"),
        ({"priority": "", "escalate": "", "notify_emails_text": ""}, "Choose at least one"),
        ({"notify_emails_text": "not-an-address"}, "is not an e-mail address"),
        ({"priority": "panic"}, "Select a valid choice"),
        ({"kinds": "poke"}, "Select a valid choice"),
    ],
)
def test_invalid_rules_are_refused_and_nothing_is_saved(
    cast: Cast, session_clients: SessionClients, change: dict[str, str], error: str
) -> None:
    http = HttpClient()
    http.force_login(cast.owner)
    data = {key: value for key, value in {**VALID_RULE, **change}.items() if value}

    response = http.post(RULES_URL, data)

    assert response.status_code == 422
    assert error in response.content.decode()
    with tenant_context(session_clients.client_a):
        assert not EscalationRule.objects.exists()


def test_only_managers_edit_rules_and_other_clients_rules_do_not_exist(
    cast: Cast, session_clients: SessionClients
) -> None:
    with tenant_context(session_clients.client_b):
        rule_b = EscalationRule.objects.create(name="B", kinds=["comment"])
    agent = HttpClient()
    agent.force_login(cast.agent_a)
    manager = HttpClient()
    manager.force_login(cast.owner)

    assert agent.get(RULES_URL).status_code == 403
    assert agent.post(RULES_URL, VALID_RULE).status_code == 403
    assert manager.get(f"{RULES_URL}{rule_b.pk}/edit/").status_code == 404
    assert manager.post(f"{RULES_URL}{rule_b.pk}/delete/").status_code == 404
    with tenant_context(session_clients.client_b):
        assert EscalationRule.objects.filter(pk=rule_b.pk).exists()


def test_deleting_a_rule_keeps_what_it_did(cast: Cast, session_clients: SessionClients) -> None:
    with tenant_context(session_clients.client_a):
        rule = EscalationRule.objects.create(name="Gone soon", kinds=["comment"])
        apply_escalation_rules(make_comment(cast.page_a))
    http = HttpClient()
    http.force_login(cast.owner)

    assert http.post(f"{RULES_URL}{rule.pk}/delete/").status_code == 302

    with tenant_context(session_clients.client_a):
        event = EscalationEvent.objects.get()
        assert (event.rule_id, event.rule_name) == (None, "Gone soon")
