"""The inbox's filters: one form reads them from the query string, one function applies them.

Invalid values never fail the page: the form drops them and says which (shown above the list).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clients.models import ConnectedAccount, Platform
from clients.platforms.base import InteractionKind
from escalation.models import Priority
from inbox.models import SEARCH_CONFIGS, Conversation, Tag, Team
from inbox.workflow import OPEN_STATUSES, waiting_now

Status = Conversation.Status
VIEWS = [
    ("waiting", _("Waiting for us")),
    ("open", _("All open")),
    ("new", Status.NEW.label),
    ("pending", Status.PENDING.label),
    ("snoozed", _("Snoozed")),
    ("resolved", Status.RESOLVED.label),
    ("spam", Status.SPAM.label),
    ("all", _("Everything")),
]
SENTIMENTS = [("negative", _("Negative")), ("neutral", _("Neutral")), ("positive", _("Positive"))]
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("pl", "Polski"), ("ru", "Русский")]
MAX_SEARCH_LENGTH = 200


def blank(choices: Any) -> list[tuple[str, Any]]:
    """`choices` after an "Any" that filters nothing."""
    return [("", _("Any")), *choices]


class FilterForm(forms.Form):
    """Filters read from a query string: a value the form cannot read is left out, and its
    error stays on the form for the page to name."""

    def filters(self) -> dict[str, Any]:
        """The valid filters; invalid ones are left out (their errors stay on the form)."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name not in self.errors
        }

    def query_string(self) -> str:
        """The valid filters as a query string, for links that keep them."""
        return urlencode({name: str(value) for name, value in self.filters().items()})


def _set_options(field: forms.Field, choices: list[tuple[Any, Any]]) -> None:
    cast("forms.Select", field.widget).choices = choices


def set_choices(field: forms.Field, choices: list[tuple[Any, Any]]) -> None:
    """Choices known only per request (the client's accounts, people, tags)."""
    cast("forms.ChoiceField", field).choices = choices


class InboxFilterForm(FilterForm):
    view = forms.ChoiceField(label=_("Show"), choices=VIEWS, required=False)
    q = forms.CharField(label=_("Search"), max_length=MAX_SEARCH_LENGTH, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=blank(InteractionKind.choices), required=False
    )
    platform = forms.ChoiceField(
        label=_("Network"), choices=blank(Platform.choices), required=False
    )
    # Ids are checked as numbers only: the options (accounts, people, teams, tags) are loaded
    # when the form is shown, not for every list request. An id of nothing matches nothing.
    account = forms.IntegerField(
        label=_("Account"), required=False, min_value=1, widget=forms.Select
    )
    assignee = forms.RegexField(
        label=_("Assignee"), regex=r"^(me|none|\d+)$", required=False, widget=forms.Select
    )
    team = forms.IntegerField(label=_("Team"), required=False, min_value=1, widget=forms.Select)
    priority = forms.ChoiceField(
        label=_("Priority"), choices=blank(Priority.choices), required=False
    )
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=blank(SENTIMENTS), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=blank(LANGUAGES), required=False)
    tag = forms.IntegerField(label=_("Tag"), required=False, min_value=1, widget=forms.Select)
    needs_reply = forms.ChoiceField(
        label=_("Needs a reply"),
        choices=blank([("yes", _("Yes")), ("no", _("No"))]),
        required=False,
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        choices=[("newest", _("Newest first")), ("oldest", _("Oldest first"))],
        required=False,
    )

    def load_options(
        self,
        *,
        accounts: list[ConnectedAccount],
        members: list[Any],
        teams: list[Team],
        tags: list[Tag],
    ) -> None:
        """The per-client options of the selects, for showing the form."""
        people = [(str(u.pk), u.display_name) for u in members]
        _set_options(self.fields["account"], blank([(a.pk, a.name) for a in accounts]))
        _set_options(
            self.fields["assignee"], blank([("me", _("Me")), ("none", _("Nobody")), *people])
        )
        _set_options(self.fields["team"], blank([(t.pk, t.name) for t in teams]))
        _set_options(self.fields["tag"], blank([(t.pk, t.name) for t in tags]))


def apply_filters(
    queryset: QuerySet[Conversation], filters: dict[str, Any], *, user_id: int
) -> QuerySet[Conversation]:
    """Narrow `queryset` by the filters of InboxFilterForm."""
    queryset = _in_view(queryset, filters.get("view") or "waiting")
    simple_fields = {
        "kind": "kind",
        "platform": "platform",
        "account": "connected_account_id",
        "team": "team_id",
        "priority": "priority",
        "sentiment": "sentiment",
        "language": "language",
    }
    for name, field in simple_fields.items():
        if name in filters:
            queryset = queryset.filter(**{field: filters[name]})
    assignee = filters.get("assignee")
    if assignee == "me":
        queryset = queryset.filter(assignee_id=user_id)
    elif assignee == "none":
        queryset = queryset.filter(assignee__isnull=True)
    elif assignee:
        queryset = queryset.filter(assignee_id=int(assignee))
    if "tag" in filters:
        # A semi-join, not a join: the list can then keep walking its own index in order.
        tagged = Conversation.tags.through.objects.filter(
            conversation_id=OuterRef("pk"), tag_id=filters["tag"]
        )
        queryset = queryset.filter(Exists(tagged))
    if "needs_reply" in filters:
        queryset = queryset.filter(needs_reply=filters["needs_reply"] == "yes")
    if "since" in filters:
        queryset = queryset.filter(last_inbound_at__gte=_start_of(filters["since"]))
    if "until" in filters:
        queryset = queryset.filter(
            last_inbound_at__lt=_start_of(filters["until"] + dt.timedelta(days=1))
        )
    if filters.get("q", "").strip():
        queryset = queryset.filter(search_document=search_query(filters["q"].strip()))
    return queryset


def _in_view(queryset: QuerySet[Conversation], view: str) -> QuerySet[Conversation]:
    if view == "waiting":
        return queryset.filter(waiting_now())
    if view == "open":
        return queryset.filter(status__in=OPEN_STATUSES)
    if view == "snoozed":
        return queryset.filter(snoozed_until__gt=timezone.now())
    if view in Status.values:
        return queryset.filter(status=view)
    return queryset


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def search_query(words: str) -> SearchQuery:
    """Matches conversations with a message containing `words` (stemmed in English, German and
    Russian, and word for word for every language), or whose person's name or handle has them
    (the conversation's search document holds both)."""
    words = words.replace("@", " ")  # "@jane.doe" finds the handle "jane.doe"
    query = SearchQuery(words, config="simple", search_type="websearch")
    # Every stemmer we index with: a client writes in several languages, and each message's
    # vector holds the stems of its own.
    for config in SEARCH_CONFIGS.values():
        query |= SearchQuery(words, config=config, search_type="websearch")
    return query
