"""Reads of a client's inbox, scoped by the member's role. Same 404 for missing and denied."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchQuery
from django.db.models import (
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import OrderBy
from django.http import Http404
from django.utils.dateparse import parse_datetime

from accounts.roles import Capability, ClientRole, role_allows
from clients.platforms.base import Direction
from escalation.models import EscalationEvent
from inbox.filters import apply_filters, search_query
from inbox.models import (
    Contact,
    Conversation,
    ConversationEvent,
    Interaction,
    ModerationAction,
    Note,
    Reply,
    SavedView,
    Tag,
)

INBOX_PAGE_SIZE = 50


def _require(role: ClientRole | None, capability: Capability) -> None:
    if not role_allows(role, capability):
        raise Http404


COUNT_CAP = 1000


@dataclass(frozen=True)
class ConversationPage:
    rows: Sequence[Conversation]
    next_cursor: str
    # Exact up to COUNT_CAP; past it the inbox says "1,000+": an exact count of a large
    # client's inbox costs more than the page itself and tells the agent nothing more.
    count: int
    count_capped: bool


def list_conversations(
    *,
    role: ClientRole | None,
    filters: dict[str, Any],
    user_id: int,
    cursor: str = "",
) -> ConversationPage:
    """One page of the inbox list, newest (or oldest) inbound message first, keyset-paginated
    on (last_inbound_at, id) so pages stay stable while new messages arrive. Two queries:
    the page (with tag names aggregated in) and the capped count; a search takes one or two
    for the page and counts nothing (see _search_page)."""
    _require(role, Capability.VIEW_INBOX)
    words = str(filters.get("q", "")).strip()
    view_filters = {name: value for name, value in filters.items() if name != "q"}
    base = apply_filters(
        Conversation.objects.filter(last_inbound_at__isnull=False),
        view_filters,
        user_id=user_id,
    )
    oldest_first = filters.get("sort") == "oldest"
    in_view = base
    position = _parse_cursor(cursor)
    if position is not None:
        when, pk = position
        if oldest_first:
            in_view = in_view.filter(
                Q(last_inbound_at__gt=when) | Q(last_inbound_at=when, id__gt=pk)
            )
        else:
            in_view = in_view.filter(
                Q(last_inbound_at__lt=when) | Q(last_inbound_at=when, id__lt=pk)
            )
    order = ("last_inbound_at", "id") if oldest_first else ("-last_inbound_at", "-id")
    if words:
        rows = _search_page(in_view, search_query(words), order, oldest_first)
    else:
        rows = _page(in_view, order)
    next_cursor = ""
    if len(rows) == INBOX_PAGE_SIZE:
        last = rows[-1]
        assert last.last_inbound_at is not None
        next_cursor = f"{last.last_inbound_at.isoformat()}|{last.pk}"
    if position is None and len(rows) < INBOX_PAGE_SIZE:
        count = len(rows)  # the whole result is on this page: no count query
    elif words:
        # Counting every match costs as much as finding them: say "more than a page".
        return ConversationPage(
            rows=rows, next_cursor=next_cursor, count=len(rows), count_capped=bool(next_cursor)
        )
    else:
        count = base.order_by()[: COUNT_CAP + 1].count()
    return ConversationPage(
        rows=rows,
        next_cursor=next_cursor,
        count=min(count, COUNT_CAP),
        count_capped=count > COUNT_CAP,
    )


# A search first looks among this many of the view's most recent conversations.
SEARCH_RECENT_WINDOW = 5000


def _page(conversations: QuerySet[Conversation], order: tuple[str, str]) -> list[Conversation]:
    """The page's rows with what the list shows of each, in one query."""
    return list(
        conversations.select_related("contact", "latest_inbound", "assignee")
        .defer("latest_inbound__search_vector")
        .annotate(
            tag_names=ArraySubquery(Tag.objects.filter(conversations=OuterRef("pk")).values("name"))
        )
        .order_by(*order)[:INBOX_PAGE_SIZE]
    )


def _search_page(
    in_view: QuerySet[Conversation],
    query: SearchQuery,
    order: tuple[str, str],
    oldest_first: bool,
) -> list[Conversation]:
    """A page of search results in the list's order, at a bounded cost for any word.

    Walking the list's index in order and testing each conversation is instant for a word
    that is everywhere, but walks the whole inbox for one absent from this view; PostgreSQL
    cannot tell the two apart beforehand (it estimates from the whole table). So: first the
    view's SEARCH_RECENT_WINDOW next conversations (a bounded walk); if the page fills there,
    those are the newest matches. Otherwise the search index finds every match and they are
    sorted without any join (about 100 ms on a million messages, whatever the word)."""
    window = in_view.order_by(*order).values("pk")[:SEARCH_RECENT_WINDOW]
    rows = _page(Conversation.objects.filter(pk__in=window, search_document=query), order)
    if len(rows) == INBOX_PAGE_SIZE:
        return rows
    unindexed_time = ExpressionWrapper(
        F("last_inbound_at") + Value(dt.timedelta(0)), output_field=DateTimeField()
    )
    by_time = OrderBy(unindexed_time, descending=not oldest_first)
    matches = in_view.filter(search_document=query).order_by(by_time, order[1])
    return _page(Conversation.objects.filter(pk__in=matches.values("pk")[:INBOX_PAGE_SIZE]), order)


def _parse_cursor(raw: str) -> tuple[dt.datetime, int] | None:
    """`<iso time>|<id>` of the last row seen; anything else starts from the top."""
    if not raw or "|" not in raw:
        return None
    when, _sep, pk = raw.rpartition("|")
    parsed = parse_datetime(when)
    if parsed is None or not pk.isdigit():
        return None
    return parsed, int(pk)


def get_conversation(*, role: ClientRole | None, conversation_id: int) -> Conversation:
    _require(role, Capability.VIEW_INBOX)
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404
    return conversation


def reply_target(*, conversation: Conversation, to: str) -> Interaction | None:
    """The message a reply in this conversation answers: `to` if it is one of the
    conversation's inbound messages, else the latest inbound one, else its first message."""
    messages = Interaction.objects.filter(conversation_id=conversation.pk).select_related(
        "contact", "connected_account", "conversation"
    )
    if to.isdigit() and (chosen := messages.filter(pk=int(to)).first()):
        return chosen
    return (
        messages.filter(pk=conversation.latest_inbound_id).first()
        if conversation.latest_inbound_id
        else messages.order_by("occurred_at", "id").first()
    )


def list_history(*, conversation: Conversation) -> list[ConversationEvent | Note]:
    """Notes and workflow events of the conversation, oldest first."""
    events = list(
        ConversationEvent.objects.filter(conversation_id=conversation.pk)
        .exclude(verb=ConversationEvent.Verb.NOTE)
        .select_related("actor")
    )
    notes = list(Note.objects.filter(conversation_id=conversation.pk).select_related("author"))
    return sorted([*events, *notes], key=lambda item: (item.created_at, item.pk))


TIMELINE_LENGTH = 30


def contact_timeline(*, contact: Contact | None) -> list[Interaction]:
    """Everything the person did with this client, newest first, on every connected account:
    messages, comments, reviews, and likes, shares, follows and unfollows."""
    if contact is None:
        return []
    return list(
        Interaction.objects.filter(contact_id=contact.pk)
        .select_related("connected_account")
        .order_by("-occurred_at", "-id")[:TIMELINE_LENGTH]
    )


@dataclass(frozen=True)
class OtherAnswer:
    who: str
    at: dt.datetime


def answered_since(
    *, conversation_id: int, since: dt.datetime, except_user_id: int
) -> OtherAnswer | None:
    """The first answer in the conversation after `since` by someone else: a reply written in
    Parley, or the page's own message sent from another tool."""
    reply = (
        Reply.objects.filter(interaction__conversation_id=conversation_id, created_at__gt=since)
        .exclude(author_id=except_user_id)
        .exclude(status__in=[Reply.Status.REJECTED, Reply.Status.FAILED])
        .select_related("author")
        .order_by("created_at")
        .first()
    )
    if reply is not None:
        who = reply.author.display_name if reply.author else reply.automation_rule
        return OtherAnswer(who=who or "Parley", at=reply.created_at)
    ours = Reply.objects.filter(interaction__conversation_id=conversation_id).exclude(
        external_id=""
    )
    echo = (
        Interaction.objects.filter(
            conversation_id=conversation_id,
            direction=Direction.OUTBOUND,
            received_at__gt=since,
        )
        .exclude(external_id__in=ours.values("external_id"))
        .order_by("received_at")
        .first()
    )
    if echo is not None:
        return OtherAnswer(who=str(echo.connected_account.name), at=echo.received_at)
    return None


def list_saved_views(*, user_id: int) -> list[SavedView]:
    return list(SavedView.objects.filter(Q(owner_id=user_id) | Q(owner__isnull=True)))


def get_interaction(*, role: ClientRole | None, interaction_id: int) -> Interaction:
    _require(role, Capability.VIEW_INBOX)
    interaction = (
        Interaction.objects.select_related("contact", "connected_account", "conversation")
        .filter(pk=interaction_id)
        .first()
    )
    if interaction is None:
        raise Http404
    return interaction


def list_thread(*, interaction: Interaction) -> QuerySet[Interaction]:
    """The conversation's interactions in order, each with our replies to it.

    Echoes of replies sent from Parley are left out: the reply itself is shown."""
    sent_ids = Reply.objects.filter(
        interaction__conversation_id=interaction.conversation_id
    ).exclude(external_id="")
    return (
        Interaction.objects.filter(conversation_id=interaction.conversation_id)
        .exclude(external_id__in=sent_ids.values("external_id"))
        .select_related("contact")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.select_related("author").order_by("created_at"),
            ),
            Prefetch(
                "moderation_actions",
                queryset=ModerationAction.objects.order_by("created_at"),
            ),
        )
        .order_by("occurred_at", "id")
    )


def list_escalations(*, interaction: Interaction) -> QuerySet[EscalationEvent]:
    return EscalationEvent.objects.filter(conversation_id=interaction.conversation_id).order_by(
        "created_at", "id"
    )


def get_reply(*, role: ClientRole | None, reply_id: int) -> Reply:
    _require(role, Capability.VIEW_INBOX)
    reply = Reply.objects.select_related("author", "interaction").filter(pk=reply_id).first()
    if reply is None:
        raise Http404
    return reply
