"""Reads of a client's guideline. Call inside the client's schema."""

from __future__ import annotations

from guidelines.models import GuidelineVersion
from guidelines.rules import EMPTY_GUIDELINE, Guideline, parse_guideline


def get_current_guideline() -> tuple[GuidelineVersion | None, Guideline]:
    """The version in force and its parsed rules; a client without one has no rules."""
    version = GuidelineVersion.objects.order_by("-number").first()
    if version is None:
        return None, EMPTY_GUIDELINE
    return version, parse_guideline(version.rules)


def list_guideline_versions(limit: int = 20) -> list[GuidelineVersion]:
    return list(GuidelineVersion.objects.select_related("created_by").order_by("-number")[:limit])
