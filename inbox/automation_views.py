"""Automation of one client, for its managers: keyword rules, maintenance mode, the log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import holidays
from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clients.http import ClientRequest, require_manager
from clients.manager_pages import delete_or_404, save_or_render
from clients.models import ConnectedAccount
from clients.platforms.base import InteractionKind
from escalation.business_hours import ScheduleInvalid, get_business_hours, parse_intervals
from escalation.models import BusinessHours
from guidelines.forms import one_per_line
from inbox.models import AutomationEvent, AutoReplyRule
from inbox.services import REPLYABLE_KINDS


class AutoReplyRuleForm(forms.ModelForm):
    keywords_text = forms.CharField(
        label=gettext_lazy("Keywords, one per line (any language)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Answer"),
        choices=[(kind.value, kind.label) for kind in InteractionKind if kind in REPLYABLE_KINDS],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AutoReplyRule
        fields = ["name", "position", "response", "active_when", "reply_privately", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keywords_text"].initial = "\n".join(self.instance.keywords or [])
        self.fields["kinds"].initial = self.instance.kinds or [InteractionKind.COMMENT.value]

    def clean_keywords_text(self) -> list[str]:
        keywords = one_per_line(self.cleaned_data["keywords_text"])
        if not keywords:
            raise forms.ValidationError(_("Give at least one keyword."))
        return keywords

    def save(self, commit: bool = True) -> AutoReplyRule:
        self.instance.keywords = self.cleaned_data["keywords_text"]
        self.instance.kinds = self.cleaned_data["kinds"]
        return super().save(commit)


class MaintenanceForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (ConnectedAccount.Status.ACTIVE, ConnectedAccount.Status.ACTIVE.label),
            (ConnectedAccount.Status.MAINTENANCE, ConnectedAccount.Status.MAINTENANCE.label),
        ]
    )
    maintenance_message = forms.CharField(
        label=gettext_lazy("Answer while in maintenance"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if (
            cleaned.get("status") == ConnectedAccount.Status.MAINTENANCE
            and not (cleaned.get("maintenance_message") or "").strip()
        ):
            self.add_error(
                "maintenance_message",
                _("Say where people can reach the brand instead."),
            )
        return cleaned


WEEKDAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}


class BusinessHoursForm(forms.Form):
    holiday_country = forms.CharField(
        label=gettext_lazy("Closed on the public holidays of (country code)"),
        required=False,
        max_length=8,
    )
    closed_days = forms.CharField(
        label=gettext_lazy("Other closed days (YYYY-MM-DD, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day, label in WEEKDAY_LABELS.items():
            self.fields[day] = forms.CharField(
                label=label,
                required=False,
                help_text=gettext_lazy("e.g. 09:00-12:00, 13:00-17:00; empty: closed"),
            )
        self.order_fields([*WEEKDAY_LABELS, "holiday_country", "closed_days"])

    @classmethod
    def initial_for(cls, hours: BusinessHours) -> dict[str, Any]:
        initial: dict[str, Any] = {
            day: ", ".join(f"{start}-{end}" for start, end in hours.schedule.get(day, []))
            for day in WEEKDAY_LABELS
        }
        initial["holiday_country"] = hours.holiday_country
        initial["closed_days"] = "\n".join(hours.closed_days)
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        schedule = {}
        for day in WEEKDAY_LABELS:
            try:
                schedule[day] = parse_intervals(cleaned.get(day) or "")
            except ScheduleInvalid as error:
                self.add_error(
                    day, _("“%(part)s” is not an interval like 09:00-17:00.") % {"part": error}
                )
        cleaned["schedule"] = schedule
        country = (cleaned.get("holiday_country") or "").strip().upper()
        if country and country not in holidays.list_supported_countries():
            self.add_error("holiday_country", _("Unknown country code."))
        cleaned["holiday_country"] = country
        days = []
        for line in (cleaned.get("closed_days") or "").split():
            try:
                days.append(dt.date.fromisoformat(line).isoformat())
            except ValueError:
                self.add_error(
                    "closed_days", _("“%(day)s” is not a date like 2026-12-24.") % {"day": line}
                )
        cleaned["closed_days"] = sorted(set(days))
        return cleaned


def automation(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    form = AutoReplyRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
        return redirect("inbox:automation")
    return _render(request, form, status=422 if form.errors else 200)


def _render(
    request: ClientRequest, form: AutoReplyRuleForm, status: int = 200, **extra: Any
) -> HttpResponse:
    accounts = ConnectedAccount.objects.filter(client=request.client).order_by("name")
    return render(
        request,
        "inbox/automation.html",
        {
            "rules": AutoReplyRule.objects.all(),
            "form": form,
            "accounts": [
                (
                    account,
                    extra.get("account_forms", {}).get(account.pk)
                    or MaintenanceForm(
                        initial={
                            "status": account.status,
                            "maintenance_message": account.maintenance_message,
                        },
                        prefix=f"account-{account.pk}",
                    ),
                )
                for account in accounts
            ],
            "events": AutomationEvent.objects.select_related("interaction__contact").order_by(
                "-created_at"
            )[:20],
            "hours_form": extra.get("hours_form")
            or BusinessHoursForm(initial=BusinessHoursForm.initial_for(get_business_hours())),
        },
        status=status,
    )


def automation_rule_edit(request: ClientRequest, rule_id: int) -> HttpResponse:
    require_manager(request)
    rule = get_object_or_404(AutoReplyRule, pk=rule_id)
    return save_or_render(
        request,
        AutoReplyRuleForm(request.POST or None, instance=rule),
        template="inbox/automation_rule_edit.html",
        context={"rule": rule},
        back="inbox:automation",
        saved=_("Rule “%(name)s” saved."),
    )


@require_POST
def automation_rule_delete(request: ClientRequest, rule_id: int) -> HttpResponse:
    require_manager(request)
    return delete_or_404(
        request,
        AutoReplyRule.objects.filter(pk=rule_id),
        back="inbox:automation",
        deleted=_("Rule deleted."),
    )


@require_POST
def account_maintenance(request: ClientRequest, account_id: int) -> HttpResponse:
    """Put one of this client's accounts in maintenance mode, or back to active."""
    require_manager(request)
    account = ConnectedAccount.objects.filter(pk=account_id, client=request.client).first()
    if account is None or account.status == ConnectedAccount.Status.CLOSED:
        raise Http404
    form = MaintenanceForm(request.POST, prefix=f"account-{account.pk}")
    if not form.is_valid():
        return _render(request, AutoReplyRuleForm(), status=422, account_forms={account.pk: form})
    account.status = form.cleaned_data["status"]
    account.maintenance_message = form.cleaned_data["maintenance_message"].strip()
    account.save(update_fields=["status", "maintenance_message"])
    messages.success(request, _("%(account)s updated.") % {"account": account.name})
    return redirect("inbox:automation")


@require_POST
def business_hours(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    form = BusinessHoursForm(request.POST)
    if not form.is_valid():
        return _render(request, AutoReplyRuleForm(), status=422, hours_form=form)
    hours = get_business_hours()
    hours.schedule = form.cleaned_data["schedule"]
    hours.holiday_country = form.cleaned_data["holiday_country"]
    hours.closed_days = form.cleaned_data["closed_days"]
    hours.save()
    messages.success(request, _("Business hours saved."))
    return redirect("inbox:automation")
