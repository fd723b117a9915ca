"""Automatic answers: keyword rules and the maintenance-mode reply, without ever looping.

Call inside the client's schema."""

from __future__ import annotations

import datetime as dt
import re

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Client, ConnectedAccount
from clients.platforms.base import Direction
from inbox.models import AutomationEvent, AutoReplyRule, Contact, Interaction, Reply, ReplyEvent
from inbox.saved_replies import render_saved_reply
from inbox.transitions import transition_reply

MAINTENANCE_RULE = "maintenance"
# At most one automated reply per person in this window: two bots answering each other's
# keywords stop after one round.
COOLDOWN = dt.timedelta(hours=1)


def _matches(rule: AutoReplyRule, interaction: Interaction) -> bool:
    if interaction.kind not in rule.kinds:
        return False
    return any(
        re.search(rf"(?<!\w){re.escape(keyword)}(?!\w)", interaction.text, re.IGNORECASE)
        for keyword in rule.keywords
    )


def choose_automatic_reply(interaction: Interaction) -> tuple[str, str, bool] | None:
    """(rule name, reply template, privately) for `interaction`, or None. A dormant account's
    maintenance message comes first; then the first active rule whose kind and keywords
    match."""
    account = interaction.connected_account
    if account.status == ConnectedAccount.Status.MAINTENANCE and account.maintenance_message:
        return MAINTENANCE_RULE, account.maintenance_message, False
    for rule in AutoReplyRule.objects.filter(is_active=True):
        if _matches(rule, interaction):
            return rule.name, rule.response, rule.reply_privately
    return None


def run_automation(*, interaction_id: int) -> AutomationEvent | None:
    """Answer `interaction` automatically if a rule says so, at most once, and never twice to
    the same person within COOLDOWN.

    1. Only new inbound messages from a known person that Parley can answer qualify; our own
       echoes never do, which is what keeps automation from answering itself.
    2. Lock the person's row, so concurrent messages from them are decided one at a time.
    3. Record the decision (replied, rate-limited, blocked by the guideline) as an
       AutomationEvent, unique per interaction: a repeated task changes nothing.
    4. A reply goes out through the normal path: checked, then approved by the rule, then sent.
    """
    from inbox.services import REPLYABLE_KINDS, check_reply_text
    from inbox.tasks import send_reply_task

    interaction = (
        Interaction.objects.select_related("contact", "connected_account")
        .filter(pk=interaction_id, direction=Direction.INBOUND, is_deleted=False)
        .exclude(contact=None)
        .first()
    )
    choice = (
        choose_automatic_reply(interaction)
        if interaction is not None and interaction.kind in REPLYABLE_KINDS
        else None
    )
    if interaction is None or interaction.contact_id is None or choice is None:
        return None
    rule_name, template, private = choice
    client = getattr(connection, "tenant", None)
    if not isinstance(client, Client):
        raise RuntimeError("Automation runs inside a client's schema.")
    try:
        with transaction.atomic():
            Contact.objects.select_for_update().filter(pk=interaction.contact_id).first()
            if AutomationEvent.objects.filter(interaction=interaction).exists():
                return None
            recently = Reply.objects.filter(
                interaction__contact_id=interaction.contact_id,
                created_at__gte=timezone.now() - COOLDOWN,
            ).exclude(automation_rule="")
            if recently.exists():
                return AutomationEvent.objects.create(
                    interaction=interaction,
                    rule=rule_name,
                    outcome=AutomationEvent.Outcome.RATE_LIMITED,
                )
            text = render_saved_reply(template, interaction=interaction, agent=None, client=client)
            version, result = check_reply_text(interaction=interaction, text=text, private=private)
            if result.is_blocked:
                return AutomationEvent.objects.create(
                    interaction=interaction,
                    rule=rule_name,
                    outcome=AutomationEvent.Outcome.BLOCKED,
                    detail=" ".join(v.message for v in result.violations if v.severity == "block"),
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
            return AutomationEvent.objects.create(
                interaction=interaction,
                rule=rule_name,
                outcome=AutomationEvent.Outcome.REPLIED,
                reply=reply,
            )
    except IntegrityError:
        return None  # another run decided this interaction at the same moment
