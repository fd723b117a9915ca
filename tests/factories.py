"""Factories for test data: inbox data, created inside the current client schema, and
deliveries as the webhook receiver stores them (shared)."""

from __future__ import annotations

import datetime as dt
import itertools
import json

from django.db import connection
from django.utils import timezone

from clients.models import ConnectedAccount
from clients.services import STAGE_DELIVERIES_SQL, joined_rows
from inbox.models import Contact, Conversation, Interaction
from inbox.workflow import refresh_conversation

_ids = itertools.count(800000000000100)


def make_comment(
    account: ConnectedAccount,
    *,
    text: str = "Is this available in blue?",
    author_name: str = "Jane Doe",
    occurred_at: dt.datetime | None = None,
    post_id: str | None = None,
    thread: str | None = None,
    needs_reply: bool = True,
) -> Interaction:
    """A top-level comment, in its own conversation (or in `thread`'s), as the pipeline
    would store it: the conversation's list fields are refreshed."""
    occurred_at = occurred_at or timezone.now()
    serial = next(_ids)
    post_id = post_id or f"{account.external_account_id}_700000000000001"
    contact, _ = Contact.objects.get_or_create(
        platform=account.platform, external_id=f"600{serial}", defaults={"name": author_name}
    )
    comment_id = f"700000000000001_{serial}"
    conversation, _ = Conversation.objects.get_or_create(
        connected_account=account,
        thread_key=thread or comment_id,
        defaults={
            "platform": account.platform,
            "last_activity_at": occurred_at,
            "kind": "comment",
            "contact": contact,
            "post_external_id": post_id,
        },
    )
    interaction = Interaction.objects.create(
        platform=account.platform,
        connected_account=account,
        conversation=conversation,
        contact=contact,
        kind="comment",
        direction="inbound",
        external_id=comment_id,
        parent_external_id=post_id,
        text=text,
        occurred_at=occurred_at,
        platform_updated_at=occurred_at,
        needs_reply=needs_reply,
    )
    refresh_conversation(conversation.pk)
    return interaction


def receive_deliveries(*documents: str) -> int:
    """Deliveries' events documents (`inbound_rows`) stored together exactly as the webhook
    receiver's group commit stores them; the InboundDelivery row's id."""
    count = sum(len(json.loads(document)) for document in documents)
    with connection.cursor() as cursor:
        cursor.execute(STAGE_DELIVERIES_SQL, [joined_rows(documents), count])
        return int(cursor.fetchone()[0])
