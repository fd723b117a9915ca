"""The agency-wide queue: every open conversation of every client a person may see, read from
the public WorkItem index only (never from the clients' schemas)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from accounts.selectors import ClientRef
from clients.models import Platform, WorkItem
from clients.platforms.base import InteractionKind
from escalation.models import Priority
from inbox.filters import LANGUAGES, SENTIMENTS, FilterForm, blank, set_choices
from inbox.workflow import waiting_now

QUEUE_PAGE_SIZE = 50


class QueueFilterForm(FilterForm):
    client = forms.ChoiceField(label=_("Client"), required=False)
    platform = forms.ChoiceField(
        label=_("Network"), choices=blank(Platform.choices), required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=blank(InteractionKind.choices), required=False
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=blank(Priority.choices), required=False
    )
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=blank(SENTIMENTS), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=blank(LANGUAGES), required=False)
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        choices=blank([("me", _("Me")), ("none", _("Nobody"))]),
        required=False,
    )
    show = forms.ChoiceField(
        label=_("Show"),
        choices=[("waiting", _("Waiting for us")), ("open", _("All open"))],
        required=False,
    )

    def __init__(self, data: Any, *, clients: list[ClientRef]) -> None:
        super().__init__(data)
        set_choices(self.fields["client"], blank([(c.slug, c.name) for c in clients]))


@dataclass(frozen=True)
class QueuePage:
    rows: list[tuple[WorkItem, ClientRef]]
    next_cursor: str
    # The clients with the most waiting first; the nav shows the first NAV_CLIENTS.
    counts: list[tuple[ClientRef, int]]

    @property
    def top_counts(self) -> list[tuple[ClientRef, int]]:
        return self.counts[:NAV_CLIENTS]

    @property
    def more_clients_waiting(self) -> int:
        return sum(1 for _client, count in self.counts[NAV_CLIENTS:] if count)


NAV_CLIENTS = 30


def list_queue(
    *, clients: list[ClientRef], filters: dict[str, Any], user_id: int, cursor: str = ""
) -> QueuePage:
    """One page of the queue, SLA due first (items without one after), then oldest waiting
    first; keyset-paginated. Two queries: the page and (every few seconds) the per-client
    counts."""
    by_slug = {client.slug: client for client in clients}
    all_ids = [client.pk for client in clients]
    client_ids = all_ids
    if filters.get("client") in by_slug:
        client_ids = [by_slug[filters["client"]].pk]
    items = _filtered(WorkItem.objects.filter(client_id__in=client_ids), filters, user_id)
    position = _parse_cursor(cursor)
    page_items = items if position is None else items.filter(_after(*position))
    found = list(
        page_items.select_related("assignee").order_by(
            F("sla_due_at").asc(nulls_last=True),
            "last_inbound_at",
            "id",
        )[:QUEUE_PAGE_SIZE]
    )
    by_id = {client.pk: client for client in clients}
    rows = [(item, by_id[item.client_id]) for item in found]
    next_cursor = ""
    if len(found) == QUEUE_PAGE_SIZE:
        last = found[-1]
        due = last.sla_due_at.isoformat() if last.sla_due_at else ""
        at = last.last_inbound_at.isoformat() if last.last_inbound_at else ""
        next_cursor = f"{due}|{at}|{last.pk}"
    counted = _counts(all_ids, filters, user_id)
    counts = sorted(
        ((client, counted.get(client.pk, 0)) for client in clients),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    return QueuePage(rows=rows, next_cursor=next_cursor, counts=counts)


COUNTS_TTL_SECONDS = 10


def _counts(client_ids: list[int], filters: dict[str, Any], user_id: int) -> dict[int, int]:
    """Waiting items per client. Counting every client's items takes longer than the page
    itself once an agency has hundreds of clients, so the counts are kept for a few seconds;
    the rows are always read fresh."""
    wanted = {k: str(v) for k, v in filters.items() if k != "client"}
    if wanted.get("assignee") == "me":
        wanted["user"] = str(user_id)
    key = (
        "queue-counts:"
        + hashlib.sha256(json.dumps([client_ids, sorted(wanted.items())]).encode()).hexdigest()
    )
    counted: dict[int, int] | None = cache.get(key)
    if counted is None:
        counted = dict(
            _filtered(WorkItem.objects.filter(client_id__in=client_ids), filters, user_id)
            .values("client_id")
            .annotate(n=Count("*"))
            .values_list("client_id", "n")
        )
        cache.set(key, counted, COUNTS_TTL_SECONDS)
    return counted


def _filtered(
    items: QuerySet[WorkItem], filters: dict[str, Any], user_id: int
) -> QuerySet[WorkItem]:
    if filters.get("show", "waiting") == "waiting":
        items = items.filter(waiting_now())
    for name in ("platform", "kind", "priority", "sentiment", "language"):
        if name in filters:
            items = items.filter(**{name: filters[name]})
    if filters.get("assignee") == "me":
        items = items.filter(assignee_id=user_id)
    elif filters.get("assignee") == "none":
        items = items.filter(assignee__isnull=True)
    return items


def _parse_cursor(raw: str) -> tuple[dt.datetime | None, dt.datetime | None, int] | None:
    parts = raw.split("|")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    due = parse_datetime(parts[0]) if parts[0] else None
    at = parse_datetime(parts[1]) if parts[1] else None
    if (parts[0] and due is None) or (parts[1] and at is None):
        return None
    return due, at, int(parts[2])


def _after(due: dt.datetime | None, at: dt.datetime | None, pk: int) -> Q:
    """Rows after (due, at, pk) in the queue's order (due nulls last, then at, then id)."""
    same_due = Q(sla_due_at=due) if due is not None else Q(sla_due_at__isnull=True)
    later_in_due = (
        Q(id__gt=pk)
        if at is None
        else (Q(last_inbound_at__gt=at) | Q(last_inbound_at=at, id__gt=pk))
    )
    condition = same_due & later_in_due
    if due is not None:
        condition |= Q(sla_due_at__gt=due) | Q(sla_due_at__isnull=True)
    return condition
