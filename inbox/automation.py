"""Automatic answers: keyword rules and the maintenance-mode reply, without ever looping.

Call inside the client's schema."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, ConnectedAccount
from clients.platforms.base import Direction, InteractionKind
from escalation.business_hours import is_open
from guidelines.checker import find_phrase
from inbox.models import (
    AutomationEvent,
    AutoReplyRule,
    Contact,
    Conversation,
    Interaction,
    Reply,
    ReplyEvent,
)
from inbox.saved_replies import render_saved_reply
from inbox.transitions import transition_reply

MAINTENANCE_RULE = "maintenance"
HANDOFF_RULE = "handoff"
# People asking for a person, in the languages Parley speaks: automation steps back. Phrased
# as requests, because the bare words are everyday language ("на 5 человек" is "for 5 people").
HANDOFF_PHRASES = (
    "a human",
    "real human",
    "real person",
    "talk to someone",
    "speak to someone",
    "talk to a person",
    "speak to a person",
    "an agent",
    "mitarbeiter",
    "mit einem menschen",
    "echten menschen",
    "echte person",
    "z człowiekiem",
    "z konsultantem",
    "z pracownikiem",
    "prawdziwa osoba",
    "живой человек",
    "с человеком",
    "позовите человека",
    "оператор",
    "сотрудник",
)
HANDOFF_PAUSE = dt.timedelta(hours=24)
_HANDOFF = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(p) for p in HANDOFF_PHRASES) + r")(?!\w)", re.IGNORECASE
)
# At most one automated reply per person in this window: two bots answering each other's
# keywords stop after one round.
COOLDOWN = dt.timedelta(hours=1)


def _matches(rule: AutoReplyRule, interaction: Interaction) -> bool:
    if interaction.kind not in rule.kinds:
        return False
    return find_phrase(interaction.text, rule.keywords) is not None


def choose_automatic_reply(interaction: Interaction) -> tuple[str, str, bool] | None:
    """(rule name, reply template, privately) for `interaction`, or None. A dormant account's
    maintenance message comes first; then the first active rule whose kind and keywords
    match."""
    account = interaction.connected_account
    if account.status == ConnectedAccount.Status.MAINTENANCE and account.maintenance_message:
        return MAINTENANCE_RULE, account.maintenance_message, False
    open_now: bool | None = None  # looked up only if a rule depends on it
    for rule in AutoReplyRule.objects.filter(is_active=True):
        if not _matches(rule, interaction):
            continue
        if rule.active_when != AutoReplyRule.When.ALWAYS:
            if open_now is None:
                open_now = is_open(interaction.occurred_at)
            if open_now != (rule.active_when == AutoReplyRule.When.WITHIN_BUSINESS_HOURS):
                continue
        return rule.name, rule.response, rule.reply_privately
    return None


def may_act(*, kind: str, text: str, account_in_maintenance: bool, has_rules: bool) -> bool:
    """Whether `run_automation` could do anything for a new message: lets batch ingestion
    skip the task for the many messages no rule, maintenance or handoff concerns."""
    if account_in_maintenance or has_rules:
        return True
    return kind == InteractionKind.DIRECT_MESSAGE and bool(_HANDOFF.search(text))


def run_automation(*, interaction_id: int) -> AutomationEvent | None:
    """Answer `interaction` automatically if a rule says so, at most once, and never twice to
    the same person within COOLDOWN.

    1. Only new inbound messages from a known person that Parley can answer qualify; our own
       echoes never do, which is what keeps automation from answering itself.
    2. A direct message asking for a person pauses automation in its conversation (handoff).
    3. The maintenance message, else the first matching rule, is the answer (`_answer`)."""
    from inbox.services import REPLYABLE_KINDS

    interaction = (
        Interaction.objects.select_related("contact", "connected_account", "conversation")
        .filter(pk=interaction_id, direction=Direction.INBOUND, is_deleted=False, is_spam=False)
        .exclude(contact=None)
        .first()
    )
    if interaction is None or interaction.kind not in REPLYABLE_KINDS:
        return None
    if interaction.kind == InteractionKind.DIRECT_MESSAGE and _HANDOFF.search(interaction.text):
        return _hand_off(interaction)
    paused_until = interaction.conversation.automation_paused_until
    if paused_until is not None and paused_until > timezone.now():
        return None
    choice = choose_automatic_reply(interaction)
    return _answer(interaction, *choice) if choice is not None else None


def _answer(
    interaction: Interaction, rule_name: str, template: str, private: bool
) -> AutomationEvent | None:
    """Send the rule's answer through the normal path, or record why not.

    Decided under a lock on the person's row, so concurrent messages from them are decided
    one at a time; the AutomationEvent is unique per interaction, so a repeated task changes
    nothing."""
    from inbox.services import check_reply_text
    from inbox.tasks import send_reply_task

    client = getattr(connection, "tenant", None)
    if not isinstance(client, Client) or interaction.contact_id is None:
        raise RuntimeError("Automation answers a known person inside a client's schema.")
    contact_id: int = interaction.contact_id
    try:
        with transaction.atomic():
            Contact.objects.select_for_update().filter(pk=contact_id).first()
            if AutomationEvent.objects.filter(interaction=interaction).exists():
                return None
            recently = Reply.objects.filter(
                interaction__contact_id=contact_id,
                created_at__gte=timezone.now() - COOLDOWN,
            ).exclude(automation_rule="")
            if recently.exists():
                return _log(interaction, rule_name, AutomationEvent.Outcome.RATE_LIMITED)
            text = render_saved_reply(template, interaction=interaction, agent=None, client=client)
            version, result = check_reply_text(interaction=interaction, text=text, private=private)
            if result.is_blocked:
                return _log(
                    interaction, rule_name, AutomationEvent.Outcome.BLOCKED, result.blocking_message
                )
            reply = Reply.objects.create(
                interaction=interaction,
                author=None,
                text=text,
                is_private=private,
                automation_rule=rule_name,
                guideline_version=version,
                guideline_violations=[v.as_dict() for v in result.violations],
            )
            ReplyEvent.objects.create(reply=reply, to_status=Reply.Status.DRAFT)
            # The manager approved the text when writing the rule.
            transition_reply(
                reply,
                Reply.Status.DRAFT,
                Reply.Status.APPROVED,
                note=_("Sent by the automatic rule “%(rule)s”.") % {"rule": rule_name},
            )
            send_reply_task.delay_on_commit(reply.pk)
            return _log(interaction, rule_name, AutomationEvent.Outcome.REPLIED, reply=reply)
    except IntegrityError:
        return None  # another run decided this interaction at the same moment


def _log(
    interaction: Interaction,
    rule: str,
    outcome: AutomationEvent.Outcome,
    detail: str = "",
    reply: Reply | None = None,
) -> AutomationEvent:
    return AutomationEvent.objects.create(
        interaction=interaction, rule=rule, outcome=outcome, detail=detail, reply=reply
    )


def _hand_off(interaction: Interaction) -> AutomationEvent | None:
    """The person asked for a human: pause automation in the conversation, keep the message
    waiting for an agent, and say so in the log."""
    try:
        with transaction.atomic():
            Interaction.objects.filter(pk=interaction.pk).update(needs_reply=True)
            Conversation.objects.filter(pk=interaction.conversation_id).update(
                automation_paused_until=timezone.now() + HANDOFF_PAUSE
            )
            return _log(interaction, HANDOFF_RULE, AutomationEvent.Outcome.HANDED_OFF)
    except IntegrityError:
        return None
