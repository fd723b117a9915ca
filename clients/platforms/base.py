"""The vocabulary every connector speaks: split events, normalized interactions, errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
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
    # Reviews: stars 1..5 where the platform gives them; Facebook's recommendation instead.
    rating: int | None = None
    recommendation: str = ""
    # Likes: the reaction as the platform names it (like, love, haha...).
    reaction: str = ""


# Kinds that record engagement rather than start a conversation (platforms.md §8): they are
# stored for reports and contact timelines, and enter the reply queue only when a rule says so.
ENGAGEMENT_KINDS = frozenset(
    {InteractionKind.LIKE, InteractionKind.SHARE, InteractionKind.FOLLOW, InteractionKind.UNFOLLOW}
)


@dataclasses.dataclass(frozen=True)
class ReplyTarget:
    """What a connector needs to know to answer an interaction (the inbox's row, flattened,
    so connectors never import the inbox)."""

    kind: str
    external_id: str
    thread_key: str
    parent_external_id: str = ""
    post_external_id: str = ""
    contact_external_id: str = ""
    contact_handle: str = ""


@dataclasses.dataclass(frozen=True)
class DiscoveredAccount:
    """An account the person who authorized Parley may connect (after the OAuth flow)."""

    external_id: str
    name: str
    # The account's own token where the platform issues one (a Facebook Page's), else "".
    access_token: str = ""


@dataclasses.dataclass(frozen=True)
class PollResult:
    """One poll of an account: the events found, and the cursor to start from next time."""

    events: list[SplitEvent]
    cursor: dict[str, Any]


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


class Unsupported(PermanentPlatformError):
    """The platform has no API for this action; the message says so in words for people."""


class PartialHistory(Exception):
    """Part of an account's history came, part was refused: store `events`, show `refused`."""

    def __init__(self, events: list[SplitEvent], refused: PlatformError) -> None:
        super().__init__(refused.message)
        self.events = events
        self.refused = refused


def gathered_history(*parts: Callable[[], list[SplitEvent]]) -> list[SplitEvent]:
    """The events of every part of a history backfill (a Page's comments, its conversations),
    each fetched on its own: one the platform refuses (a permission the app lacks) does not
    lose the others. Raises the refusal when nothing came, PartialHistory when some did."""
    events: list[SplitEvent] = []
    refused: PlatformError | None = None
    for part in parts:
        try:
            events += part()
        except PlatformError as error:
            refused = refused or error
    if refused is None:
        return events
    if not events:
        raise refused
    raise PartialHistory(events, refused)


def created_id(body: dict[str, Any], *keys: str, product: str, what: str = "the reply") -> str:
    """The id the platform gave what was just created: the first of `keys` it answered with.
    A success without one is refused, as nothing could be matched to it later."""
    for key in keys:
        if body.get(key):
            return str(body[key])
    raise PermanentPlatformError(f"{product} accepted {what} but returned no id.")


# The sizes of the inbox's columns a normalized interaction fills (inbox.models;
# tests/clients/test_malformed_payloads.py checks that they agree). No platform's id is
# longer than ID_LENGTH: one that is cannot be stored, and is no id Parley could match.
ID_LENGTH = 255
NAME_LENGTH = 255
URL_LENGTH = 1000
REACTION_LENGTH = 16
RECOMMENDATION_LENGTH = 10


# Fields a cut value would make wrong (a link, a reaction's name): left out when too long.
_LEFT_OUT_WHEN_LONGER = {
    "permalink": URL_LENGTH,
    "thread_permalink": URL_LENGTH,
    "reaction": REACTION_LENGTH,
    "recommendation": RECOMMENDATION_LENGTH,
}


def fitted(item: NormalizedInteraction) -> NormalizedInteraction | str:
    """`item` as the inbox's columns can hold it, or why they cannot: a name longer than its
    column is cut, a link, a reaction or a recommendation too long is left out (cut, it
    would be wrong), and an id too long leaves nothing that can be stored. The usual item,
    which fits, is returned as it is (no copy)."""
    ids = [item.external_id, item.thread_key, item.parent_external_id, item.post_external_id]
    if item.author is not None:
        ids.append(item.author.external_id)
    if any(len(value) > ID_LENGTH for value in ids):
        return f"an id of {item.platform} {item.kind} is longer than {ID_LENGTH} characters"
    changes: dict[str, Any] = {
        name: ""
        for name, length in _LEFT_OUT_WHEN_LONGER.items()
        if len(getattr(item, name)) > length
    }
    author = item.author
    if author is not None:
        person: dict[str, Any] = {
            name: getattr(author, name)[:NAME_LENGTH]
            for name in ("name", "handle")
            if len(getattr(author, name)) > NAME_LENGTH
        }
        if len(author.avatar_url) > URL_LENGTH:
            person["avatar_url"] = ""
        if person:
            changes["author"] = dataclasses.replace(author, **person)
    return dataclasses.replace(item, **changes) if changes else item


def as_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: platforms omit and vary fields."""
    return value if isinstance(value, dict) else {}


def as_text(value: Any) -> str:
    """`value` if it is a JSON string, else "": a type or field name that is anything else
    names nothing Parley knows (and an object or a list cannot be looked up by)."""
    return value if isinstance(value, str) else ""


# Contact.follower_count is a PostgreSQL integer (tests/clients/test_malformed_payloads.py
# checks that they agree).
LARGEST_COUNT = 2_147_483_647


def as_count(value: Any) -> int | None:
    """A count the platform gives (followers), or None for anything that is not one: a
    JSON true is no count, and one beyond the column cannot be stored."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_COUNT:
        return None
    return value


def objects_in(value: Any) -> list[dict[str, Any]]:
    """The JSON objects of `value` if it is a list (anything else in it is ignored)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def fallback_dedupe_key(fragment: Any) -> str:
    """For events without a documented natural key: a digest of their canonical JSON, so the
    same retried event still collides with itself."""
    canonical = json.dumps(fragment, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def parse_rfc3339(value: Any, default: dt.datetime) -> dt.datetime:
    """Google's and YouTube's timestamps ("2024-05-29T16:26:40.123456789Z"); nanoseconds are
    cut to what Python keeps."""
    if not isinstance(value, str) or not value:
        return default
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def from_unix_milliseconds(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default


def from_unix_seconds(value: Any, default: dt.datetime) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value), tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return default
