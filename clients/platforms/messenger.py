"""Messenger connector (platforms.md §1.6, §1.11): a Page's direct messages.

Events arrive on the Meta webhook as `entry[].messaging[]`; they route to the Page's Facebook
account. Timestamps are milliseconds.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from clients.platforms import meta
from clients.platforms.base import (
    Direction,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    as_object,
)
from clients.platforms.facebook import page_token

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "messenger"


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    """A message (or its unsend) in the common model; reads, deliveries, reactions and
    postbacks return None (skipped)."""
    return normalize_message(payload, platform=PLATFORM)


def normalize_message(payload: dict[str, Any], *, platform: str) -> NormalizedInteraction | None:
    """Messenger and Instagram messages share one shape (platforms.md §1.6, §1.9)."""
    item = as_object(payload.get("messaging"))
    message = as_object(item.get("message"))
    mid = message.get("mid")
    sender_id = str(as_object(item.get("sender")).get("id") or "")
    recipient_id = str(as_object(item.get("recipient")).get("id") or "")
    if not mid or not sender_id or not recipient_id:
        return None
    is_echo = bool(message.get("is_echo"))
    person_id = recipient_id if is_echo else sender_id
    return NormalizedInteraction(
        platform=platform,
        kind=InteractionKind.DIRECT_MESSAGE,
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
        attachments=tuple(_attachments(message.get("attachments"))),
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


def send_direct_message(account: ConnectedAccount, *, recipient_id: str, text: str) -> str:
    """Answer a person in Messenger (inside Meta's 24-hour window); returns the message id."""
    return meta.send_message(
        account.external_account_id,
        access_token=page_token(account),
        recipient={"id": recipient_id},
        text=text,
        product="Messenger",
        messaging_type="RESPONSE",
    )
