"""Saved replies: a client's own and its agency's shared ones, filled in for a conversation.

Call inside the client's schema."""

from __future__ import annotations

import dataclasses
import re

from django.db.models import F, Q
from django.http import Http404

from accounts.models import User
from clients.models import AgencySavedReply, Client, SavedReplyFields
from inbox.models import Interaction, SavedReply

_VARIABLE = re.compile(r"\{(contact|agent|client)\.(first_name|name)\}")
PICKER_LIMIT = 20


@dataclasses.dataclass(frozen=True)
class SavedReplyChoice:
    kind: str  # "client" or "agency"
    id: int
    title: str
    category: str
    language: str
    body: str
    usage_count: int


def render_saved_reply(
    body: str, *, interaction: Interaction, agent: User | None, client: Client
) -> str:
    """Fill in the variables. What we do not know becomes a prompt ([[first name]]), which the
    checker refuses to send until the agent fills it in. Automation (no agent) signs as the
    client."""
    contact_name = interaction.contact.name.strip() if interaction.contact else ""
    values = {
        ("contact", "first_name"): (contact_name.split() or ["[[first name]]"])[0],
        ("contact", "name"): contact_name or "[[name]]",
        ("agent", "first_name"): agent.first_name if agent else client.name,
        ("agent", "name"): agent.display_name if agent else client.name,
        ("client", "first_name"): client.name,
        ("client", "name"): client.name,
    }
    return _VARIABLE.sub(lambda m: values[(m.group(1), m.group(2))], body)


def list_saved_replies(
    *, client: Client, query: str = "", language: str = ""
) -> list[SavedReplyChoice]:
    """The client's and its agency's saved replies matching `query`, most used first."""
    condition = Q()
    for word in query.split():
        condition &= (
            Q(title__icontains=word) | Q(body__icontains=word) | Q(category__icontains=word)
        )
    if language:
        condition &= Q(language__in=[language, ""])
    own = SavedReply.objects.filter(condition).order_by("-usage_count", "title")[:PICKER_LIMIT]
    shared = AgencySavedReply.objects.filter(condition, agency_id=client.agency_id).order_by(
        "-usage_count", "title"
    )[:PICKER_LIMIT]
    choices = [_choice("client", r) for r in own] + [_choice("agency", r) for r in shared]
    choices.sort(key=lambda c: (-c.usage_count, c.title.casefold()))
    return choices[:PICKER_LIMIT]


def _choice(kind: str, saved: SavedReplyFields) -> SavedReplyChoice:
    return SavedReplyChoice(
        kind, saved.pk, saved.title, saved.category, saved.language, saved.body, saved.usage_count
    )


def use_saved_reply(
    *, kind: str, saved_reply_id: int, interaction: Interaction, agent: User, client: Client
) -> str:
    """Count one use and return the text filled in for `interaction`. Raises Http404 for a
    saved reply that is not this client's or its agency's."""
    model: type[SavedReply] | type[AgencySavedReply]
    if kind == "client":
        model, scope = SavedReply, {}
    elif kind == "agency":
        model, scope = AgencySavedReply, {"agency_id": client.agency_id}
    else:
        raise Http404
    saved: SavedReplyFields | None = model.objects.filter(pk=saved_reply_id, **scope).first()
    if saved is None:
        raise Http404
    model.objects.filter(pk=saved.pk).update(usage_count=F("usage_count") + 1)
    return render_saved_reply(saved.body, interaction=interaction, agent=agent, client=client)
