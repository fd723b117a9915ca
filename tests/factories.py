"""Factories for inbox data, created inside the current client schema."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from clients.models import ConnectedAccount
from inbox.models import Contact, Conversation, Interaction

_ids = itertools.count(800000000000100)


def make_comment(
    account: ConnectedAccount,
    *,
    text: str = "Is this available in blue?",
    author_name: str = "Jane Doe",
    occurred_at: dt.datetime | None = None,
    post_id: str | None = None,
) -> Interaction:
    occurred_at = occurred_at or timezone.now()
    serial = next(_ids)
    post_id = post_id or f"{account.external_account_id}_700000000000001"
    contact, _ = Contact.objects.get_or_create(
        platform=account.platform, external_id=f"600{serial}", defaults={"name": author_name}
    )
    conversation, _ = Conversation.objects.get_or_create(
        connected_account=account,
        thread_key=post_id,
        defaults={"platform": account.platform, "last_activity_at": occurred_at},
    )
    return Interaction.objects.create(
        platform=account.platform,
        connected_account=account,
        conversation=conversation,
        contact=contact,
        kind="comment",
        direction="inbound",
        external_id=f"700000000000001_{serial}",
        parent_external_id=post_id,
        text=text,
        occurred_at=occurred_at,
        platform_updated_at=occurred_at,
        needs_reply=True,
    )
