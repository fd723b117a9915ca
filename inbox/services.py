"""Writes on a client's inbox. Call inside the client's schema (tenant_context / request)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from clients.models import ConnectedAccount
from clients.platforms import get_connector
from clients.platforms.base import (
    ENGAGEMENT_KINDS,
    Direction,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    PermanentPlatformError,
    ReplyTarget,
    TransientPlatformError,
)
from escalation.models import EscalationRule
from escalation.rules import apply_escalation_rules
from guidelines.checker import CheckContext, CheckResult, check_reply
from guidelines.selectors import get_current_guideline
from inbox.analysis import Analysis, analyze
from inbox.approvals import approval_reasons, get_approval_policy, request_approval
from inbox.models import Contact, Conversation, Interaction, InteractionRevision, Reply, ReplyEvent
from inbox.transitions import transition_reply
from inbox.workflow import refresh_conversation, wake_on_new_message

logger = logging.getLogger(__name__)

# Kinds a person may be expected to answer; likes, follows and shares are engagement events.
KINDS_THAT_MAY_NEED_A_REPLY = {
    InteractionKind.COMMENT,
    InteractionKind.DIRECT_MESSAGE,
    InteractionKind.MENTION,
    InteractionKind.REVIEW,
}
# Kinds some connector can answer (automation offers these); whether this interaction's
# platform can is `can_answer`.
REPLYABLE_KINDS = {
    InteractionKind.COMMENT,
    InteractionKind.DIRECT_MESSAGE,
    InteractionKind.MENTION,
    InteractionKind.REVIEW,
}
MAX_REPLY_LENGTH = 8000  # Facebook's comment limit; per-network limits belong to the checker.


# --- Ingestion ---------------------------------------------------------------------------


@transaction.atomic
def ingest_interaction(
    *, normalized: NormalizedInteraction, connected_account: ConnectedAccount
) -> Interaction:
    """Upsert the contact, the conversation and the interaction of one normalized event.

    Idempotent: the interaction is unique per (platform, external_id); a lifecycle event
    (edit, delete, hide) older than the last one applied is ignored, so late or repeated
    deliveries change nothing."""
    contact = _upsert_contact(normalized)
    is_inbound = normalized.direction == Direction.INBOUND
    conversation = _upsert_conversation(
        normalized, connected_account, contact=contact if is_inbound else None
    )
    reading = read_message(normalized) if is_inbound else None
    interaction, created = Interaction.objects.get_or_create(
        platform=normalized.platform,
        external_id=normalized.external_id,
        defaults={
            "connected_account": connected_account,
            "conversation": conversation,
            "contact": contact,
            **new_interaction_fields(normalized, reading),
        },
    )
    if not created:
        interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
        if normalized.action != InteractionAction.CREATED:
            _apply_lifecycle(interaction, normalized, reading, record_revision=True)
        elif interaction.is_deleted and normalized.occurred_at > interaction.platform_updated_at:
            # Reacted again after taking the reaction back (engagement ids are per person).
            interaction.is_deleted = False
            interaction.reaction = normalized.reaction
            interaction.platform_updated_at = normalized.occurred_at
            interaction.save(update_fields=["is_deleted", "reaction", "platform_updated_at"])
        refresh_conversation(interaction.conversation_id)
        return interaction
    if normalized.action != InteractionAction.CREATED:
        # The edit or deletion overtook its creation: apply it to what we just stored.
        _apply_lifecycle(interaction, normalized, reading, record_revision=False)
    if not is_inbound:
        # The page answered (here or in another tool): what it answers no longer waits.
        mark_answered(interaction)
        return interaction
    if not interaction.is_deleted:
        escalate(interaction)
    if interaction.needs_reply:
        wake_on_new_message(conversation)
    refresh_conversation(conversation.pk)
    if normalized.kind in REPLYABLE_KINDS and not interaction.is_deleted:
        # Automation decides for itself: rules, maintenance, and requests for a person.
        from inbox.tasks import run_automation_task

        run_automation_task.delay_on_commit(interaction.pk)
    return interaction


def new_interaction_fields(
    normalized: NormalizedInteraction, reading: Analysis | None
) -> dict[str, object]:
    """The columns of a new interaction, from its event and the reading of its text (the
    same for one event and for a batch, inbox/ingest.py)."""
    return {
        "kind": normalized.kind,
        "direction": normalized.direction,
        "parent_external_id": normalized.parent_external_id,
        "text": normalized.text,
        "attachments": list(normalized.attachments),
        "permalink": normalized.permalink,
        "rating": normalized.rating,
        "recommendation": normalized.recommendation,
        "reaction": normalized.reaction,
        "occurred_at": normalized.occurred_at,
        "platform_updated_at": normalized.occurred_at,
        "needs_reply": bool(
            reading
            and reading.needs_reply
            and normalized.kind in KINDS_THAT_MAY_NEED_A_REPLY
            and normalized.action != InteractionAction.DELETED
        ),
        **_analysis_fields(reading),
    }


def escalate(interaction: Interaction, rules: list[EscalationRule] | None = None) -> None:
    """Run the escalation rules (`rules` when loaded already) on a new inbound interaction.
    Engagement waits for nobody, unless a rule says this one matters (a journalist followed,
    a big account shared): then it needs a reply."""
    if apply_escalation_rules(interaction, rules) and interaction.kind in ENGAGEMENT_KINDS:
        interaction.needs_reply = True
        interaction.save(update_fields=["needs_reply"])


def read_message(
    normalized: NormalizedInteraction, *, client_language: str | None = None
) -> Analysis | None:
    """The analysis of an inbound message's text; None when there is nothing to read. Too
    little text to tell its language takes the client's (`client_language`, else read from
    the current schema's client: a batch passes it once rather than looking it up through
    Django's connection proxy per message)."""
    if not normalized.text.strip():
        return None
    return analyze(normalized.text, fallback_language=client_language or current_client_language())


def current_client_language() -> str:
    """The default language of the client whose schema is active ("en" outside one)."""
    return getattr(getattr(connection, "tenant", None), "default_language", "en")


def _analysis_fields(reading: Analysis | None) -> dict[str, object]:
    if reading is None:
        return {}
    return {
        "language": reading.language,
        "sentiment": reading.sentiment,
        "sentiment_score": reading.sentiment_score,
        "is_spam": reading.is_spam,
        "is_abusive": reading.is_abusive,
    }


def mark_answered(answer: Interaction | Reply) -> None:
    """What an answer settles no longer needs a reply: in a direct-message thread, everything
    the person wrote before it; elsewhere, the comment it answers."""
    if isinstance(answer, Reply):
        interaction, answered_at = answer.interaction, timezone.now()
    else:
        interaction, answered_at = answer, answer.occurred_at
    if interaction.kind == InteractionKind.DIRECT_MESSAGE:
        Interaction.objects.filter(
            conversation_id=interaction.conversation_id,
            direction=Direction.INBOUND,
            occurred_at__lte=answered_at,
        ).update(needs_reply=False)
    elif isinstance(answer, Reply):
        Interaction.objects.filter(pk=interaction.pk).update(needs_reply=False)
    else:
        Interaction.objects.filter(
            platform=answer.platform, external_id=answer.parent_external_id
        ).update(needs_reply=False)
    refresh_conversation(interaction.conversation_id)


# What a platform may tell about a person; each event refreshes what it states.
CONTACT_FACTS = ["name", "handle", "avatar_url", "follower_count", "is_verified"]


def contact_facts(author: NormalizedAuthor) -> dict[str, object]:
    """What this event states about its author: blanks (and "not verified", which platforms
    omit rather than state) leave what we knew."""
    facts = {
        "name": author.name,
        "handle": author.handle,
        "avatar_url": author.avatar_url,
        "follower_count": author.follower_count,
        "is_verified": author.is_verified or None,
    }
    return {field: value for field, value in facts.items() if value not in ("", None)}


def _upsert_contact(normalized: NormalizedInteraction) -> Contact | None:
    """The person behind the event, with what the platform tells about them this time."""
    author = normalized.author
    if author is None:
        return None
    given = contact_facts(author)
    contact, created = Contact.objects.get_or_create(
        platform=normalized.platform, external_id=author.external_id, defaults=given
    )
    changed = [field for field, value in given.items() if getattr(contact, field) != value]
    if not created and changed:
        for field in changed:
            setattr(contact, field, given[field])
        contact.save(update_fields=[*changed, "last_seen_at"])
    return contact


def follows_parent(normalized: NormalizedInteraction) -> bool:
    """Whether the item joins the thread of the item it answers (when we hold that one):
    replies do; a top-level comment (whose parent is the post) and engagement, which gathers
    per post, do not."""
    parent = normalized.parent_external_id
    return normalized.kind not in ENGAGEMENT_KINDS and parent not in (
        "",
        normalized.post_external_id,
        normalized.external_id,
    )


def _upsert_conversation(
    normalized: NormalizedInteraction,
    connected_account: ConnectedAccount,
    *,
    contact: Contact | None,
) -> Conversation:
    """The thread the event belongs to, created on its first event. A reply whose parent we
    already hold joins the parent's thread, however deep the nesting."""
    thread_key = normalized.thread_key
    if follows_parent(normalized):
        thread_key = (
            Conversation.objects.filter(
                connected_account=connected_account,
                interactions__platform=normalized.platform,
                interactions__external_id=normalized.parent_external_id,
            )
            .values_list("thread_key", flat=True)
            .first()
            or thread_key
        )
    conversation, created = Conversation.objects.get_or_create(
        connected_account=connected_account,
        thread_key=thread_key,
        defaults={
            "platform": normalized.platform,
            "permalink": normalized.thread_permalink,
            "post_external_id": normalized.post_external_id,
            "kind": normalized.kind,
            "contact": contact,
            "last_activity_at": normalized.occurred_at,
        },
    )
    if not created:
        Conversation.objects.filter(pk=conversation.pk).update(
            last_activity_at=Greatest(F("last_activity_at"), normalized.occurred_at)
        )
        if contact is not None and conversation.contact_id is None:
            # The thread was opened by our own echo; the person who wrote in is its contact.
            Conversation.objects.filter(pk=conversation.pk).update(contact=contact)
    return conversation


def _apply_lifecycle(
    interaction: Interaction,
    normalized: NormalizedInteraction,
    reading: Analysis | None,
    *,
    record_revision: bool,
) -> None:
    if record_revision and normalized.occurred_at < interaction.platform_updated_at:
        return  # an older lifecycle event delivered late
    previous_text = interaction.text
    match normalized.action:
        case InteractionAction.EDITED:
            interaction.text = normalized.text
            interaction.edited_at = normalized.occurred_at
            for name, value in _analysis_fields(reading).items():
                setattr(interaction, name, value)
        case InteractionAction.DELETED:
            interaction.is_deleted = True
            interaction.needs_reply = False
        case InteractionAction.HIDDEN:
            interaction.is_hidden = True
        case InteractionAction.UNHIDDEN:
            interaction.is_hidden = False
    interaction.platform_updated_at = max(interaction.platform_updated_at, normalized.occurred_at)
    interaction.save()
    if record_revision:
        InteractionRevision.objects.create(
            interaction=interaction,
            action=normalized.action,
            previous_text=previous_text,
            occurred_at=normalized.occurred_at,
        )


# --- Replies -----------------------------------------------------------------------------


def can_answer(interaction: Interaction) -> bool:
    """An inbound interaction of a kind its platform's connector can answer."""
    connector = get_connector(interaction.platform)
    return (
        connector is not None
        and interaction.direction == Direction.INBOUND
        and interaction.kind in connector.REPLYABLE_KINDS
    )


def can_answer_privately(interaction: Interaction) -> bool:
    """A comment whose platform can answer its author in their messages (Meta's private
    replies)."""
    connector = get_connector(interaction.platform)
    return (
        connector is not None
        and connector.PRIVATE_REPLIES
        and interaction.kind == InteractionKind.COMMENT
        and can_answer(interaction)
    )


def reply_target(interaction: Interaction) -> ReplyTarget:
    """What the connector needs to answer or moderate `interaction`."""
    contact = interaction.contact
    return ReplyTarget(
        kind=interaction.kind,
        external_id=interaction.external_id,
        thread_key=interaction.conversation.thread_key,
        parent_external_id=interaction.parent_external_id,
        post_external_id=interaction.conversation.post_external_id,
        contact_external_id=contact.external_id if contact else "",
        contact_handle=contact.handle if contact else "",
    )


class ReplyNotAllowed(ValueError):
    """The reply cannot be created; the message says why, in words for the agent."""


class ReplyBlockedByGuideline(ReplyNotAllowed):
    """The guideline's blocking rules refuse the text; `result` holds every violation."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(result.blocking_message)
        self.result = result


def check_reply_text(
    *, interaction: Interaction, text: str, private: bool = False
) -> tuple[int | None, CheckResult]:
    """Check `text` as a reply to `interaction` (privately: in Messenger) against the guideline
    in force. Returns (the guideline version number or None, the result)."""
    version, guideline = get_current_guideline()
    return (version.number if version else None), check_reply(
        text, reply_check_context(interaction, private=private), guideline
    )


def reply_check_context(interaction: Interaction, *, private: bool = False) -> CheckContext:
    """What the checker needs to know about the conversation being answered."""
    client = getattr(connection, "tenant", None)  # set by django-tenants for this schema
    contact_name = interaction.contact.name if interaction.contact else ""
    last_inbound_at = None
    if interaction.kind == InteractionKind.DIRECT_MESSAGE:
        last_inbound_at = (
            Interaction.objects.filter(
                conversation_id=interaction.conversation_id, direction=Direction.INBOUND
            )
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first()
        )
    return CheckContext(
        language=getattr(client, "default_language", "en"),
        network="messenger" if private else interaction.platform,
        kind=interaction.kind,
        contact_first_name=(contact_name.split() or [""])[0],
        last_inbound_at=last_inbound_at,
        private_reply_to_comment_at=interaction.occurred_at if private else None,
    )


@transaction.atomic
def create_reply(
    *, interaction: Interaction, author: User, text: str, private: bool = False
) -> Reply:
    """Create a reply to `interaction`, checked against the guideline.

    1. Refuse empty or too long text and interactions that cannot be answered
       (ReplyNotAllowed), and text the guideline blocks (ReplyBlockedByGuideline).
    2. Store it as a draft with the guideline version and its warnings.
    3. If the client's approval policy flags it: pending_approval, and approvers are e-mailed.
       Otherwise: approved, and `send_reply_task` sends it after the commit."""
    text = text.strip()
    if not text:
        raise ReplyNotAllowed(_("Write a reply first."))
    if len(text) > MAX_REPLY_LENGTH:
        raise ReplyNotAllowed(
            _("The reply is %(length)d characters long; the limit is %(limit)d.")
            % {"length": len(text), "limit": MAX_REPLY_LENGTH}
        )
    if not can_answer(interaction):
        raise ReplyNotAllowed(_("This interaction cannot be answered from Parley."))
    if interaction.is_deleted:
        raise ReplyNotAllowed(_("The comment was deleted on the platform."))
    if private and not can_answer_privately(interaction):
        raise ReplyNotAllowed(_("Private replies are not possible on this network."))
    version, result = check_reply_text(interaction=interaction, text=text, private=private)
    if result.is_blocked:
        raise ReplyBlockedByGuideline(result)
    reply = Reply.objects.create(
        interaction=interaction,
        author=author,
        text=text,
        is_private=private,
        guideline_version=version,
        guideline_violations=[v.as_dict() for v in result.violations],
    )
    ReplyEvent.objects.create(reply=reply, to_status=Reply.Status.DRAFT, actor=author)
    conversation = interaction.conversation
    reasons = approval_reasons(
        policy=get_approval_policy(),
        result=result,
        text=text,
        is_vip=bool(interaction.contact and interaction.contact.is_vip),
        is_negative=interaction.sentiment == "negative",
        is_escalated=conversation.escalated_at is not None,
        required_by_rule=conversation.approval_required_by,
    )
    if reasons:
        request_approval(reply=reply, reasons=reasons, actor=author)
        return reply
    transition_reply(
        reply,
        Reply.Status.DRAFT,
        Reply.Status.APPROVED,
        actor=author,
        note=_("No approval required."),
    )
    from inbox.tasks import send_reply_task

    send_reply_task.delay_on_commit(reply.pk)
    return reply


def send_reply(*, reply_id: int) -> Reply | None:
    """Send an approved reply to its platform, exactly once.

    1. Claim it: approved -> sending (a second run finds it no longer approved and stops).
    2. Call the platform, outside any transaction.
    3. sent (with the platform's id), failed (permanent error, with the platform's message),
       or back to approved for a retry (transient error, which is re-raised for the task).
    A worker that dies between 2 and 3 leaves the reply in `sending`: it is never re-sent
    blindly. Returns None when the reply is gone or not ready to send."""
    reply = (
        Reply.objects.select_related(
            "interaction__connected_account",
            "interaction__contact",
            "interaction__conversation",
        )
        .filter(pk=reply_id)
        .first()
    )
    if reply is None or not transition_reply(reply, Reply.Status.APPROVED, Reply.Status.SENDING):
        return None
    interaction = reply.interaction
    # The guideline may have changed since the reply was written or approved.
    version, result = check_reply_text(
        interaction=interaction, text=reply.text, private=reply.is_private
    )
    if result.is_blocked:
        message = _("Blocked by guideline version %(version)s: %(reasons)s") % {
            "version": version,
            "reasons": result.blocking_message,
        }
        transition_reply(
            reply, Reply.Status.SENDING, Reply.Status.FAILED, note=message, error_message=message
        )
        return reply
    connector = get_connector(interaction.platform)
    try:
        if connector is None:
            raise PermanentPlatformError(_("Replies to this platform are not supported yet."))
        external_id = connector.answer(
            interaction.connected_account,
            reply_target(interaction),
            reply.text,
            private=reply.is_private,
        )
    except TransientPlatformError as error:
        transition_reply(reply, Reply.Status.SENDING, Reply.Status.APPROVED, note=error.message)
        raise
    except PermanentPlatformError as error:
        transition_reply(
            reply,
            Reply.Status.SENDING,
            Reply.Status.FAILED,
            note=error.message,
            error_message=error.message,
        )
        return reply
    with transaction.atomic():
        transition_reply(
            reply,
            Reply.Status.SENDING,
            Reply.Status.SENT,
            external_id=external_id,
            sent_at=timezone.now(),
        )
        mark_answered(reply)
    return reply


# A reply still `sending` this long after its claim lost its worker mid-call.
STUCK_SENDING_AFTER = dt.timedelta(minutes=10)


def reconcile_stuck_replies() -> int:
    """Settle replies left in `sending` by a worker that died between the platform call and
    recording its answer. Never re-sent blindly (the platform may have it): sent, when the
    platform's own echo of the text arrived since (webhooks report the account's replies),
    else failed with a message telling the agent to look before sending again.
    Returns how many were settled."""
    cutoff = timezone.now() - STUCK_SENDING_AFTER
    stuck = (
        Reply.objects.filter(status=Reply.Status.SENDING)
        .filter(events__to_status=Reply.Status.SENDING, events__created_at__lt=cutoff)
        .select_related("interaction")
        .distinct()
    )
    settled = 0
    for reply in stuck:
        echo = (
            Interaction.objects.filter(
                conversation_id=reply.interaction.conversation_id,
                direction=Direction.OUTBOUND,
                text=reply.text,
                occurred_at__gte=reply.created_at,
            )
            .exclude(external_id__in=Reply.objects.exclude(external_id="").values("external_id"))
            .order_by("occurred_at")
            .first()
        )
        if echo is not None:
            moved = transition_reply(
                reply,
                Reply.Status.SENDING,
                Reply.Status.SENT,
                note=_("Found on the platform after the sending worker stopped."),
                external_id=echo.external_id,
                sent_at=echo.occurred_at,
            )
        else:
            message = _(
                "The sending stopped halfway and the platform has not shown this reply since. "
                "Check the platform before sending it again."
            )
            moved = transition_reply(
                reply,
                Reply.Status.SENDING,
                Reply.Status.FAILED,
                note=message,
                error_message=message,
            )
        settled += moved
    return settled


def fail_reply(*, reply_id: int, message: str) -> None:
    """Give up on a reply whose transient errors outlasted its retries."""
    reply = Reply.objects.filter(pk=reply_id).first()
    if reply is not None:
        transition_reply(
            reply, Reply.Status.APPROVED, Reply.Status.FAILED, note=message, error_message=message
        )


def set_contact_vip(*, contact: Contact, is_vip: bool) -> None:
    Contact.objects.filter(pk=contact.pk).update(is_vip=is_vip)
    contact.is_vip = is_vip
