"""Reads of a client's inbox, scoped by the member's role. Same 404 for missing and denied."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.roles import Capability, ClientRole, role_allows
from clients.platforms.base import Direction
from escalation.models import EscalationEvent
from inbox.models import Interaction, Reply

INBOX_PAGE_SIZE = 50


def _require(role: ClientRole | None, capability: Capability) -> None:
    if not role_allows(role, capability):
        raise Http404


def list_inbound_interactions(
    *,
    role: ClientRole | None,
    before: tuple[dt.datetime, int] | None = None,
    needs_reply_only: bool = False,
) -> list[Interaction]:
    """Newest inbound interactions first, one page; `before` is the keyset of the last row
    seen, so pages stay stable while new items arrive."""
    _require(role, Capability.VIEW_INBOX)
    queryset = Interaction.objects.filter(direction=Direction.INBOUND).select_related(
        "contact", "connected_account", "conversation"
    )
    if needs_reply_only:
        queryset = queryset.filter(needs_reply=True)
    if before is not None:
        occurred_at, pk = before
        queryset = queryset.filter(
            Q(occurred_at__lt=occurred_at) | Q(occurred_at=occurred_at, id__lt=pk)
        )
    return list(queryset.order_by("-occurred_at", "-id")[:INBOX_PAGE_SIZE])


def get_interaction(*, role: ClientRole | None, interaction_id: int) -> Interaction:
    _require(role, Capability.VIEW_INBOX)
    interaction = (
        Interaction.objects.select_related("contact", "connected_account", "conversation")
        .filter(pk=interaction_id)
        .first()
    )
    if interaction is None:
        raise Http404
    return interaction


def list_thread(*, interaction: Interaction) -> QuerySet[Interaction]:
    """The conversation's interactions in order, each with our replies to it.

    Echoes of replies sent from Parley are left out: the reply itself is shown."""
    sent_ids = Reply.objects.filter(
        interaction__conversation_id=interaction.conversation_id
    ).exclude(external_id="")
    return (
        Interaction.objects.filter(conversation_id=interaction.conversation_id)
        .exclude(external_id__in=sent_ids.values("external_id"))
        .select_related("contact")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.select_related("author").order_by("created_at"),
            )
        )
        .order_by("occurred_at", "id")
    )


def list_escalations(*, interaction: Interaction) -> QuerySet[EscalationEvent]:
    return EscalationEvent.objects.filter(conversation_id=interaction.conversation_id).order_by(
        "created_at", "id"
    )


def get_reply(*, role: ClientRole | None, reply_id: int) -> Reply:
    _require(role, Capability.VIEW_INBOX)
    reply = Reply.objects.select_related("author", "interaction").filter(pk=reply_id).first()
    if reply is None:
        raise Http404
    return reply
