"""A client's tone-of-voice guideline (tenant schema), as immutable numbered versions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from inbox.models import SHARED_ROW


class GuidelineVersion(models.Model):
    """One saved state of the guideline. The newest is in force; replies record the version
    that checked them, so an old decision can always be explained."""

    number = models.PositiveIntegerField()
    rules = models.JSONField(help_text="See guidelines/rules.py for the shape.")
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["number"], name="guideline_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"Guideline v{self.number}"
