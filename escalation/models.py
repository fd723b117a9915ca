"""A client's working time (tenant schema): when its team answers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

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
