"""Escalation rules: which new interactions need attention first, and what happens to them.

Runs inside the client's schema, in the ingestion transaction, on every new inbound
interaction after the analysis (DESIGN.md, pipeline step "escalation rules")."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalation.models import PRIORITY_RANK, EscalationEvent, EscalationRule
from guidelines.checker import find_phrase
from inbox.models import Conversation, Interaction


@dataclass(frozen=True)
class Facts:
    """What the conditions read, so a rule can be tried on a sample without a database row."""

    kind: str
    platform: str
    text: str
    sentiment: str
    follower_count: int | None
    is_vip: bool
    is_verified: bool

    @classmethod
    def of(cls, interaction: Interaction) -> Facts:
        contact = interaction.contact
        return cls(
            kind=interaction.kind,
            platform=interaction.platform,
            text=interaction.text,
            sentiment=interaction.sentiment,
            follower_count=contact.follower_count if contact else None,
            is_vip=bool(contact and contact.is_vip),
            is_verified=bool(contact and contact.is_verified),
        )


def rule_matches(rule: EscalationRule, facts: Facts) -> bool:
    """True when every condition the rule sets holds for `facts` (unset ones are not checked)."""
    checks = (
        not rule.kinds or facts.kind in rule.kinds,
        not rule.platforms or facts.platform in rule.platforms,
        not rule.sentiment or facts.sentiment == rule.sentiment,
        rule.min_follower_count is None or (facts.follower_count or 0) >= rule.min_follower_count,
        not rule.vip_only or facts.is_vip,
        not rule.verified_only or facts.is_verified,
    )
    # The keyword scan is the costly one: only when everything else already holds.
    return all(checks) and (not rule.keywords or find_phrase(facts.text, rule.keywords) is not None)


def active_rules() -> list[EscalationRule]:
    """The client's active rules in order (load once for a batch of interactions)."""
    return list(EscalationRule.objects.filter(is_active=True))


def matching_rules(rules: list[EscalationRule], facts: Facts) -> list[EscalationRule]:
    """The rules that act on `facts`, in order, up to the first that stops processing."""
    matched = []
    for rule in rules:
        if rule_matches(rule, facts):
            matched.append(rule)
            if rule.stop_processing:
                break
    return matched


def apply_escalation_rules(
    interaction: Interaction, rules: list[EscalationRule] | None = None
) -> list[EscalationEvent]:
    """Run the client's active rules (or `rules`, loaded already) in order on a new inbound
    interaction and apply what the matching ones ask to its conversation. Returns the events
    recorded.

    Idempotent: an event is unique per (rule, interaction), so a re-processed delivery neither
    acts nor notifies twice. Priority only ever goes up."""
    matched = matching_rules(active_rules() if rules is None else rules, Facts.of(interaction))
    if not matched:
        return []
    conversation = Conversation.objects.select_for_update().get(pk=interaction.conversation_id)
    events = [event for rule in matched if (event := _record(rule, interaction, conversation))]
    _apply(conversation, events)
    from escalation.tasks import notify_escalation_task

    for event in events:
        if event.notified:
            notify_escalation_task.delay_on_commit(event.pk)
    return events


def _record(
    rule: EscalationRule, interaction: Interaction, conversation: Conversation
) -> EscalationEvent | None:
    try:
        with transaction.atomic():
            return EscalationEvent.objects.create(
                rule=rule,
                rule_name=rule.name,
                interaction=interaction,
                conversation=conversation,
                priority=rule.priority,
                escalated=rule.escalate,
                require_approval=rule.require_approval,
                notified=sorted({email.lower() for email in rule.notify_emails}),
            )
    except IntegrityError:
        return None  # This rule already acted on this interaction.


def _apply(conversation: Conversation, events: list[EscalationEvent]) -> None:
    fields = []
    for event in events:
        if event.priority and PRIORITY_RANK[event.priority] > PRIORITY_RANK[conversation.priority]:
            conversation.priority = event.priority
            fields.append("priority")
        if event.escalated and conversation.escalated_at is None:
            conversation.escalated_at = timezone.now()
            fields.append("escalated_at")
        if event.require_approval and not conversation.approval_required_by:
            conversation.approval_required_by = event.rule_name
            fields.append("approval_required_by")
    if fields:
        conversation.save(update_fields=sorted(set(fields)))
