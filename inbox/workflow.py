"""The work on conversations: status, assignment, tags, snooze, notes, bulk changes, and the
agency-wide index.

Every change by a person writes a ConversationEvent, and every change keeps the public
WorkItem row current in the same transaction (DESIGN.md, "Tenancy and routing"). Call inside
the client's schema."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core import signing
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.selectors import list_client_members
from clients.http import absolute_client_url
from clients.models import Client, WorkItem
from clients.platforms.base import ENGAGEMENT_KINDS, Direction
from escalation.models import PRIORITY_RANK
from inbox.live.events import conversation_changed, conversations_changed, publish
from inbox.models import Conversation, ConversationEvent, Interaction, Note, Tag, Team

Status = Conversation.Status
# Conversations in these states are work: they are mirrored into the agency queue's index.
OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
# The default inbox view and the queue: waiting for us, not parked.
WAITING_STATUSES = (Status.NEW, Status.OPEN)


def waiting_now() -> Q:
    """What waits for us at this moment: new or open, needing a reply, not snoozed. For
    conversations and for their WorkItem rows alike (the same field names)."""
    not_snoozed = Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=timezone.now())
    return Q(status__in=WAITING_STATUSES, needs_reply=True) & not_snoozed


SNIPPET_LENGTH = 280
UNDO_SALT = "parley.bulk-undo"
UNDO_MAX_AGE = dt.timedelta(minutes=10)
MAX_TAG_LENGTH = 60


class WorkflowError(ValueError):
    """The change cannot be made; the message says why, in words for the agent."""


# --- Keeping the conversation and the index current ---------------------------------------


def refresh_conversation(conversation_id: int) -> None:
    """Recompute what the inbox shows about a conversation from its inbound messages (the
    latest one, whether anything still needs a reply), then sync its work item. (Batch
    ingestion writes the conversations it touches itself: inbox/ingest.py.)"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM inbox_conversation WHERE id = %s FOR UPDATE", [conversation_id]
        )
    update_list_fields([conversation_id])
    sync_work_items([conversation_id])


def update_list_fields(
    conversation_ids: list[int],
    activity: list[dt.datetime | None] | None = None,
    contacts: list[int | None] | None = None,
) -> None:
    """Recompute the list fields of conversations whose rows the caller has locked, in one
    statement. Batch ingestion also passes, per conversation, the time of its latest new
    activity and the person who wrote in (for a thread our own echo opened): recorded in the
    same row version, not one more."""
    engagement = sorted(str(kind) for kind in ENGAGEMENT_KINDS)
    with connection.cursor() as cursor:
        cursor.execute(LIST_FIELDS_SQL, [conversation_ids, activity, contacts, engagement])


def search_document_sql(contact_id: str) -> str:
    """The conversation's search document: its messages' vectors (stored on each
    interaction) and the name and handle of the person `contact_id` (an SQL expression)
    names. tsvector has no aggregate, so the vectors travel as text."""
    return f"""
    coalesce((SELECT string_agg(i.search_vector::text, ' ')::tsvector
              FROM inbox_interaction i
              WHERE i.conversation_id = c.id AND NOT i.is_deleted), ''::tsvector)
    || coalesce((SELECT to_tsvector('simple', p.name || ' ' || p.handle)
                 FROM inbox_contact p WHERE p.id = {contact_id}), ''::tsvector)
"""  # noqa: S608 - callers pass constant SQL


SEARCH_DOCUMENT_SQL = (
    f"UPDATE inbox_conversation c SET search_document = {search_document_sql('c.contact_id')}"  # noqa: S608 - constant SQL
)

# What the list shows about each conversation, from its inbound messages: the latest
# message (a like in a message thread is not one), and whether anything waits for a reply;
# and its search document. One statement, so each row gets one new version (and its nine
# index entries) per refresh, not two. Expressions read the row as it was, so the search
# document names the person this statement records.
LIST_FIELDS_SQL = f"""
    UPDATE inbox_conversation c SET
        latest_inbound_id = latest.id,
        last_inbound_at = latest.occurred_at,
        sentiment = coalesce(latest.sentiment, ''),
        language = coalesce(latest.language, ''),
        needs_reply = coalesce(latest.waiting, false),
        last_activity_at = greatest(c.last_activity_at, touched.activity),
        contact_id = coalesce(c.contact_id, touched.contact_id),
        search_document = {search_document_sql("coalesce(c.contact_id, touched.contact_id)")}
    FROM unnest(%s::bigint[], %s::timestamptz[], %s::bigint[])
        AS touched(id, activity, contact_id)
    LEFT JOIN LATERAL (
        SELECT i.id, i.occurred_at, i.sentiment, i.language,
               bool_or(i.needs_reply) OVER () AS waiting
        FROM inbox_interaction i
        WHERE i.conversation_id = touched.id AND i.direction = 'inbound'
        ORDER BY (i.kind = ANY(%s)), i.is_deleted, i.occurred_at DESC, i.id DESC
        LIMIT 1
    ) latest ON true
    WHERE c.id = touched.id
"""  # noqa: S608 - constant SQL; the values are parameters


# The work-item columns a sync rewrites (sla_due_at belongs to the SLA clock).
WORK_ITEM_COLUMNS = [
    "interaction_id",
    "status",
    "priority",
    "priority_rank",
    "assignee_id",
    "needs_reply",
    "platform",
    "kind",
    "sentiment",
    "language",
    "contact_name",
    "snippet",
    "last_inbound_at",
    "snoozed_until",
    "escalated",
    "updated_at",
]


# Open and either waiting for a reply or taken on by someone (open/pending).
_OPEN_STATUSES_SQL = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
IS_OPEN_WORK_SQL = (
    f"(c.status IN ({_OPEN_STATUSES_SQL}) AND (c.needs_reply OR c.status <> '{Status.NEW}'))"
)
PRIORITY_RANK_SQL = (
    "CASE c.priority "
    + " ".join(f"WHEN '{priority}' THEN {rank}" for priority, rank in PRIORITY_RANK.items())
    + " END"
)

# Each conversation's row in the public work-item index, read from the conversation itself,
# its person and its latest message: written when it is open work, removed when it is not.
# One statement for any number of conversations. The person, the message and the rows to
# remove are looked up one by one by key (subqueries, an array): as joins, a planner with
# stale statistics (a burst into a young table) hashed every contact and every work item
# of the client for each batch, a cost growing with the tables.
SYNC_WORK_ITEMS_SQL = f"""
    WITH touched AS (
        SELECT c.*, {IS_OPEN_WORK_SQL} AS is_work, {PRIORITY_RANK_SQL} AS priority_rank
        FROM inbox_conversation c WHERE c.id = ANY(%(ids)s)
    ), dropped AS (
        DELETE FROM {WorkItem._meta.db_table} w
        WHERE w.client_id = %(client)s
          AND w.conversation_id = ANY(ARRAY(SELECT t.id FROM touched t WHERE NOT t.is_work))
    )
    INSERT INTO {WorkItem._meta.db_table} AS w
        (client_id, conversation_id, interaction_id, status, priority, priority_rank,
         assignee_id, needs_reply, platform, kind, sentiment, language, contact_name, snippet,
         last_inbound_at, snoozed_until, escalated, updated_at)
    SELECT %(client)s, t.id, t.latest_inbound_id, t.status, t.priority, t.priority_rank,
           t.assignee_id, t.needs_reply, t.platform, t.kind, t.sentiment, t.language,
           -- str(Contact): the name, else the handle, else the platform's id
           coalesce((SELECT coalesce(nullif(p.name, ''), nullif(p.handle, ''), p.external_id)
                     FROM inbox_contact p WHERE p.id = t.contact_id), ''),
           left(coalesce((SELECT i.text FROM inbox_interaction i
                          WHERE i.id = t.latest_inbound_id), ''), {SNIPPET_LENGTH}),
           t.last_inbound_at, t.snoozed_until, t.escalated_at IS NOT NULL, now()
    FROM touched t
    WHERE t.is_work
    ON CONFLICT (client_id, conversation_id) DO UPDATE SET
        {", ".join(f"{column} = excluded.{column}" for column in WORK_ITEM_COLUMNS)}
"""  # noqa: S608 - table names from the models, the rest constant; the values are parameters


def sync_work_item(conversation: Conversation) -> None:
    """Mirror the saved conversation into the public WorkItem index, or drop it when it is no
    longer open work."""
    sync_work_items([conversation.pk])


def sync_work_items(conversation_ids: list[int]) -> None:
    """`sync_work_item` for many, in one statement."""
    client = _current_client()
    with connection.cursor() as cursor:
        cursor.execute(SYNC_WORK_ITEMS_SQL, {"ids": list(conversation_ids), "client": client.pk})
    conversations_changed(client.pk, list(conversation_ids))


def wake_on_new_message(conversation: Conversation) -> None:
    """A new message from the person ends a snooze and reopens what was parked."""
    updates: dict[str, Any] = {}
    if conversation.snoozed_until is not None:
        updates["snoozed_until"] = None
    if conversation.status in (Status.RESOLVED, Status.PENDING):
        updates["status"] = Status.OPEN
    if updates:
        Conversation.objects.filter(pk=conversation.pk).update(**updates)
        ConversationEvent.objects.create(
            conversation=conversation,
            verb=ConversationEvent.Verb.REOPENED,
            detail={"from": conversation.status, "to": updates.get("status", conversation.status)},
        )


def _current_client() -> Client:
    client = getattr(connection, "tenant", None)
    if not isinstance(client, Client):
        raise RuntimeError("The workflow runs inside a client's schema.")
    return client


def _locked(conversation: Conversation) -> Conversation:
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("latest_inbound", "contact")
        .get(pk=conversation.pk)
    )


def _record(
    conversation: Conversation, verb: ConversationEvent.Verb, actor: User | None, **detail: Any
) -> ConversationEvent:
    return ConversationEvent.objects.create(
        conversation=conversation, verb=verb, actor=actor, detail=detail
    )


# --- What a person does ------------------------------------------------------------------


@transaction.atomic
def set_status(*, conversation: Conversation, status: str, actor: User) -> Conversation:
    if status not in Status.values:
        raise WorkflowError(_("Unknown status."))
    conversation = _locked(conversation)
    previous = conversation.status
    if previous == status:
        return conversation
    conversation.status = status
    fields = ["status"]
    if status in (Status.RESOLVED, Status.SPAM):
        conversation.snoozed_until = None
        fields.append("snoozed_until")
    conversation.save(update_fields=fields)
    _record(conversation, ConversationEvent.Verb.STATUS, actor, **{"from": previous, "to": status})
    sync_work_item(conversation)
    return conversation


@transaction.atomic
def assign(
    *,
    conversation: Conversation,
    assignee: User | None,
    team: Team | None = None,
    actor: User,
) -> Conversation:
    """Give the conversation to a person (a member of the client) and/or a team, or to nobody.
    A new conversation that someone takes on becomes open; the assignee is notified."""
    client = _current_client()
    if (
        assignee is not None
        and not list_client_members(client=client).filter(pk=assignee.pk).exists()
    ):
        raise WorkflowError(_("That person does not work on this client."))
    conversation = _locked(conversation)
    if conversation.assignee_id == (assignee.pk if assignee else None) and (
        conversation.team_id == (team.pk if team else None)
    ):
        return conversation
    conversation.assignee = assignee
    conversation.team = team
    fields = ["assignee", "team"]
    if conversation.status == Status.NEW and (assignee or team):
        conversation.status = Status.OPEN
        fields.append("status")
    conversation.save(update_fields=fields)
    _record(
        conversation,
        ConversationEvent.Verb.ASSIGNED,
        actor,
        to=assignee.display_name if assignee else "",
        team=team.name if team else "",
    )
    if assignee is not None and assignee.pk != actor.pk:
        _notify(
            [assignee],
            client=client,
            conversation=conversation,
            text=_("%(actor)s assigned you a conversation in %(client)s.")
            % {"actor": actor.display_name, "client": client.name},
        )
    sync_work_item(conversation)
    return conversation


@transaction.atomic
def add_tag(*, conversation: Conversation, name: str, actor: User) -> Tag:
    name = " ".join(name.split())
    if not name:
        raise WorkflowError(_("Give the tag a name."))
    if len(name) > MAX_TAG_LENGTH:
        raise WorkflowError(
            _("A tag has at most %(limit)d characters.") % {"limit": MAX_TAG_LENGTH}
        )
    tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
    if not conversation.tags.filter(pk=tag.pk).exists():
        conversation.tags.add(tag)
        _record(conversation, ConversationEvent.Verb.TAGGED, actor, tag=tag.name)
        conversation_changed(_current_client().pk, conversation.pk)
    return tag


@transaction.atomic
def remove_tag(*, conversation: Conversation, tag: Tag, actor: User) -> None:
    if conversation.tags.filter(pk=tag.pk).exists():
        conversation.tags.remove(tag)
        _record(conversation, ConversationEvent.Verb.UNTAGGED, actor, tag=tag.name)
        conversation_changed(_current_client().pk, conversation.pk)


@transaction.atomic
def snooze(*, conversation: Conversation, until: dt.datetime, actor: User) -> Conversation:
    """Hide the conversation from the waiting views until `until`; a new message from the
    person wakes it earlier."""
    if until <= timezone.now():
        raise WorkflowError(_("Choose a time in the future."))
    conversation = _locked(conversation)
    conversation.snoozed_until = until
    conversation.save(update_fields=["snoozed_until"])
    _record(conversation, ConversationEvent.Verb.SNOOZED, actor, until=until.isoformat())
    sync_work_item(conversation)
    return conversation


@transaction.atomic
def mark_no_reply_needed(*, conversation: Conversation, actor: User) -> Conversation:
    """Nothing in the conversation waits for an answer any more (a thank-you, a tag)."""
    Interaction.objects.filter(
        conversation_id=conversation.pk, direction=Direction.INBOUND, needs_reply=True
    ).update(needs_reply=False)
    _record(conversation, ConversationEvent.Verb.NO_REPLY_NEEDED, actor)
    refresh_conversation(conversation.pk)
    conversation.refresh_from_db()
    return conversation


_MENTION = re.compile(r"(?<![\w.])@([\w.+-]+(?:@[\w-]+(?:\.[\w-]+)+)?)")


def find_mentions(text: str, members: Iterable[User]) -> list[User]:
    """The members a note mentions: @ followed by their e-mail address or the part before
    its @ ("@ada" for ada@agency.test), any case."""
    handles = {match.casefold() for match in _MENTION.findall(text)}
    return [
        member
        for member in members
        if member.email.casefold() in handles or member.email.split("@")[0].casefold() in handles
    ]


@transaction.atomic
def add_note(*, conversation: Conversation, author: User, text: str) -> Note:
    """An internal note; the members it @mentions are notified in the app."""
    text = text.strip()
    if not text:
        raise WorkflowError(_("Write the note first."))
    client = _current_client()
    mentioned = [
        user
        for user in find_mentions(text, list_client_members(client=client))
        if user.pk != author.pk
    ]
    note = Note.objects.create(
        conversation=conversation,
        author=author,
        text=text,
        mentioned_user_ids=[user.pk for user in mentioned],
    )
    _record(conversation, ConversationEvent.Verb.NOTE, author, note=note.pk)
    publish(client.pk, f"conversation-{conversation.pk}")
    _notify(
        mentioned,
        client=client,
        conversation=conversation,
        text=_("%(author)s mentioned you in a note in %(client)s: %(note)s")
        % {"author": author.display_name, "client": client.name, "note": text[:200]},
    )
    return note


def _notify(
    users: Iterable[User], *, client: Client, conversation: Conversation, text: str
) -> None:
    url = absolute_client_url(client, "inbox:conversation", conversation_id=conversation.pk)
    Notification.objects.bulk_create(
        Notification(user=user, client=client, text=text[:500], url=url) for user in users
    )


# --- Many at once ------------------------------------------------------------------------

BULK_ACTIONS = ("resolve", "spam", "assign", "tag")


@transaction.atomic
def bulk_change(
    *,
    conversation_ids: list[int],
    action: str,
    actor: User,
    assignee: User | None = None,
    tag_name: str = "",
) -> tuple[int, str]:
    """Apply one action to the selected conversations. Returns how many changed and, for
    "resolve", a signed token that undoes it (restores each one's previous status)."""
    if action not in BULK_ACTIONS:
        raise WorkflowError(_("Unknown action."))
    conversations = list(Conversation.objects.filter(pk__in=conversation_ids).order_by("pk"))
    previous: dict[str, str] = {}
    for conversation in conversations:
        if action in ("resolve", "spam"):
            target = Status.RESOLVED if action == "resolve" else Status.SPAM
            if conversation.status != target:
                previous[str(conversation.pk)] = conversation.status
                set_status(conversation=conversation, status=target, actor=actor)
        elif action == "assign":
            assign(conversation=conversation, assignee=assignee, actor=actor)
        else:
            add_tag(conversation=conversation, name=tag_name, actor=actor)
    undo = ""
    if action == "resolve" and previous:
        undo = signing.dumps(
            {"client": _current_client().pk, "actor": actor.pk, "previous": previous},
            salt=UNDO_SALT,
        )
    return len(conversations), undo


@transaction.atomic
def undo_bulk_resolve(*, token: str, actor: User) -> int:
    """Put back the statuses a bulk resolve replaced, for conversations still resolved.
    Only the person who resolved them may undo, within UNDO_MAX_AGE."""
    try:
        data = signing.loads(token, salt=UNDO_SALT, max_age=UNDO_MAX_AGE)
    except signing.BadSignature:
        raise WorkflowError(_("This undo is no longer possible.")) from None
    if data.get("client") != _current_client().pk or data.get("actor") != actor.pk:
        raise WorkflowError(_("This undo is no longer possible."))
    restored = 0
    previous: dict[str, str] = data.get("previous", {})
    for conversation in Conversation.objects.filter(
        pk__in=[int(pk) for pk in previous], status=Status.RESOLVED
    ):
        set_status(conversation=conversation, status=previous[str(conversation.pk)], actor=actor)
        restored += 1
    return restored
