"""Facebook Pages connector (platforms.md §1.4 to §1.5, §1.11).

Verification and splitting are Meta-wide (clients.platforms.meta); this module turns a Page
`feed` event into the common model and makes the Page's outbound calls.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from clients.crypto import decrypt_token
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

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "facebook"

_COMMENT_ACTIONS = {
    "add": InteractionAction.CREATED,
    "edited": InteractionAction.EDITED,
    "remove": InteractionAction.DELETED,
    "hide": InteractionAction.HIDDEN,
    "unhide": InteractionAction.UNHIDDEN,
}


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    """The common model of one stored feed event, or None for events we do not handle yet
    (the caller records them as skipped)."""
    change = as_object(payload.get("change"))
    value = as_object(change.get("value"))
    if change.get("field") != "feed" or value.get("item") != "comment":
        return None
    return _normalize_comment(value, page_id=str(payload.get("entry_id", "")))


def _normalize_comment(value: dict[str, Any], *, page_id: str) -> NormalizedInteraction | None:
    action = _COMMENT_ACTIONS.get(meta.canonical_verb(str(value.get("verb", ""))))
    comment_id = value.get("comment_id")
    post_id = value.get("post_id")
    if action is None or not comment_id or not post_id:
        return None
    author = _author(value)
    parent_id = str(value.get("parent_id") or post_id)
    received = timezone.now()
    occurred_at: dt.datetime = from_unix_seconds(
        value.get("edited_time") or value.get("created_time"), received
    )
    post = as_object(value.get("post"))
    post_permalink = str(post.get("permalink_url") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=action,
        direction=Direction.OUTBOUND
        if author and author.external_id == page_id
        else Direction.INBOUND,
        external_id=str(comment_id),
        # A top-level comment starts its own thread; a reply joins its parent's (the
        # pipeline follows a reply-to-a-reply up to the thread it is in).
        thread_key=str(comment_id) if parent_id == str(post_id) else parent_id,
        parent_external_id=parent_id,
        post_external_id=str(post_id),
        author=author,
        text=str(value.get("message") or ""),
        occurred_at=occurred_at,
        permalink=_comment_permalink(post_permalink, str(comment_id)),
        thread_permalink=post_permalink,
    )


def _author(value: dict[str, Any]) -> NormalizedAuthor | None:
    sender = as_object(value.get("from"))
    author_id = sender.get("id") or value.get("sender_id")
    if not author_id:
        return None
    return NormalizedAuthor(
        external_id=str(author_id), name=str(sender.get("name") or value.get("sender_name") or "")
    )


def private_reply_to_comment(account: ConnectedAccount, *, comment_id: str, text: str) -> str:
    """Answer a commenter in Messenger (platforms.md §1.11: one per comment, within 7 days);
    returns the message id."""
    return meta.send_message(
        account.external_account_id,
        access_token=page_token(account),
        recipient={"comment_id": comment_id},
        text=text,
        product="Messenger",
    )


def page_token(account: ConnectedAccount) -> str:
    token = decrypt_token(account.access_token_encrypted) if account.access_token_encrypted else ""
    if not token:
        raise PermanentPlatformError(
            f"{account.name} has no access token: reconnect the page to send from it."
        )
    return token


def _comment_permalink(post_permalink: str, comment_id: str) -> str:
    if not post_permalink.startswith("https://"):
        return ""
    separator = "&" if "?" in post_permalink else "?"
    return f"{post_permalink}{separator}comment_id={comment_id.rsplit('_', 1)[-1]}"


# --- Outbound ----------------------------------------------------------------------------


def reply_to_comment(account: ConnectedAccount, *, comment_id: str, text: str) -> str:
    """Post `text` as the Page under a comment; returns the new comment's id."""
    body = meta.graph_post(
        f"{comment_id}/comments", access_token=page_token(account), data={"message": text}
    )
    new_id = body.get("id")
    if not new_id:
        raise PermanentPlatformError("Facebook accepted the reply but returned no id.")
    return str(new_id)
