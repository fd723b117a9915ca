"""The one way a reply changes state: a guarded UPDATE and an event row, together."""

from __future__ import annotations

from django.db import connection, transaction

from accounts.models import User
from inbox.live.events import publish
from inbox.models import Reply, ReplyEvent


def transition_reply(
    reply: Reply,
    from_status: Reply.Status,
    to_status: Reply.Status,
    *,
    actor: User | None = None,
    actor_email: str = "",
    note: str = "",
    **fields: object,
) -> bool:
    """Move `reply` from one status to another if, and only if, it is still in `from_status`.

    The conditional UPDATE is the guard: of two concurrent callers exactly one wins."""
    with transaction.atomic():
        moved = Reply.objects.filter(pk=reply.pk, status=from_status).update(
            status=to_status, **fields
        )
        if moved:
            ReplyEvent.objects.create(
                reply=reply,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                actor_email=actor_email,
                note=note,
            )
    if moved:
        _announce(reply)
        reply.status = to_status
        for name, value in fields.items():
            setattr(reply, name, value)
    return bool(moved)


def _announce(reply: Reply) -> None:
    """Open pages of the conversation show the reply's new state."""
    from clients.models import Client

    client = getattr(connection, "tenant", None)
    if isinstance(client, Client):
        publish(client.pk, f"conversation-{reply.interaction.conversation_id}")
