from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from inbox.filters import set_choices
from inbox.models import Conversation, Team
from inbox.services import MAX_REPLY_LENGTH
from inbox.workflow import MAX_TAG_LENGTH


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_REPLY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    private = forms.BooleanField(label=_("Reply privately in Messenger"), required=False)
    # When the page was rendered: a reply by someone else after it is shown before ours goes.
    opened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    send_anyway = forms.BooleanField(label=_("Send mine anyway"), required=False)


class NoteForm(forms.Form):
    prefix = "note"  # beside the reply composer on one page: distinct ids and names

    text = forms.CharField(
        label=_("Internal note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only your team sees it. Mention someone with @ and their e-mail name."),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Conversation.Status.choices)


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, data: Any, *, members: list[User], teams: list[Team]) -> None:
        super().__init__(data)
        set_choices(self.fields["assignee"], [("", ""), *[(u.pk, u.display_name) for u in members]])
        set_choices(self.fields["team"], [("", ""), *[(t.pk, t.name) for t in teams]])


# Snooze presets in hours, as offered next to the custom time.
SNOOZE_PRESETS = [
    (1, _("1 hour")),
    (4, _("4 hours")),
    (24, _("Tomorrow")),
    (24 * 7, _("Next week")),
]


class SnoozeForm(forms.Form):
    hours = forms.TypedChoiceField(coerce=int, required=False, choices=[("", ""), *SNOOZE_PRESETS])
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("hours"):
            cleaned["until"] = timezone.now() + dt.timedelta(hours=cleaned["hours"])
        if not cleaned.get("until"):
            raise forms.ValidationError(_("Choose until when."))
        return cleaned


class TagForm(forms.Form):
    name = forms.CharField(label=_("Add a tag"), max_length=MAX_TAG_LENGTH)


class BulkForm(forms.Form):
    """The action; the selected conversations come as repeated `conversation` ids."""

    action = forms.ChoiceField(
        choices=[
            ("resolve", _("Resolve")),
            ("spam", _("Mark as spam")),
            ("assign", _("Assign to me")),
            ("tag", _("Tag")),
        ]
    )
    tag_name = forms.CharField(max_length=MAX_TAG_LENGTH, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "tag" and not (cleaned.get("tag_name") or "").strip():
            self.add_error("tag_name", _("Give the tag a name."))
        return cleaned


MAX_BULK = 200


def selected_ids(values: list[str]) -> list[int]:
    """The ids of a bulk selection; anything that is not a number is ignored."""
    return [int(value) for value in values if value.isdigit()][:MAX_BULK]


class SavedViewForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    query = forms.CharField(max_length=1000, required=False)
    shared = forms.BooleanField(label=_("Share with the team"), required=False)


class TeamForm(forms.ModelForm):
    members = forms.MultipleChoiceField(
        label=_("Members"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Team
        fields = ["name"]

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(person.pk): person for person in people}
        set_choices(self.fields["members"], [(pk, p.display_name) for pk, p in self.people.items()])
        if self.instance.pk:
            self.fields["members"].initial = [
                str(pk) for pk in self.instance.members.values_list("pk", flat=True)
            ]

    def save(self, commit: bool = True) -> Team:
        team = super().save(commit=True)
        team.members.set([self.people[pk] for pk in self.cleaned_data["members"]])
        return team


class ContactNotesForm(forms.Form):
    notes = forms.CharField(
        label=_("Notes on this person"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
