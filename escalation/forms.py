from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import Platform
from clients.platforms.base import InteractionKind
from escalation.models import EscalationRule
from guidelines.forms import email_list, one_per_line


class EscalationRuleForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("Kinds (none ticked: any)"),
        required=False,
        choices=InteractionKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    platforms = forms.MultipleChoiceField(
        label=_("Networks (none ticked: any)"),
        required=False,
        choices=Platform.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    keywords_text = forms.CharField(
        label=_("Mentions any of (one per line, in any of the client's languages)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notify_emails_text = forms.CharField(
        label=_("E-mail these people"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = EscalationRule
        fields = [
            "name",
            "position",
            "is_active",
            "sentiment",
            "min_follower_count",
            "vip_only",
            "verified_only",
            "priority",
            "escalate",
            "require_approval",
            "stop_processing",
        ]
        labels = {"sentiment": _("Sentiment is")}

    field_order = [
        "name",
        "position",
        "is_active",
        "kinds",
        "platforms",
        "keywords_text",
        "sentiment",
        "min_follower_count",
        "vip_only",
        "verified_only",
        "priority",
        "escalate",
        "require_approval",
        "notify_emails_text",
        "stop_processing",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kinds"].initial = self.instance.kinds
        self.fields["platforms"].initial = self.instance.platforms
        self.fields["keywords_text"].initial = "\n".join(self.instance.keywords)
        self.fields["notify_emails_text"].initial = "\n".join(self.instance.notify_emails)

    def clean_keywords_text(self) -> list[str]:
        return one_per_line(self.cleaned_data["keywords_text"])

    def clean_notify_emails_text(self) -> list[str]:
        return email_list(self.cleaned_data["notify_emails_text"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        conditions = (
            cleaned.get("kinds"),
            cleaned.get("platforms"),
            cleaned.get("keywords_text"),
            cleaned.get("sentiment"),
            cleaned.get("min_follower_count") is not None,
            cleaned.get("vip_only"),
            cleaned.get("verified_only"),
        )
        if not any(conditions):
            raise forms.ValidationError(
                _("Give at least one condition: a rule without one would escalate everything.")
            )
        actions = (
            cleaned.get("priority"),
            cleaned.get("escalate"),
            cleaned.get("require_approval"),
            cleaned.get("notify_emails_text"),
        )
        if not any(actions):
            raise forms.ValidationError(_("Choose at least one thing the rule does."))
        return cleaned

    def save(self, commit: bool = True) -> EscalationRule:
        self.instance.kinds = self.cleaned_data["kinds"]
        self.instance.platforms = self.cleaned_data["platforms"]
        self.instance.keywords = self.cleaned_data["keywords_text"]
        self.instance.notify_emails = self.cleaned_data["notify_emails_text"]
        return super().save(commit)
