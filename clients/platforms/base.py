"""The vocabulary every connector speaks: split events, normalized interactions, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class InteractionKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    DIRECT_MESSAGE = "dm", _("Direct message")
    MENTION = "mention", _("Mention")
    REVIEW = "review", _("Review")
    SHARE = "share", _("Share")
    LIKE = "like", _("Like")
    FOLLOW = "follow", _("Follow")
    UNFOLLOW = "unfollow", _("Unfollow")


class InteractionAction(models.TextChoices):
    """The lifecycle of one platform object: later events update the same interaction."""

    CREATED = "created", _("Created")
    EDITED = "edited", _("Edited")
    DELETED = "deleted", _("Deleted")
    HIDDEN = "hidden", _("Hidden")
    UNHIDDEN = "unhidden", _("Unhidden")


class Direction(models.TextChoices):
    INBOUND = "inbound", _("Inbound")
    OUTBOUND = "outbound", _("Outbound")


@dataclasses.dataclass(frozen=True)
class SplitEvent:
    """One event of a delivery, ready to be stored as an InboundEvent."""

    platform: str
    account_external_id: str
    dedupe_key: str
    payload: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class NormalizedAuthor:
    external_id: str
    name: str = ""
    handle: str = ""
    avatar_url: str = ""
    follower_count: int | None = None
    is_verified: bool = False


@dataclasses.dataclass(frozen=True)
class NormalizedInteraction:
    """A platform event in the common model (platforms.md §8)."""

    platform: str
    kind: InteractionKind
    action: InteractionAction
    direction: Direction
    external_id: str
    thread_key: str
    parent_external_id: str
    author: NormalizedAuthor | None
    text: str
    occurred_at: dt.datetime
    permalink: str = ""
    thread_permalink: str = ""
    # The post, video or media a comment is under; blank for messages and reviews.
    post_external_id: str = ""
    attachments: tuple[dict[str, str], ...] = ()


class PlatformError(Exception):
    """A platform refused or failed a call. `message` is the platform's own words."""

    def __init__(
        self, message: str, *, status_code: int | None = None, code: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code


class TransientPlatformError(PlatformError):
    """Worth retrying later: rate limits, 5xx, timeouts."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kw: Any):
        super().__init__(message, **kw)
        self.retry_after_seconds = retry_after_seconds


class PermanentPlatformError(PlatformError):
    """Retrying will not help: the request itself is refused."""


def as_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: platforms omit and vary fields."""
    return value if isinstance(value, dict) else {}


def fallback_dedupe_key(fragment: Any) -> str:
    """For events without a documented natural key: a digest of their canonical JSON, so the
    same retried event still collides with itself."""
    canonical = json.dumps(fragment, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def from_unix_seconds(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default
