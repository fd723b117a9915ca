"""A client's working time (tenant schema): when its team answers."""

from __future__ import annotations

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clients.models import Platform
from clients.platforms.base import InteractionKind

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(models.Model):
    """One row per client schema. The schedule maps a weekday to its opening intervals, so a
    split shift is two intervals: {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], ...}.
    Times are in the client's time zone."""

    schedule = models.JSONField(default=dict)
    holiday_country = models.CharField(
        _("public holidays of"),
        max_length=8,
        blank=True,
        help_text=_("Country code, e.g. DE, PL, GB: closed on its public holidays."),
    )
    closed_days = models.JSONField(default=list, blank=True, help_text=_("Extra closed dates."))

    class Meta:
        verbose_name_plural = "business hours"

    def __str__(self) -> str:
        return "Business hours"


class Priority(models.TextChoices):
    """How soon a conversation needs a person. Ordered: rules only ever raise it."""

    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


PRIORITY_RANK: dict[str, int] = {priority.value: rank for rank, priority in enumerate(Priority)}


class EscalationRule(models.Model):
    """Ordered conditions -> actions, run on every new inbound interaction of the client.

    Every condition given must hold (an empty one is not checked); a rule without any
    condition is refused by the form, because it would escalate everything."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # Conditions.
    kinds = models.JSONField(default=list, blank=True)
    platforms = models.JSONField(default=list, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    sentiment = models.CharField(
        _("sentiment"),
        max_length=10,
        blank=True,
        choices=[
            ("negative", _("Negative")),
            ("neutral", _("Neutral")),
            ("positive", _("Positive")),
        ],
    )
    min_follower_count = models.PositiveIntegerField(
        _("the person has at least this many followers"), null=True, blank=True
    )
    vip_only = models.BooleanField(_("only from VIPs"), default=False)
    verified_only = models.BooleanField(_("only from verified accounts"), default=False)
    # Actions.
    priority = models.CharField(
        _("raise priority to"),
        max_length=10,
        blank=True,
        choices=[
            (Priority.HIGH.value, Priority.HIGH.label),
            (Priority.URGENT.value, Priority.URGENT.label),
        ],
    )
    escalate = models.BooleanField(_("mark the conversation as escalated"), default=True)
    require_approval = models.BooleanField(
        _("replies need the client's approval"),
        default=False,
        help_text=_("Whatever the approval policy says."),
    )
    notify_emails = models.JSONField(default=list, blank=True)
    stop_processing = models.BooleanField(
        _("stop here"), default=False, help_text=_("Later rules are not checked.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def describe_conditions(self) -> list[str]:
        """The conditions in words, for the rules page."""
        kinds = dict(InteractionKind.choices)
        platforms = dict(Platform.choices)
        parts = []
        if self.kinds:
            parts.append(", ".join(str(kinds.get(k, k)) for k in self.kinds))
        if self.platforms:
            parts.append(", ".join(str(platforms.get(p, p)) for p in self.platforms))
        if self.keywords:
            parts.append(gettext("mentions %(words)s") % {"words": ", ".join(self.keywords)})
        if self.sentiment:
            parts.append(
                gettext("sentiment: %(sentiment)s") % {"sentiment": self.get_sentiment_display()}
            )
        if self.min_follower_count is not None:
            parts.append(
                gettext("at least %(count)s followers")
                % {"count": number_format(self.min_follower_count, force_grouping=True)}
            )
        if self.vip_only:
            parts.append(gettext("VIP"))
        if self.verified_only:
            parts.append(gettext("verified"))
        return parts

    def describe_actions(self) -> list[str]:
        parts = []
        if self.priority:
            parts.append(
                gettext("priority %(priority)s") % {"priority": self.get_priority_display()}
            )
        if self.escalate:
            parts.append(gettext("escalate"))
        if self.require_approval:
            parts.append(gettext("replies need approval"))
        if self.notify_emails:
            parts.append(gettext("e-mail %(emails)s") % {"emails": ", ".join(self.notify_emails)})
        if self.stop_processing:
            parts.append(gettext("stop here"))
        return parts


class EscalationEvent(models.Model):
    """A rule acted on an interaction: what it did, for the conversation's history."""

    rule = models.ForeignKey(EscalationRule, on_delete=models.SET_NULL, null=True, blank=True)
    # Kept when the rule is later renamed or deleted: history says what happened then.
    rule_name = models.CharField(max_length=120)
    interaction = models.ForeignKey(
        "inbox.Interaction", on_delete=models.CASCADE, related_name="escalation_events"
    )
    conversation = models.ForeignKey(
        "inbox.Conversation", on_delete=models.CASCADE, related_name="escalation_events"
    )
    priority = models.CharField(max_length=10, blank=True, choices=Priority.choices)
    escalated = models.BooleanField(default=False)
    require_approval = models.BooleanField(default=False)
    notified = models.JSONField(default=list, blank=True)
    # Claimed before the e-mail goes out, so a task run twice sends it once.
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One event per rule and interaction: a re-processed delivery acts once.
            models.UniqueConstraint(
                fields=["rule", "interaction"], name="escalation_event_once_per_rule"
            )
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.rule_name} on {self.interaction_id}"
