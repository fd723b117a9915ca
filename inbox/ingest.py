"""Batch ingestion: many normalized events of one client in a fixed number of queries.

The common case, a new inbound comment or message, goes through `ingest_batch` set-based:
contacts, conversations and interactions in one statement each, escalation rules loaded once,
each touched conversation written once (a new one complete, an existing one updated after its
interactions are in). Everything else (edits, deletions and hides of what we hold, our own
echoes, repeats) goes through `services.ingest_interaction` one by one, after the new ones,
so an edit that arrived before its comment still applies. The result is the same as
ingesting each event alone (tests/inbox/test_ingest_batch.py checks that). Call inside the
client's schema, in a transaction.

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
    ENGAGEMENT_KINDS,
    Direction,
    InteractionAction,
    NormalizedInteraction,
)
from escalation.rules import Facts, active_rules, matching_rules
from inbox import automation
from inbox.models import SEARCH_VECTOR_SQL, AutoReplyRule, Contact, Conversation, Interaction
from inbox.services import (
    REPLYABLE_KINDS,
    contact_facts,
    current_client_language,
    escalate,
    follows_parent,
    ingest_interaction,
    new_interaction_fields,
    read_message,
)
from inbox.workflow import sync_work_items, update_list_fields, wake_on_new_message


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
    """A conversation the batch touched: what waking a parked one needs, and whether this
    batch created it (its row is then complete already) or found it."""

    id: int
    status: str
    snoozed_until: dt.datetime | None
    created: bool
    # What the batch adds to a thread it found: its latest activity, and the person.
    last_activity_at: dt.datetime | None = None
    contact_id: int | None = None


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
    known = {(platform, external_id) for platform, external_id, *_ in _held(keys)}
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


# The interactions we hold among the (platform, external_id) keys, with their account and
# thread: one probe of the unique index per key. As `platform IN (...) AND external_id =
# ANY(...)` the planner, short of fresh statistics (a table that grew since its last
# analyze, or a server without autovacuum), read every interaction of the platform and
# filtered: 6.7 ms a batch at 50,000 interactions, and growing with the table. LIMIT keeps
# the lateral subquery from being turned back into such a join.
HELD_SQL = """
    SELECT i.platform, i.external_id, i.connected_account_id, c.thread_key
    FROM unnest(%s::text[], %s::text[]) AS k(platform, external_id)
    CROSS JOIN LATERAL (
        SELECT platform, external_id, connected_account_id, conversation_id
        FROM inbox_interaction
        WHERE platform = k.platform AND external_id = k.external_id
        LIMIT 1
    ) i
    JOIN inbox_conversation c ON c.id = i.conversation_id
"""


def _held(keys: set[tuple[str, str]]) -> list[tuple[str, str, int, str]]:
    """(platform, external_id, account id, thread key) of each interaction we hold among
    `keys`."""
    if not keys:
        return []
    platforms, external_ids = zip(*keys, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(HELD_SQL, [list(platforms), list(external_ids)])
        return cursor.fetchall()


def _ingest_new(fresh: list[_New]) -> None:
    # Read every message first: the upserts below lock rows other batches may want (a
    # post's engagement thread) until the commit, so the CPU-heavy part goes before them.
    client_language = current_client_language()
    for item in fresh:
        reading = read_message(item.normalized, client_language=client_language)
        item.fields = new_interaction_fields(item.normalized, reading)
    _upsert_contacts(fresh)
    _number_interactions(fresh)
    threads = _upsert_conversations(fresh)
    _insert_interactions(fresh)
    rechecked = _escalate(fresh)
    waiting = {item.conversation_id for item in fresh if item.fields["needs_reply"]}
    for thread in threads:
        parked = thread.snoozed_until or thread.status in ("resolved", "pending")
        if thread.id in waiting and parked:
            # A new message ends a snooze, reopens.
            wake_on_new_message(
                Conversation(pk=thread.id, status=thread.status, snoozed_until=thread.snoozed_until)
            )
    # A thread this batch created has its list fields already; one it found gets them now,
    # with its new activity, in one row version (the upsert only locked it). So does a new
    # one whose waiting changed when a rule made a like or a share need a reply.
    found = {thread.id: thread for thread in threads if not thread.created}
    update = sorted(found.keys() | rechecked)
    if update:
        update_list_fields(
            update,
            [found[pk].last_activity_at if pk in found else None for pk in update],
            [found[pk].contact_id if pk in found else None for pk in update],
        )
    sync_work_items(sorted(thread.id for thread in threads))
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


def _number_interactions(fresh: list[_New]) -> None:
    """Take the new interactions' ids from their sequence first, so a new conversation's row
    can name its latest message when it is written (its foreign keys are checked at the
    commit, once the interactions exist)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('inbox_interaction', 'id'))"
            " FROM generate_series(1, %s)",
            [len(fresh)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    for item, pk in zip(fresh, ids, strict=True):
        item.interaction_id = pk


# The thread of every item. One the batch opens is written once, complete: its list fields
# (inbox.workflow.LIST_FIELDS_SQL) come from the batch's own messages, the only ones it has;
# the search document is built as search_document_sql builds it, from the same vectors. One
# that exists (or another worker just opened) is only locked here (DO UPDATE ... WHERE
# false) and not returned; its list fields are updated once the interactions exist. Rows
# come sorted, so concurrent batches lock shared threads in the same order.
UPSERT_CONVERSATIONS_SQL = f"""
    INSERT INTO inbox_conversation AS c
        (platform, connected_account_id, thread_key, post_external_id, permalink, kind,
         contact_id, last_activity_at, status, priority, needs_reply, sentiment, language,
         approval_required_by, created_at, latest_inbound_id, last_inbound_at,
         search_document)
    SELECT r.platform, r.account_id, r.thread_key, r.post_external_id, r.permalink, r.kind,
           r.contact_id, r.last_activity_at, %s, %s, r.waiting, r.latest_sentiment,
           r.latest_language, '', now(), r.latest_inbound_id, r.last_inbound_at,
           coalesce((SELECT string_agg(({SEARCH_VECTOR_SQL})::text, ' ')::tsvector
                     FROM jsonb_to_recordset(r.messages) AS m("text" text, "language" text)),
                    ''::tsvector)
           || coalesce(to_tsvector('simple', r.contact_name || ' ' || r.contact_handle),
                       ''::tsvector)
    FROM jsonb_to_recordset(%s::jsonb) AS r(platform text, account_id bigint, thread_key text,
         post_external_id text, permalink text, kind text, contact_id bigint,
         last_activity_at timestamptz, waiting boolean, latest_sentiment text,
         latest_language text, latest_inbound_id bigint, last_inbound_at timestamptz,
         messages jsonb, contact_name text, contact_handle text)
    ORDER BY r.account_id, r.thread_key
    ON CONFLICT (connected_account_id, thread_key)
        DO UPDATE SET last_activity_at = c.last_activity_at WHERE false
    RETURNING c.connected_account_id, c.thread_key, c.id
"""  # noqa: S608 - SEARCH_VECTOR_SQL is constant SQL; the values are parameters

FOUND_CONVERSATIONS_SQL = """
    SELECT c.connected_account_id, c.thread_key, c.id, c.status, c.snoozed_until
    FROM inbox_conversation c
    JOIN unnest(%s::bigint[], %s::text[]) AS k(account_id, thread_key)
        ON c.connected_account_id = k.account_id AND c.thread_key = k.thread_key
"""


def _upsert_conversations(fresh: list[_New]) -> list[_Thread]:
    """The thread of every item, in one statement (two when some exist already). A reply
    whose parent we hold (already, or earlier in this batch) joins the parent's thread."""
    parents = {
        item.normalized.parent_external_id for item in fresh if follows_parent(item.normalized)
    }
    platforms = {item.normalized.platform for item in fresh}
    held = {
        (account_id, external_id): thread_key
        for _, external_id, account_id, thread_key in _held(
            {(platform, parent) for platform in platforms for parent in parents}
        )
    }
    members: dict[tuple[int, str], list[_New]] = {}
    for item in fresh:
        normalized = item.normalized
        item.thread_key = normalized.thread_key
        if follows_parent(normalized):
            parent = (item.account.pk, normalized.parent_external_id)
            item.thread_key = held.get(parent, item.thread_key)
        held[(item.account.pk, normalized.external_id)] = item.thread_key
        members.setdefault((item.account.pk, item.thread_key), []).append(item)
    rows = {key: _conversation_row(items) for key, items in members.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            UPSERT_CONVERSATIONS_SQL,
            [
                Conversation.Status.NEW,
                Conversation._meta.get_field("priority").default,
                _document(list(rows.values())),
            ],
        )
        threads = {
            (account_id, thread_key): _Thread(pk, Conversation.Status.NEW, None, created=True)
            for account_id, thread_key, pk in cursor.fetchall()
        }
        missing = [key for key in rows if key not in threads]
        if missing:
            cursor.execute(
                FOUND_CONVERSATIONS_SQL,
                [[account_id for account_id, _ in missing], [key for _, key in missing]],
            )
            for account_id, thread_key, pk, status, snoozed_until in cursor.fetchall():
                row = rows[(account_id, thread_key)]
                threads[(account_id, thread_key)] = _Thread(
                    pk,
                    status,
                    snoozed_until,
                    created=False,
                    last_activity_at=row["last_activity_at"],
                    contact_id=row["contact_id"],
                )
    for item in fresh:
        item.conversation_id = threads[(item.account.pk, item.thread_key)].id
    return list(threads.values())


def _conversation_row(items: list[_New]) -> dict[str, Any]:
    """A thread's row as its first event opens it, with its list fields as
    LIST_FIELDS_SQL computes them from these (inbound) messages: the latest, likes and the
    like last; waiting if any of them waits."""
    first = items[0]
    normalized = first.normalized
    person = next((item.contact for item in items if item.contact is not None), None)
    latest = max(
        items,
        key=lambda item: (
            item.normalized.kind not in ENGAGEMENT_KINDS,
            item.normalized.occurred_at,
            item.interaction_id,
        ),
    )
    return {
        "platform": normalized.platform,
        "account_id": first.account.pk,
        "thread_key": first.thread_key,
        "post_external_id": normalized.post_external_id,
        "permalink": normalized.thread_permalink,
        "kind": normalized.kind,
        "contact_id": person.id if person else None,
        "last_activity_at": max(item.normalized.occurred_at for item in items),
        "waiting": any(item.fields["needs_reply"] for item in items),
        "latest_sentiment": latest.fields.get("sentiment") or "",
        "latest_language": latest.fields.get("language") or "",
        "latest_inbound_id": latest.interaction_id,
        "last_inbound_at": latest.normalized.occurred_at,
        "messages": [
            {"text": item.normalized.text, "language": item.fields.get("language") or ""}
            for item in items
        ],
        "contact_name": person.name if person else None,
        "contact_handle": person.handle if person else None,
    }


INSERT_INTERACTIONS_SQL = """
    INSERT INTO inbox_interaction
        (id, platform, external_id, connected_account_id, conversation_id, contact_id, kind,
         direction, parent_external_id, text, attachments, permalink, rating, recommendation,
         reaction, occurred_at, platform_updated_at, needs_reply, language, sentiment,
         sentiment_score, is_spam, is_abusive, received_at, is_hidden, is_deleted)
    SELECT r.id, r.platform, r.external_id, r.account_id, r.conversation_id, r.contact_id, r.kind,
           r.direction, r.parent_external_id, r.text, r.attachments, r.permalink, r.rating,
           r.recommendation, r.reaction, r.occurred_at, r.platform_updated_at, r.needs_reply,
           coalesce(r.language, ''), coalesce(r.sentiment, ''), r.sentiment_score,
           coalesce(r.is_spam, false), coalesce(r.is_abusive, false), now(), false, false
    FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, platform text, external_id text,
         account_id bigint, conversation_id bigint, contact_id bigint, kind text, direction text,
         parent_external_id text, text text, attachments jsonb, permalink text,
         rating smallint, recommendation text, reaction text, occurred_at timestamptz,
         platform_updated_at timestamptz, needs_reply boolean, language text, sentiment text,
         sentiment_score double precision, is_spam boolean, is_abusive boolean)
"""


def _insert_interactions(fresh: list[_New]) -> None:
    rows = []
    for item in fresh:
        normalized = item.normalized
        rows.append(
            {
                "id": item.interaction_id,
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


def _escalate(fresh: list[_New]) -> set[int]:
    """The client's rules, loaded once: an interaction no rule matches costs no query.
    Returns the conversations of the interactions a rule made wait for a reply."""
    rules = active_rules()
    waiting_now: set[int] = set()
    if not rules:
        return waiting_now
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
            if interaction.needs_reply and not item.fields["needs_reply"]:
                waiting_now.add(item.conversation_id)
            item.fields["needs_reply"] = interaction.needs_reply
    return waiting_now


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
