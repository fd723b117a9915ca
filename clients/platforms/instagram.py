"""Instagram connector (platforms.md §1.7 to §1.9, §1.11): comments and direct messages of an
Instagram professional account.

Events arrive on the Meta webhook with `object: "instagram"`; comments come in `changes[]` or
flat on the entry (Instagram Login), messages in `messaging[]`. Mentions carry only ids and
need an enrichment fetch; they are stored and skipped until that fetch exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone

from clients.platforms import meta
from clients.platforms.base import (
    Direction,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    PermanentPlatformError,
    as_object,
    from_unix_seconds,
)
from clients.platforms.facebook import page_token
from clients.platforms.messenger import normalize_message

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "instagram"
_COMMENT_FIELDS = {"comments", "live_comments"}


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    if "messaging" in payload:
        return normalize_message(payload, platform=PLATFORM)
    change = as_object(payload.get("change"))
    if change.get("field") not in _COMMENT_FIELDS:
        return None
    return _normalize_comment(
        as_object(change.get("value")),
        account_id=str(payload.get("entry_id", "")),
        entry_time=payload.get("time"),
    )


def _normalize_comment(
    value: dict[str, Any], *, account_id: str, entry_time: Any
) -> NormalizedInteraction | None:
    comment_id = value.get("id") or value.get("comment_id")
    media_id = as_object(value.get("media")).get("id")
    sender = as_object(value.get("from"))
    if not comment_id or not media_id or not sender.get("id"):
        return None
    is_own = bool(sender.get("self_ig_scoped_id")) or str(sender.get("id")) == account_id
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=InteractionAction.CREATED,
        direction=Direction.OUTBOUND if is_own else Direction.INBOUND,
        external_id=str(comment_id),
        # As on Facebook: one thread per top-level comment and its replies.
        thread_key=str(value.get("parent_id") or comment_id),
        parent_external_id=str(value.get("parent_id") or media_id),
        post_external_id=str(media_id),
        author=NormalizedAuthor(
            external_id=str(sender["id"]), handle=str(sender.get("username") or "")
        ),
        text=str(value.get("text") or ""),
        # The comment carries no time of its own: the notification's is the closest.
        occurred_at=from_unix_seconds(entry_time, timezone.now()),
    )


# --- Outbound ----------------------------------------------------------------------------


def reply_to_comment(account: ConnectedAccount, *, comment_id: str, text: str) -> str:
    """Answer under an Instagram comment (top-level comments only); returns the reply's id."""
    body = meta.graph_post(
        f"{comment_id}/replies", access_token=page_token(account), data={"message": text}
    )
    new_id = body.get("id")
    if not new_id:
        raise PermanentPlatformError("Instagram accepted the reply but returned no id.")
    return str(new_id)


def send_direct_message(account: ConnectedAccount, *, recipient_id: str, text: str) -> str:
    """Answer a person in Instagram Direct (Meta's 24-hour window); returns the message id."""
    return meta.send_message(
        account.external_account_id,
        access_token=page_token(account),
        recipient={"id": recipient_id},
        text=text,
        product="Instagram",
    )
