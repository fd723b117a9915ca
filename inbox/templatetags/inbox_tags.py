from __future__ import annotations

from django import template

from escalation.models import Priority
from inbox.models import Conversation

register = template.Library()


@register.filter
def status_label(value: str) -> str:
    """The translated name of a conversation status stored as its value in history."""
    try:
        return str(Conversation.Status(value).label)
    except ValueError:
        return value


@register.filter
def priority_label(value: str) -> str:
    try:
        return str(Priority(value).label)
    except ValueError:
        return value
