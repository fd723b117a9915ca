"""Messenger connector (platforms.md §1.6, §1.11): a Page's direct messages.

Events arrive on the Meta webhook as `entry[].messaging[]`; they route to the Page's Facebook
account. Timestamps are milliseconds.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clients.platforms import meta
from clients.platforms.base import (
    Direction,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    ReplyTarget,
    as_object,
)
from clients.platforms.http import account_token

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "messenger"


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    """A message, its unsend or a reaction to it in the common model; reads, deliveries and
    postbacks return None (skipped)."""
    return normalize_message(payload, platform=PLATFORM)


def normalize_message(payload: dict[str, Any], *, platform: str) -> NormalizedInteraction | None:
    """Messenger and Instagram messages share one shape (platforms.md §1.6, §1.9)."""
    item = as_object(payload.get("messaging"))
    sender_id = str(as_object(item.get("sender")).get("id") or "")
    recipient_id = str(as_object(item.get("recipient")).get("id") or "")
    if not sender_id or not recipient_id:
        return None
    if "reaction" in item:
        return _normalize_reaction(item, platform=platform, sender_id=sender_id)
    message = as_object(item.get("message"))
    mid = message.get("mid")
    if not mid:
        return None
    is_echo = bool(message.get("is_echo"))
    person_id = recipient_id if is_echo else sender_id
    attachments = tuple(_attachments(message.get("attachments")))
    # Someone mentioned the account in their Instagram story: it arrives as a message whose
    # attachment is the story. It is a mention, answered in the same conversation.
    is_story_mention = any(a["type"] == "story_mention" for a in attachments)
    return NormalizedInteraction(
        platform=platform,
        kind=InteractionKind.MENTION if is_story_mention else InteractionKind.DIRECT_MESSAGE,
        action=InteractionAction.DELETED
        if message.get("is_deleted")
        else InteractionAction.CREATED,
        direction=Direction.OUTBOUND if is_echo else Direction.INBOUND,
        external_id=str(mid),
        # One conversation per person and Page: the PSID.
        thread_key=f"dm:{person_id}",
        parent_external_id=str(as_object(message.get("reply_to")).get("mid") or ""),
        author=NormalizedAuthor(external_id=person_id),
        text=str(message.get("text") or ""),
        occurred_at=_from_milliseconds(item.get("timestamp")),
        attachments=attachments,
    )


def _normalize_reaction(
    item: dict[str, Any], *, platform: str, sender_id: str
) -> NormalizedInteraction | None:
    """A person reacted to a message (or took the reaction back): engagement, in the thread."""
    reaction = as_object(item.get("reaction"))
    mid = reaction.get("mid")
    if not mid:
        return None
    return NormalizedInteraction(
        platform=platform,
        kind=InteractionKind.LIKE,
        action=InteractionAction.DELETED
        if reaction.get("action") == "unreact"
        else InteractionAction.CREATED,
        direction=Direction.INBOUND,
        external_id=f"reaction:{mid}:{sender_id}",
        thread_key=f"dm:{sender_id}",
        parent_external_id=str(mid),
        author=NormalizedAuthor(external_id=sender_id),
        text=str(reaction.get("emoji") or ""),
        occurred_at=_from_milliseconds(item.get("timestamp")),
        reaction=str(reaction.get("reaction") or "like"),
    )


def _attachments(value: Any) -> list[dict[str, str]]:
    found = []
    for raw in value if isinstance(value, list) else []:
        attachment = as_object(raw)
        url = str(as_object(attachment.get("payload")).get("url") or "")
        found.append({"type": str(attachment.get("type") or "file"), "url": url})
    return found


def _from_milliseconds(value: Any) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return timezone.now()


# --- Outbound ----------------------------------------------------------------------------

REPLYABLE_KINDS = frozenset({InteractionKind.DIRECT_MESSAGE})
PRIVATE_REPLIES = False


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    return send_direct_message(account, recipient_id=target.contact_external_id, text=text)


def send_direct_message(account: ConnectedAccount, *, recipient_id: str, text: str) -> str:
    """Answer a person in Messenger (inside Meta's 24-hour window); returns the message id."""
    return meta.send_message(
        account.external_account_id,
        access_token=account_token(account),
        recipient={"id": recipient_id},
        text=text,
        product="Messenger",
        messaging_type="RESPONSE",
    )


def moderation_refusal(action: str, kind: str) -> str:
    if action in ("hide", "delete"):
        return _("Messenger cannot hide or delete a person's messages: block them instead.")
    return ""


def block(account: ConnectedAccount, target: ReplyTarget) -> None:
    """Block the person from messaging the Page (by their page-scoped id)."""
    meta.graph_post(
        f"{account.external_account_id}/blocked",
        access_token=account_token(account),
        data={"psid": target.contact_external_id},
        product="Messenger",
    )
