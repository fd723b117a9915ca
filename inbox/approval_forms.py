from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guidelines.forms import email_list, one_per_line
from inbox.models import ApprovalPolicy
from inbox.services import MAX_REPLY_LENGTH


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    text = forms.CharField(
        label=_("Reply (you may edit it before approving)"),
        max_length=MAX_REPLY_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    note = forms.CharField(
        label=_("Note for the agent"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "reject" and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Tell the agent why the reply is rejected."))
        return cleaned


class ApprovalPolicyForm(forms.ModelForm):
    flag_keywords_text = forms.CharField(
        label=_("Also flag replies containing (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    approver_emails_text = forms.CharField(
        label=_("Client stakeholders without an account (e-mail, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = ApprovalPolicy
        fields = [
            "mode",
            "flag_guideline_warnings",
            "flag_vip_contacts",
            "flag_negative_sentiment",
            "flag_escalated",
            "remind_after_minutes",
            "link_valid_hours",
        ]
        labels = {
            "mode": _("Which replies need approval"),
            "flag_guideline_warnings": _("Flag replies with guideline warnings"),
            "flag_vip_contacts": _("Flag replies to VIPs"),
            "flag_escalated": _("Flag replies in escalated conversations"),
            "flag_negative_sentiment": _("Flag replies to unhappy people (negative sentiment)"),
            "remind_after_minutes": _("Remind approvers after (minutes)"),
            "link_valid_hours": _("E-mailed links work for (hours)"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["flag_keywords_text"].initial = "\n".join(self.instance.flag_keywords)
        self.fields["approver_emails_text"].initial = "\n".join(self.instance.approver_emails)
        self.fields["link_valid_hours"].min_value = 1  # type: ignore[attr-defined]

    def clean_approver_emails_text(self) -> list[str]:
        return email_list(self.cleaned_data["approver_emails_text"])

    def save(self, commit: bool = True) -> ApprovalPolicy:
        self.instance.flag_keywords = one_per_line(self.cleaned_data["flag_keywords_text"])
        self.instance.approver_emails = self.cleaned_data["approver_emails_text"]
        return super().save(commit)
