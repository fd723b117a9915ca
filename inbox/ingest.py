"""Batch ingestion: many normalized events of one client in a fixed number of queries.

The common case, a new inbound comment or message, goes through `ingest_batch` set-based:
contacts, conversations and interactions in one statement each, escalation rules loaded once,
every touched conversation refreshed together. Everything else (edits, deletions and hides of
what we hold, our own echoes, repeats) goes through `services.ingest_interaction` one by one,
after the new ones, so an edit that arrived before its comment still applies. The result is
the same as ingesting each event alone (tests/inbox/test_ingest_batch.py checks that). Call
inside the client's schema, in a transaction.

The three statements are SQL of their own rather than `bulk_create`: the rows travel as one
JSON document (one parameter), where the ORM would prepare and bind every field of every row
one by one, which cost more CPU than everything else the batch does. They name every column
without a database default, so a new field on Contact, Conversation or Interaction must be
added to them too (the ingestion tests fail until it is)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db import connection

from clients.models import ConnectedAccount
from clients.platforms.base import (
    Direction,
    InteractionAction,
    NormalizedInteraction,
)
from escalation.rules import Facts, active_rules, matching_rules
from inbox import automation
from inbox.models import AutoReplyRule, Contact, Conversation, Interaction
from inbox.services import (
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
    contact: _Person | None = None
    conversation_id: int = 0
    interaction_id: int = 0
    fields: dict[str, Any] = field(default_factory=dict)  # new_interaction_fields


@dataclass(frozen=True)
class _Person:
    """A contact as the upsert returned it: what escalation rules read about the author."""

    external_id: str
    id: int
    name: str
    handle: str
    follower_count: int | None
    is_verified: bool
    is_vip: bool


@dataclass(frozen=True)
class _Thread:
    """A conversation as the upsert returned it: what waking a parked one needs."""

    id: int
    status: str
    snoozed_until: dt.datetime | None


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
            external_id__any={external_id for _, external_id in keys},
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
    # Read every message first: the upserts below lock rows other batches may want (a
    # post's engagement thread) until the commit, so the CPU-heavy part goes before them.
    for item in fresh:
        item.fields = new_interaction_fields(item.normalized, read_message(item.normalized))
    _upsert_contacts(fresh)
    threads = _upsert_conversations(fresh)
    _insert_interactions(fresh)
    _escalate(fresh)
    waiting = {item.conversation_id for item in fresh if item.fields["needs_reply"]}
    for thread in threads:
        parked = thread.snoozed_until or thread.status in ("resolved", "pending")
        if thread.id in waiting and parked:
            # A new message ends a snooze, reopens.
            wake_on_new_message(
                Conversation(pk=thread.id, status=thread.status, snoozed_until=thread.snoozed_until)
            )
    refresh_conversations([thread.id for thread in threads])
    _schedule_automation(fresh)


def _document(rows: list[dict[str, Any]]) -> str:
    """Rows as the one JSON parameter of a `jsonb_to_recordset` statement."""
    return orjson.dumps(rows).decode()


# One row per person: created, or completed with what the platform says this time (a blank
# or missing fact leaves what we knew; "verified" is never taken back by silence).
UPSERT_CONTACTS_SQL = """
    INSERT INTO inbox_contact AS p
        (platform, external_id, name, handle, avatar_url, follower_count, is_verified, is_vip,
         notes, first_seen_at, last_seen_at)
    SELECT r.platform, r.external_id, coalesce(r.name, ''), coalesce(r.handle, ''),
           coalesce(r.avatar_url, ''), r.follower_count, coalesce(r.is_verified, false), false,
           '', now(), now()
    FROM jsonb_to_recordset(%s::jsonb) AS r(platform text, external_id text, name text,
         handle text, avatar_url text, follower_count integer, is_verified boolean)
    ORDER BY r.platform, r.external_id
    ON CONFLICT (platform, external_id) DO UPDATE SET
        name = coalesce(nullif(excluded.name, ''), p.name),
        handle = coalesce(nullif(excluded.handle, ''), p.handle),
        avatar_url = coalesce(nullif(excluded.avatar_url, ''), p.avatar_url),
        follower_count = coalesce(excluded.follower_count, p.follower_count),
        is_verified = p.is_verified OR excluded.is_verified,
        last_seen_at = excluded.last_seen_at
    RETURNING p.platform, p.external_id, p.id, p.name, p.handle, p.follower_count,
              p.is_verified, p.is_vip
"""


def _upsert_contacts(fresh: list[_New]) -> None:
    """Every author's contact, in one statement; each item learns its own."""
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    for item in fresh:
        author = item.normalized.author
        if author is not None:
            key = (item.normalized.platform, author.external_id)
            # Several events of one person: what each says, the later ones winning.
            facts[key] = {**facts.get(key, {}), **contact_facts(author)}
    if not facts:
        return
    rows = [
        {"platform": platform, "external_id": external_id, **given}
        for (platform, external_id), given in facts.items()
    ]
    with connection.cursor() as cursor:
        cursor.execute(UPSERT_CONTACTS_SQL, [_document(rows)])
        people = {(row[0], row[1]): _Person(*row[1:]) for row in cursor.fetchall()}
    for item in fresh:
        author = item.normalized.author
        if author is not None:
            item.contact = people[(item.normalized.platform, author.external_id)]


# The thread of every item: created on its first event; one we hold (or another worker just
# opened) records the later activity and, for a thread our own echo opened, the person who
# wrote in. Rows come sorted, so concurrent batches lock shared threads in the same order.
UPSERT_CONVERSATIONS_SQL = """
    INSERT INTO inbox_conversation AS c
        (platform, connected_account_id, thread_key, post_external_id, permalink, kind,
         contact_id, last_activity_at, status, priority, needs_reply, sentiment, language,
         approval_required_by, created_at)
    SELECT r.platform, r.account_id, r.thread_key, r.post_external_id, r.permalink, r.kind,
           r.contact_id, r.last_activity_at, %s, %s, false, '', '', '', now()
    FROM jsonb_to_recordset(%s::jsonb) AS r(platform text, account_id bigint, thread_key text,
         post_external_id text, permalink text, kind text, contact_id bigint,
         last_activity_at timestamptz)
    ORDER BY r.account_id, r.thread_key
    ON CONFLICT (connected_account_id, thread_key) DO UPDATE SET
        last_activity_at = greatest(c.last_activity_at, excluded.last_activity_at),
        contact_id = coalesce(c.contact_id, excluded.contact_id)
    RETURNING c.connected_account_id, c.thread_key, c.id, c.status, c.snoozed_until
"""


def _upsert_conversations(fresh: list[_New]) -> list[_Thread]:
    """The thread of every item, in one statement. A reply whose parent we hold (already, or
    earlier in this batch) joins the parent's thread."""
    parents = {
        item.normalized.parent_external_id for item in fresh if follows_parent(item.normalized)
    }
    held = {
        (account_id, external_id): thread_key
        for account_id, external_id, thread_key in Interaction.objects.filter(
            # The platform first, so the (platform, external_id) index answers.
            platform__in={item.normalized.platform for item in fresh},
            external_id__any=parents,
        ).values_list("connected_account_id", "external_id", "conversation__thread_key")
    }
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for item in fresh:
        normalized = item.normalized
        item.thread_key = normalized.thread_key
        if follows_parent(normalized):
            parent = (item.account.pk, normalized.parent_external_id)
            item.thread_key = held.get(parent, item.thread_key)
        held[(item.account.pk, normalized.external_id)] = item.thread_key
        key = (item.account.pk, item.thread_key)
        row = rows.get(key)
        if row is None:
            # What a new thread takes from its first event.
            rows[key] = {
                "platform": normalized.platform,
                "account_id": item.account.pk,
                "thread_key": item.thread_key,
                "post_external_id": normalized.post_external_id,
                "permalink": normalized.thread_permalink,
                "kind": normalized.kind,
                "contact_id": item.contact.id if item.contact else None,
                "last_activity_at": normalized.occurred_at,
            }
        else:
            row["last_activity_at"] = max(row["last_activity_at"], normalized.occurred_at)
            if row["contact_id"] is None and item.contact is not None:
                row["contact_id"] = item.contact.id
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT_CONVERSATIONS_SQL,
            [
                Conversation.Status.NEW,
                Conversation._meta.get_field("priority").default,
                _document(list(rows.values())),
            ],
        )
        returned = cursor.fetchall()
    ids = {(row[0], row[1]): row[2] for row in returned}
    for item in fresh:
        item.conversation_id = ids[(item.account.pk, item.thread_key)]
    return [_Thread(*row[2:]) for row in returned]


INSERT_INTERACTIONS_SQL = """
    INSERT INTO inbox_interaction
        (platform, external_id, connected_account_id, conversation_id, contact_id, kind,
         direction, parent_external_id, text, attachments, permalink, rating, recommendation,
         reaction, occurred_at, platform_updated_at, needs_reply, language, sentiment,
         sentiment_score, is_spam, is_abusive, received_at, is_hidden, is_deleted)
    SELECT r.platform, r.external_id, r.account_id, r.conversation_id, r.contact_id, r.kind,
           r.direction, r.parent_external_id, r.text, r.attachments, r.permalink, r.rating,
           r.recommendation, r.reaction, r.occurred_at, r.platform_updated_at, r.needs_reply,
           coalesce(r.language, ''), coalesce(r.sentiment, ''), r.sentiment_score,
           coalesce(r.is_spam, false), coalesce(r.is_abusive, false), now(), false, false
    FROM jsonb_to_recordset(%s::jsonb) AS r(platform text, external_id text, account_id bigint,
         conversation_id bigint, contact_id bigint, kind text, direction text,
         parent_external_id text, text text, attachments jsonb, permalink text,
         rating smallint, recommendation text, reaction text, occurred_at timestamptz,
         platform_updated_at timestamptz, needs_reply boolean, language text, sentiment text,
         sentiment_score double precision, is_spam boolean, is_abusive boolean)
    RETURNING platform, external_id, id
"""


def _insert_interactions(fresh: list[_New]) -> None:
    rows = []
    for item in fresh:
        normalized = item.normalized
        rows.append(
            {
                "platform": normalized.platform,
                "external_id": normalized.external_id,
                "account_id": item.account.pk,
                "conversation_id": item.conversation_id,
                "contact_id": item.contact.id if item.contact else None,
                **item.fields,
            }
        )
    with connection.cursor() as cursor:
        cursor.execute(INSERT_INTERACTIONS_SQL, [_document(rows)])
        ids = {(row[0], row[1]): row[2] for row in cursor.fetchall()}
    for item in fresh:
        item.interaction_id = ids[(item.normalized.platform, item.normalized.external_id)]


def _escalate(fresh: list[_New]) -> None:
    """The client's rules, loaded once: an interaction no rule matches costs no query."""
    rules = active_rules()
    if not rules:
        return
    for item in fresh:
        person = item.contact
        facts = Facts(
            kind=item.normalized.kind,
            platform=item.normalized.platform,
            text=item.normalized.text,
            sentiment=item.fields.get("sentiment", ""),
            follower_count=person.follower_count if person else None,
            is_vip=bool(person and person.is_vip),
            is_verified=bool(person and person.is_verified),
        )
        if matching_rules(rules, facts):
            interaction = _interaction_of(item)
            escalate(interaction, rules)
            # A rule may make engagement wait for a reply.
            item.fields["needs_reply"] = interaction.needs_reply


def _interaction_of(item: _New) -> Interaction:
    """The stored interaction as a model instance, built from what the batch holds."""
    person = item.contact
    contact = None
    if person is not None:
        contact = Contact(
            pk=person.id,
            platform=item.normalized.platform,
            external_id=person.external_id,
            name=person.name,
            handle=person.handle,
            follower_count=person.follower_count,
            is_verified=person.is_verified,
            is_vip=person.is_vip,
        )
    return Interaction(
        pk=item.interaction_id,
        platform=item.normalized.platform,
        external_id=item.normalized.external_id,
        connected_account=item.account,
        conversation_id=item.conversation_id,
        contact=contact,
        **item.fields,
    )


def _schedule_automation(fresh: list[_New]) -> None:
    """The automation task, for the messages it could act on (see automation.may_act)."""
    from inbox.tasks import run_automation_task

    has_rules = AutoReplyRule.objects.filter(is_active=True).exists()
    for item in fresh:
        kind = item.normalized.kind
        if kind not in REPLYABLE_KINDS:
            continue
        if automation.may_act(
            kind=kind,
            text=item.normalized.text,
            account_in_maintenance=item.account.status == ConnectedAccount.Status.MAINTENANCE,
            has_rules=has_rules,
        ):
            run_automation_task.delay_on_commit(item.interaction_id)
