"""The guideline editor: friendly fields in, the versioned JSON rules out (and back).

Phrase lists are one per line. Banned phrases read "phrase => replacement"; a line starting
with "warn:" only warns. Approval phrases read "phrase => topic".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from clients.models import Platform
from guidelines.checker import NETWORK_LIMITS
from guidelines.rules import GuidelineInvalid, parse_guideline

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
FORMALITY_CHOICES = [("", _("Not set")), ("formal", _("Formal")), ("informal", _("Informal"))]
EMOJI_CHOICES = [
    ("any", _("Any emoji")),
    ("none", _("No emoji")),
    ("max", _("At most a number of emoji")),
    ("allowed", _("Only chosen emoji")),
]
_LINES = {"rows": 3}


def one_per_line(text: str) -> list[str]:
    """The non-empty lines of a textarea, trimmed: how every list field here is typed."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def email_list(text: str) -> list[str]:
    """E-mail addresses separated by lines or spaces, lower-cased, each validated."""
    emails = [e.strip().lower() for e in text.split()]
    for email in emails:
        try:
            validate_email(email)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("“%(email)s” is not an e-mail address.") % {"email": email}
            ) from None
    return emails


def _pair(line: str) -> tuple[str, str]:
    phrase, _sep, other = line.partition("=>")
    return phrase.strip(), other.strip()


class GuidelineForm(forms.Form):
    voice_summary = forms.CharField(
        label=_("Voice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    example_replies = forms.CharField(
        label=_("Example replies, one per line"),
        required=False,
        widget=forms.Textarea(attrs=_LINES),
    )
    banned_phrases = forms.CharField(
        label=_("Banned words and phrases"),
        help_text=_("One per line: “cheap => affordable”. Start with “warn:” to only warn."),
        required=False,
        widget=forms.Textarea(attrs=_LINES),
    )
    approval_phrases = forms.CharField(
        label=_("Phrases that need the client's approval"),
        help_text=_("One per line: “refund => refunds”."),
        required=False,
        widget=forms.Textarea(attrs=_LINES),
    )
    emoji_policy = forms.ChoiceField(label=_("Emoji"), choices=EMOJI_CHOICES, initial="any")
    emoji_max = forms.IntegerField(label=_("Most emoji per reply"), min_value=0, initial=2)
    emoji_allowed = forms.CharField(label=_("Allowed emoji"), required=False)
    restrict_links = forms.BooleanField(label=_("Only link to these domains"), required=False)
    allowed_link_domains = forms.CharField(
        label=_("Allowed domains, one per line"),
        required=False,
        widget=forms.Textarea(attrs=_LINES),
    )
    personalize = forms.BooleanField(label=_("Address the person by name"), required=False)
    note = forms.CharField(label=_("What changed"), required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code in LANGUAGE_CODES:
            self.fields[f"{code}_formality"] = forms.ChoiceField(
                label=_("Formality"), choices=FORMALITY_CHOICES, required=False
            )
            for part, label in (("greeting", _("Greetings")), ("sign_off", _("Sign-offs"))):
                self.fields[f"{code}_{part}"] = forms.CharField(
                    label=label,
                    help_text=_("One per line; {first_name} stands for the person's name."),
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                self.fields[f"{code}_{part}_required"] = forms.BooleanField(
                    label=_("Required"), required=False
                )
        for platform in Platform:
            self.fields[f"{platform.value}_max_length"] = forms.IntegerField(
                label=platform.label,
                required=False,
                min_value=1,
                help_text=_("Default: %(limit)s") % {"limit": NETWORK_LIMITS[platform.value]},
            )

    def language_sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        names = dict(settings.LANGUAGES)
        return [
            (
                str(names[code]),
                [
                    self[f"{code}_{name}"]
                    for name in (
                        "formality",
                        "greeting",
                        "greeting_required",
                        "sign_off",
                        "sign_off_required",
                    )
                ],
            )
            for code in LANGUAGE_CODES
        ]

    def network_fields(self) -> list[forms.BoundField]:
        return [self[f"{platform.value}_max_length"] for platform in Platform]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for code in LANGUAGE_CODES:
            for part in ("greeting", "sign_off"):
                if cleaned.get(f"{code}_{part}_required") and not one_per_line(
                    cleaned.get(f"{code}_{part}", "")
                ):
                    self.add_error(f"{code}_{part}", _("Give at least one, or untick Required."))
        if not self.errors:
            try:
                parse_guideline(self.to_rules())
            except GuidelineInvalid as error:
                raise forms.ValidationError(error.message) from None
        return cleaned

    def to_rules(self) -> dict[str, Any]:
        """The JSON rules of the form's cleaned data (see guidelines/rules.py)."""
        data = self.cleaned_data
        defaults: dict[str, Any] = {
            "banned_phrases": [
                _banned(line) for line in one_per_line(data.get("banned_phrases", ""))
            ],
            "approval_phrases": [
                {"phrase": phrase, "topic": topic}
                for phrase, topic in map(_pair, one_per_line(data.get("approval_phrases", "")))
            ],
            "emoji": {
                "policy": data.get("emoji_policy") or "any",
                "max": data.get("emoji_max") or 0,
                "allowed": (data.get("emoji_allowed") or "").split(),
            },
            "personalize": bool(data.get("personalize")),
        }
        if not defaults["emoji"]["allowed"]:
            del defaults["emoji"]["allowed"]
        if data.get("restrict_links"):
            defaults["links"] = {
                "allowed_domains": one_per_line(data.get("allowed_link_domains", ""))
            }
        languages: dict[str, Any] = {}
        for code in LANGUAGE_CODES:
            rules: dict[str, Any] = {}
            if data.get(f"{code}_formality"):
                rules["formality"] = data[f"{code}_formality"]
            for part in ("greeting", "sign_off"):
                phrases = one_per_line(data.get(f"{code}_{part}", ""))
                if phrases:
                    rules[part] = {
                        "required": bool(data.get(f"{code}_{part}_required")),
                        "phrases": phrases,
                    }
            if rules:
                languages[code] = rules
        networks = {
            platform.value: {"max_length": data[f"{platform.value}_max_length"]}
            for platform in Platform
            if data.get(f"{platform.value}_max_length")
        }
        return {
            "voice_summary": data.get("voice_summary", ""),
            "example_replies": one_per_line(data.get("example_replies", "")),
            "defaults": defaults,
            "languages": languages,
            "networks": networks,
        }

    @classmethod
    def initial_from_rules(cls, rules: dict[str, Any]) -> dict[str, Any]:
        """The form's initial values for saved rules: the inverse of to_rules."""
        defaults = rules.get("defaults", {})
        emoji = defaults.get("emoji", {})
        initial: dict[str, Any] = {
            "voice_summary": rules.get("voice_summary", ""),
            "example_replies": "\n".join(rules.get("example_replies", [])),
            "banned_phrases": "\n".join(
                ("warn: " if b.get("severity") == "warn" else "")
                + b["phrase"]
                + (f" => {b['replacement']}" if b.get("replacement") else "")
                for b in defaults.get("banned_phrases", [])
            ),
            "approval_phrases": "\n".join(
                a["phrase"] + (f" => {a['topic']}" if a.get("topic") else "")
                for a in defaults.get("approval_phrases", [])
            ),
            "emoji_policy": emoji.get("policy", "any"),
            "emoji_max": emoji.get("max", 2),
            "emoji_allowed": " ".join(emoji.get("allowed", [])),
            "restrict_links": "links" in defaults,
            "allowed_link_domains": "\n".join(defaults.get("links", {}).get("allowed_domains", [])),
            "personalize": defaults.get("personalize", False),
        }
        for code, language in rules.get("languages", {}).items():
            initial[f"{code}_formality"] = language.get("formality") or ""
            for part in ("greeting", "sign_off"):
                requirement = language.get(part, {})
                initial[f"{code}_{part}"] = "\n".join(requirement.get("phrases", []))
                initial[f"{code}_{part}_required"] = requirement.get("required", False)
        for network, overrides in rules.get("networks", {}).items():
            initial[f"{network}_max_length"] = overrides.get("max_length")
        return initial


def _banned(line: str) -> dict[str, str]:
    severity = "block"
    if line.lower().startswith("warn:"):
        severity, line = "warn", line[len("warn:") :]
    phrase, replacement = _pair(line)
    return {"phrase": phrase, "replacement": replacement, "severity": severity}


class PreviewForm(forms.Form):
    sample = forms.CharField(
        label=_("Sample reply"), required=False, max_length=20_000, widget=forms.Textarea(_LINES)
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    network = forms.ChoiceField(label=_("Network"), choices=Platform.choices)
    first_name = forms.CharField(label=_("The person's first name"), required=False, max_length=100)
