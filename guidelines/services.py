"""Writes on a client's guideline. Call inside the client's schema."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max

from accounts.models import User
from guidelines.models import GuidelineVersion
from guidelines.rules import parse_guideline


def save_guideline_version(*, rules: Any, author: User | None, note: str = "") -> GuidelineVersion:
    """Validate `rules` and store them as the next version, which is in force at once.

    Raises GuidelineInvalid (naming the field at fault) and stores nothing if they are not
    usable. Two managers saving at once get consecutive numbers, never the same one."""
    parse_guideline(rules)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                latest = GuidelineVersion.objects.aggregate(n=Max("number"))["n"] or 0
                return GuidelineVersion.objects.create(
                    number=latest + 1, rules=rules, note=note, created_by=author
                )
        except IntegrityError:
            continue  # someone saved in between; take the next number
    raise RuntimeError("Could not allocate a guideline version number.")
