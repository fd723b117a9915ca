"""Batch ingestion: many normalized events of one client in a fixed number of queries.

The common case, a new inbound comment or message, goes through `ingest_batch` set-based:
contacts, conversations and interactions in a few bulk statements, escalation rules loaded
once, every touched conversation refreshed together. Everything else (edits, deletions and
hides of what we hold, our own echoes, repeats) goes through `services.ingest_interaction`
one by one, after the new ones, so an edit that arrived before its comment still applies.
The result is the same as ingesting each event alone (tests/inbox/test_ingest_batch.py
checks that). Call inside the client's schema, in a transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from clients.models import ConnectedAccount
from clients.platforms.base import (
    Direction,
    InteractionAction,
    NormalizedInteraction,
)
from escalation.rules import active_rules
from inbox import automation
from inbox.models import AutoReplyRule, Contact, Conversation, Interaction
from inbox.services import (
    CONTACT_FACTS,
    REPLYABLE_KINDS,
    contact_facts,
    escalate,
    follows_parent,
    ingest_interaction,
    new_interaction_fields,
    read_message,
)
from inbox.workflow import refresh_conversations, wake_on_new_message


@dataclass
class _New:
    """One new inbound item on its way into the tables."""

    normalized: NormalizedInteraction
    account: ConnectedAccount
    thread_key: str = ""
    interaction: Interaction | None = None


def ingest_batch(items: Sequence[tuple[NormalizedInteraction, ConnectedAccount]]) -> None:
    """Ingest `items`, given in delivery order."""
    fresh, later = _split(items)
    if fresh:
        _ingest_new(fresh)
    for normalized, account in later:
        ingest_interaction(normalized=normalized, connected_account=account)


def _split(
    items: Sequence[tuple[NormalizedInteraction, ConnectedAccount]],
) -> tuple[list[_New], list[tuple[NormalizedInteraction, ConnectedAccount]]]:
    """New inbound creations go set-based; the rest (and repeats) one by one."""
    keys = {(n.platform, n.external_id) for n, _ in items}
    known = set(
        Interaction.objects.filter(
            platform__in={platform for platform, _ in keys},
            external_id__in={external_id for _, external_id in keys},
        ).values_list("platform", "external_id")
    )
    fresh: list[_New] = []
    later = []
    seen: set[tuple[str, str]] = set()
    for normalized, account in items:
        key = (normalized.platform, normalized.external_id)
        if (
            normalized.action == InteractionAction.CREATED
            and normalized.direction == Direction.INBOUND
            and key not in known
            and key not in seen
        ):
            fresh.append(_New(normalized, account))
            seen.add(key)
        else:
            later.append((normalized, account))
    return fresh, later


def _ingest_new(fresh: list[_New]) -> None:
    contacts = _upsert_contacts([item.normalized for item in fresh])
    conversations = _upsert_conversations(fresh, contacts)
    interactions = []
    for item in fresh:
        normalized = item.normalized
        item.interaction = Interaction(
            platform=normalized.platform,
            external_id=normalized.external_id,
            connected_account=item.account,
            conversation=conversations[(item.account.pk, item.thread_key)],
            contact=_contact_of(normalized, contacts),
            **new_interaction_fields(normalized, read_message(normalized)),
        )
        interactions.append(item.interaction)
    Interaction.objects.bulk_create(interactions)
    _escalate(fresh)
    waiting = {i.conversation_id for i in interactions if i.needs_reply}
    for conversation in conversations.values():
        parked = conversation.snoozed_until or conversation.status in ("resolved", "pending")
        if conversation.pk in waiting and parked:
            wake_on_new_message(conversation)  # a new message ends a snooze, reopens
    refresh_conversations([c.pk for c in conversations.values()])
    _schedule_automation(fresh)


def _contact_of(
    normalized: NormalizedInteraction, contacts: dict[tuple[str, str], Contact]
) -> Contact | None:
    if normalized.author is None:
        return None
    return contacts.get((normalized.platform, normalized.author.external_id))


def _upsert_contacts(found: list[NormalizedInteraction]) -> dict[tuple[str, str], Contact]:
    """One row per person: created, or completed with what the platform says this time."""
    authors = {}
    for normalized in found:
        if normalized.author is not None:
            authors[(normalized.platform, normalized.author.external_id)] = normalized.author
    if not authors:
        return {}
    existing = {
        (c.platform, c.external_id): c
        for c in Contact.objects.filter(
            platform__in={p for p, _ in authors}, external_id__in={e for _, e in authors}
        )
    }
    rows = []
    now = timezone.now()
    for (platform, external_id), author in authors.items():
        contact = existing.get((platform, external_id)) or Contact(
            platform=platform, external_id=external_id, first_seen_at=now
        )
        for field, value in contact_facts(author).items():
            setattr(contact, field, value)
        contact.last_seen_at = now
        rows.append(contact)
    saved = Contact.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["platform", "external_id"],
        update_fields=[*CONTACT_FACTS, "last_seen_at"],
    )
    return {(contact.platform, contact.external_id): contact for contact in saved}


def _upsert_conversations(
    fresh: list[_New], contacts: dict[tuple[str, str], Contact]
) -> dict[tuple[int, str], Conversation]:
    """The thread of every item, created on its first event; a reply whose parent we hold
    (already, or earlier in this batch) joins the parent's thread."""
    parents = {
        item.normalized.parent_external_id for item in fresh if follows_parent(item.normalized)
    }
    held = {
        (account_id, external_id): thread_key
        for account_id, external_id, thread_key in Interaction.objects.filter(
            # The platform first, so the (platform, external_id) index answers.
            platform__in={item.normalized.platform for item in fresh},
            external_id__in=parents,
        ).values_list("connected_account_id", "external_id", "conversation__thread_key")
    }
    for item in fresh:
        normalized = item.normalized
        item.thread_key = normalized.thread_key
        if follows_parent(normalized):
            parent = (item.account.pk, normalized.parent_external_id)
            item.thread_key = held.get(parent, item.thread_key)
        held[(item.account.pk, normalized.external_id)] = item.thread_key
    keys = {(item.account.pk, item.thread_key) for item in fresh}
    existing = {
        (c.connected_account_id, c.thread_key): c
        for c in Conversation.objects.filter(
            connected_account_id__in={a for a, _ in keys}, thread_key__in={t for _, t in keys}
        )
    }
    rows: dict[tuple[int, str], Conversation] = {}
    for item in fresh:
        normalized = item.normalized
        key = (item.account.pk, item.thread_key)
        contact = _contact_of(normalized, contacts)
        conversation = (
            rows.get(key)
            or existing.get(key)
            or Conversation(
                platform=normalized.platform,
                connected_account=item.account,
                thread_key=item.thread_key,
                permalink=normalized.thread_permalink,
                post_external_id=normalized.post_external_id,
                kind=normalized.kind,
                last_activity_at=normalized.occurred_at,
            )
        )
        conversation.last_activity_at = max(conversation.last_activity_at, normalized.occurred_at)
        if conversation.contact_id is None and contact is not None:
            conversation.contact = contact
        rows[key] = conversation
    new = [c for c in rows.values() if c.pk is None]
    known = [c for c in rows.values() if c.pk is not None]
    # A conversation another worker opened meanwhile is updated instead (and its id read).
    Conversation.objects.bulk_create(
        new,
        update_conflicts=True,
        unique_fields=["connected_account", "thread_key"],
        update_fields=["last_activity_at"],
    )
    if known:
        with connection.cursor() as cursor:
            cursor.execute(
                TOUCH_CONVERSATIONS_SQL,
                [
                    [c.pk for c in known],
                    [c.last_activity_at for c in known],
                    [c.contact_id for c in known],
                ],
            )
    return rows


# Later activity and, for threads our own echo opened, the person who wrote in.
TOUCH_CONVERSATIONS_SQL = """
    UPDATE inbox_conversation c SET
        last_activity_at = greatest(c.last_activity_at, v.at),
        contact_id = coalesce(c.contact_id, v.contact_id)
    FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[]) AS v(id, at, contact_id)
    WHERE c.id = v.id
"""


def _escalate(fresh: list[_New]) -> None:
    """The client's rules, loaded once: an interaction no rule matches costs no query."""
    rules = active_rules()
    for item in fresh:
        if rules and item.interaction is not None:
            escalate(item.interaction, rules)


def _schedule_automation(fresh: list[_New]) -> None:
    """The automation task, for the messages it could act on (see automation.may_act)."""
    from inbox.tasks import run_automation_task

    has_rules = AutoReplyRule.objects.filter(is_active=True).exists()
    for item in fresh:
        interaction = item.interaction
        if interaction is None or interaction.kind not in REPLYABLE_KINDS:
            continue
        if automation.may_act(
            kind=interaction.kind,
            text=interaction.text,
            account_in_maintenance=item.account.status == ConnectedAccount.Status.MAINTENANCE,
            has_rules=has_rules,
        ):
            run_automation_task.delay_on_commit(interaction.pk)
