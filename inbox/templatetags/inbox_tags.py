from __future__ import annotations

import functools
from typing import Any

from django import template
from django.db import models
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from escalation.models import Priority
from inbox.models import Conversation, Interaction
from inbox.moderation import ModerationOption
from inbox.moderation import moderation_options as _moderation_options

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The translated name of a conversation status stored as its value in history."""
    try:
        return str(Conversation.Status(value).label)
    except ValueError:
        return value


@register.simple_tag
def moderation_options(interaction: Interaction) -> list[ModerationOption]:
    """Hide/unhide, delete and block for an item, each with why not where impossible."""
    return _moderation_options(interaction)


# What an engagement item did, in words (its text, if any, says the rest).
_EVENT_PHRASES = {
    "share": gettext_lazy("Shared the post"),
    "follow": gettext_lazy("Followed the account"),
    "unfollow": gettext_lazy("Unfollowed the account"),
}
_RECOMMENDATIONS = {
    "positive": gettext_lazy("Recommends"),
    "negative": gettext_lazy("Does not recommend"),
}


@register.filter
def what_happened(interaction: Interaction) -> str:
    """What an item did when its text does not say it: a reaction, a share, a follow, a
    story mention, a review's stars or recommendation. Empty for plain messages."""
    if interaction.kind == "like":
        reaction = interaction.reaction
        return _("Reacted: %(reaction)s") % {"reaction": reaction} if reaction else _("Liked")
    if interaction.kind == "review" and interaction.rating:
        return "★" * interaction.rating + "☆" * (5 - interaction.rating)
    if interaction.kind == "review":
        return str(_RECOMMENDATIONS.get(interaction.recommendation, ""))
    attachments = interaction.attachments or []
    if interaction.kind == "mention" and any(a.get("type") == "story_mention" for a in attachments):
        return _("Mentioned the account in a story")
    return str(_EVENT_PHRASES.get(interaction.kind, ""))


@register.filter
def priority_label(value: str) -> str:
    try:
        return str(Priority(value).label)
    except ValueError:
        return value


@register.filter
def display(obj: models.Model, field_name: str) -> str:
    """`obj.get_<field>_display()`, remembered per value and language: in a 50-row list the
    stock method re-translates and re-hashes every choice of the field for every row."""
    return _choice_label(type(obj), field_name, getattr(obj, field_name), get_language())


@functools.lru_cache(maxsize=2048)
def _choice_label(model: type[models.Model], field_name: str, value: Any, language: str) -> str:
    field = model._meta.get_field(field_name)
    choices = dict(getattr(field, "flatchoices", ()))
    return str(choices.get(value, value))
