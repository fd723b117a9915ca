"""Hide, unhide, delete and block on the platforms, from the inbox.

Where a platform has no API for an action (Instagram block, X block off Enterprise, Google
reviews...) the agent is told so in words before anything is attempted. Otherwise the request
is stored and the `inbox.moderate` task makes the one platform call: claimed pending ->
running first, so a task that runs twice calls once; transient errors go back to pending and
retry with backoff; permanent ones are kept with the platform's message. Call inside the
client's schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from clients.platforms import moderate, moderation_refusal
from clients.platforms.base import (
    Direction,
    PermanentPlatformError,
    TransientPlatformError,
)
from inbox.models import ConversationEvent, Interaction, ModerationAction
from inbox.services import reply_target
from inbox.workflow import refresh_conversation

Action = ModerationAction.Action
Status = ModerationAction.Status


class ModerationNotAllowed(ValueError):
    """The action cannot be done; the message says why, in words for the agent."""


@dataclass(frozen=True)
class ModerationOption:
    action: str
    label: str
    refusal: str  # why it is not possible here, or ""


def moderation_options(interaction: Interaction) -> list[ModerationOption]:
    """What can be done to an inbound item from Parley, and what cannot and why."""
    if interaction.direction != Direction.INBOUND or interaction.is_deleted:
        return []
    hide = Action.UNHIDE if interaction.is_hidden else Action.HIDE
    return [
        ModerationOption(
            action=action.value,
            label=str(action.label),
            refusal=moderation_refusal(interaction.platform, action.value, interaction.kind),
        )
        for action in (hide, Action.DELETE, Action.BLOCK)
    ]


@transaction.atomic
def request_moderation(*, interaction: Interaction, action: str, actor: User) -> ModerationAction:
    """Store the request and schedule its one platform call after the commit.

    Raises ModerationNotAllowed for an unknown action, an item that is not the person's,
    one deleted already, or an action the platform has no API for."""
    if action not in Action.values:
        raise ModerationNotAllowed(_("Unknown action."))
    if interaction.direction != Direction.INBOUND:
        raise ModerationNotAllowed(_("Only what people sent can be moderated."))
    if interaction.is_deleted:
        raise ModerationNotAllowed(_("It was deleted on the platform already."))
    refusal = moderation_refusal(interaction.platform, action, interaction.kind)
    if refusal:
        raise ModerationNotAllowed(refusal)
    requested = ModerationAction.objects.create(
        interaction=interaction, action=action, requested_by=actor
    )
    ConversationEvent.objects.create(
        conversation_id=interaction.conversation_id,
        verb=ConversationEvent.Verb.MODERATED,
        actor=actor,
        detail={"action": action, "interaction": interaction.pk},
    )
    from inbox.tasks import moderate_task

    moderate_task.delay_on_commit(requested.pk)
    return requested


def run_moderation(*, action_id: int) -> ModerationAction | None:
    """Make the platform call of a pending request, exactly once (see the module doc).
    Returns None when there is nothing to do (gone, or claimed by another run)."""
    claimed = ModerationAction.objects.filter(pk=action_id, status=Status.PENDING).update(
        status=Status.RUNNING
    )
    if not claimed:
        return None
    requested = ModerationAction.objects.select_related(
        "interaction__connected_account", "interaction__contact", "interaction__conversation"
    ).get(pk=action_id)
    interaction = requested.interaction
    try:
        moderate(
            interaction.connected_account,
            reply_target(interaction),
            requested.action,
            platform=interaction.platform,
        )
    except TransientPlatformError:
        ModerationAction.objects.filter(pk=action_id).update(status=Status.PENDING)
        raise
    except PermanentPlatformError as error:
        _finish(requested, Status.FAILED, error.message)
        return requested
    with transaction.atomic():
        _apply_locally(interaction, requested.action)
        _finish(requested, Status.DONE)
    return requested


def give_up(*, action_id: int, message: str) -> None:
    """Transient errors outlasted the retries."""
    requested = ModerationAction.objects.filter(pk=action_id, status=Status.PENDING).first()
    if requested is not None:
        _finish(requested, Status.FAILED, message)


def _finish(requested: ModerationAction, status: str, message: str = "") -> None:
    requested.status = status
    requested.error_message = message
    requested.finished_at = timezone.now()
    requested.save(update_fields=["status", "error_message", "finished_at"])
    refresh_conversation(requested.interaction.conversation_id)  # the thread shows it live


def _apply_locally(interaction: Interaction, action: str) -> None:
    """What the platform now shows, without waiting for its webhook (which may never come)."""
    if action in (Action.HIDE, Action.UNHIDE):
        interaction.is_hidden = action == Action.HIDE
        interaction.save(update_fields=["is_hidden"])
    elif action == Action.DELETE:
        interaction.is_deleted = True
        interaction.needs_reply = False
        interaction.save(update_fields=["is_deleted", "needs_reply"])
