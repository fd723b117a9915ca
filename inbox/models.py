"""A client's inbox (tenant schema): who wrote, in which thread, what, and what we answered."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from clients.models import Platform, SavedReplyFields
from clients.platforms.base import Direction, InteractionAction, InteractionKind
from escalation.models import Priority

# Tenant tables point at shared ones (users, connected accounts) with on_delete=DO_NOTHING:
# Django's delete collector runs in one schema and cannot follow references into every
# client's schema. The database constraint still refuses deleting a referenced row, which is
# what we want: people are deactivated and accounts closed, never deleted from under history.
SHARED_ROW = models.DO_NOTHING


class Contact(models.Model):
    """One platform identity that interacted with the client's accounts."""

    platform = models.CharField(max_length=32, choices=Platform.choices)
    external_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255, blank=True)
    handle = models.CharField(max_length=255, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    follower_count = models.PositiveIntegerField(null=True, blank=True)
    is_verified = models.BooleanField(default=False)
    # Marked by the team: journalists, partners, big accounts. Approval policies can hold
    # replies to them.
    is_vip = models.BooleanField(default=False)
    # What the team should know about the person: "journalist at Die Zeit", "prefers DMs".
    notes = models.TextField(_("notes on this person"), blank=True, max_length=2000)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="contact_unique_platform_identity"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.handle or self.external_id


class Tag(models.Model):
    """A label the team puts on conversations: "order issue", "press", "lead"."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    color = models.CharField(max_length=7, default="#57606a")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A group of the client's members that work can be assigned to: "Support", "Social"."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    members: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    """Explicit, so the reference to the shared user table can be SHARED_ROW too."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in team {self.team_id}"


class ConversationManager(models.Manager["Conversation"]):
    def get_queryset(self) -> models.QuerySet[Conversation]:
        return super().get_queryset().defer("search_document")


class Conversation(models.Model):
    """A thread and the unit of work: one direct-message conversation, one top-level comment
    with its replies, one review. Status, assignee, tags and snooze live here.

    The fields below `status` that describe the latest inbound message are kept current by
    inbox.workflow.refresh_conversation, so the inbox list reads one table per page."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")
        RESOLVED = "resolved", _("Resolved")
        SPAM = "spam", _("Spam")

    platform = models.CharField(max_length=32, choices=Platform.choices)
    # No index of its own: conversation_unique_thread starts with it (one index less to
    # write for every conversation row version ingestion makes).
    connected_account = models.ForeignKey(
        "clients.ConnectedAccount", on_delete=SHARED_ROW, related_name="+", db_index=False
    )
    thread_key = models.CharField(max_length=255)
    # The post, video or media the comments are under (blank for messages and reviews).
    post_external_id = models.CharField(max_length=255, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    kind = models.CharField(max_length=16, choices=InteractionKind.choices, blank=True)
    contact = models.ForeignKey(
        "Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, blank=True, related_name="+"
    )
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    snoozed_until = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField()
    # Of the latest inbound message: what the list shows and filters on. A pointer the
    # list-fields statement keeps (inbox/workflow.py), with no database constraint: checked
    # at every commit it cost PostgreSQL a lookup and a row lock per new conversation (see
    # UNCHECKED_REFERENCES in clients/models.py); Django's collector still sets it to null
    # when the message is deleted.
    latest_inbound = models.ForeignKey(
        "Interaction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    needs_reply = models.BooleanField(default=False)
    sentiment = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # The person asked for a human: automation stays out of this conversation until then.
    automation_paused_until = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # Set by escalation rules (escalation/rules.py): the first time a rule escalated the
    # thread, and the rule that makes every reply in it wait for the client's approval.
    escalated_at = models.DateTimeField(null=True, blank=True)
    approval_required_by = models.CharField(max_length=120, blank=True)
    # Every message's search vector and the person's name, in one document: search asks one
    # table, in the inbox's own order, instead of joining a million messages per page.
    search_document = SearchVectorField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConversationManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connected_account", "thread_key"], name="conversation_unique_thread"
            )
        ]
        indexes = [
            GinIndex(fields=["search_document"], name="conversation_search_idx"),
            # The inbox list: newest inbound first, keyset on (last_inbound_at, id).
            models.Index(
                fields=["-last_inbound_at", "-id"],
                condition=models.Q(last_inbound_at__isnull=False),
                name="conversation_inbox_idx",
            ),
            # The default view, "waiting for us", in either order.
            models.Index(
                fields=["-last_inbound_at", "-id"],
                condition=models.Q(needs_reply=True, status__in=["new", "open"]),
                name="conversation_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform} thread {self.thread_key}"


SEARCH_CONFIGS = {"en": "english", "de": "german", "ru": "russian"}
SEARCH_VECTOR_SQL = (
    "to_tsvector('simple'::regconfig, coalesce(\"text\", '')) || to_tsvector(CASE \"language\" "
    + " ".join(
        f"WHEN '{code}' THEN '{config}'::regconfig" for code, config in SEARCH_CONFIGS.items()
    )
    + " ELSE 'simple'::regconfig END, coalesce(\"text\", ''))"
)


class InteractionManager(models.Manager["Interaction"]):
    def get_queryset(self) -> models.QuerySet[Interaction]:
        # The search vector is for the database's eyes: never fetch it into Python.
        return super().get_queryset().defer("search_vector")


class Interaction(models.Model):
    """One comment, message, mention, review, share, like or follow (platforms.md §8)."""

    platform = models.CharField(max_length=32, choices=Platform.choices)
    # No index: nothing looks messages up by account (the inbox filters conversations), and
    # accounts are closed, never deleted (SHARED_ROW); one index less for every new message.
    # No database constraint either: the account is the conversation's, whose constraint
    # already refuses deleting it from under history (UNCHECKED_REFERENCES in
    # clients/models.py says what the check cost).
    connected_account = models.ForeignKey(
        "clients.ConnectedAccount",
        on_delete=SHARED_ROW,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="interactions"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="interactions"
    )
    kind = models.CharField(max_length=16, choices=InteractionKind.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    external_id = models.CharField(max_length=255)
    parent_external_id = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)
    # [{"type": "image", "url": "https://..."}], as the platform sent them; shown as links.
    attachments = models.JSONField(default=list, blank=True)
    permalink = models.URLField(max_length=1000, blank=True)
    # Reviews: stars (1 to 5) where the platform gives them; Facebook's recommendation.
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    recommendation = models.CharField(max_length=10, blank=True)
    # Likes: the reaction as the platform names it ("like", "love", "haha"...).
    reaction = models.CharField(max_length=16, blank=True)
    occurred_at = models.DateTimeField(help_text=_("When it happened on the platform."))
    # The platform time of the latest lifecycle event applied: older ones arriving late are ignored.
    platform_updated_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    is_hidden = models.BooleanField(default=False)
    is_deleted = models.BooleanField(default=False)
    needs_reply = models.BooleanField(default=False)
    # What the analysis read in the text (inbox/analysis): for filters, rules and reports.
    language = models.CharField(max_length=8, blank=True)
    sentiment = models.CharField(
        max_length=10,
        blank=True,
        choices=[
            ("positive", _("Positive")),
            ("neutral", _("Neutral")),
            ("negative", _("Negative")),
        ],
    )
    sentiment_score = models.FloatField(null=True, blank=True)
    is_spam = models.BooleanField(default=False)
    is_abusive = models.BooleanField(default=False)
    # Full-text search in the message's own language where PostgreSQL has a stemmer for it
    # (english, german, russian), plus word-for-word ('simple') so every language is found,
    # Polish included. Computed by the database: nothing to keep in step. Not indexed:
    # searches read the conversation's search document, which gathers these.
    search_vector = models.GeneratedField(
        expression=RawSQL(SEARCH_VECTOR_SQL, ()),  # noqa: S611 (a constant, no input)
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = InteractionManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="interaction_unique_platform_item"
            )
        ]
        indexes = [
            # A conversation's latest inbound message (inbox.workflow.LIST_FIELDS_SQL), read
            # from one index.
            models.Index(
                fields=["conversation", "-occurred_at"],
                condition=models.Q(direction="inbound"),
                name="interaction_conv_inbound_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"


class InteractionRevision(models.Model):
    """Append-only history of an interaction's lifecycle: edits keep the text they replaced."""

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="revisions")
    action = models.CharField(max_length=16, choices=InteractionAction.choices)
    previous_text = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.action} of interaction {self.interaction_id}"


class Reply(models.Model):
    """Our answer to an interaction. A draft until sent; every transition writes a ReplyEvent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, related_name="+"
    )
    text = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    external_id = models.CharField(max_length=255, blank=True)
    error_message = models.TextField(blank=True)
    # The guideline version that checked the text, and the warnings it raised (as dicts).
    guideline_version = models.PositiveIntegerField(null=True, blank=True)
    guideline_violations = models.JSONField(default=list, blank=True)
    # Why the reply waits for approval (shown to the agent), and when approvers were reminded.
    approval_reasons = models.JSONField(default=list, blank=True)
    approval_reminded_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(
        max_length=255, blank=True, help_text=_("Who approved or rejected: a name or an e-mail.")
    )
    # Sent by automation rather than a person: the rule's name ("maintenance" for the
    # maintenance-mode answer).
    automation_rule = models.CharField(max_length=200, blank=True)
    # Sent to the commenter in Messenger instead of under the comment (a "private reply").
    is_private = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"Reply {self.pk} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in {self.Status.SENT, self.Status.REJECTED, self.Status.FAILED}


class ModerationAction(models.Model):
    """A hide, unhide, delete or block someone asked for, done once on the platform by the
    `inbox.moderate` task (claimed pending -> running before the call, like replies)."""

    class Action(models.TextChoices):
        HIDE = "hide", _("Hide")
        UNHIDE = "unhide", _("Unhide")
        DELETE = "delete", _("Delete")
        BLOCK = "block", _("Block the author")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("In progress")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="moderation_actions"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, related_name="+"
    )
    # The platform's own words when it refused.
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} {self.interaction_id} ({self.status})"


class ConversationEvent(models.Model):
    """Append-only history of the work on a conversation: who changed what, and when."""

    class Verb(models.TextChoices):
        STATUS = "status", _("changed the status")
        ASSIGNED = "assigned", _("assigned")
        TAGGED = "tagged", _("tagged")
        UNTAGGED = "untagged", _("removed a tag")
        SNOOZED = "snoozed", _("snoozed")
        NO_REPLY_NEEDED = "no_reply_needed", _("marked as needing no reply")
        NOTE = "note", _("wrote a note")
        REOPENED = "reopened", _("reopened")
        MODERATED = "moderated", _("moderated on the platform")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    verb = models.CharField(max_length=20, choices=Verb.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, related_name="+"
    )
    # What changed, as plain values: {"from": "open", "to": "resolved"}, {"tag": "press"}...
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.verb} on {self.conversation_id}"


class Note(models.Model):
    """An internal note on a conversation; never sent to the platform."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, related_name="+")
    text = models.TextField()
    mentioned_user_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.conversation_id}"


class SavedView(models.Model):
    """A named set of inbox filters: a person's own, or shared with the client's team."""

    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=1000)
    # None: shared with everyone working on the client.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ReplyEvent(models.Model):
    """Append-only: who moved a reply from which state to which, and why."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=Reply.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Reply.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, related_name="+"
    )
    # A client stakeholder deciding through an e-mailed link has no account: their address.
    actor_email = models.EmailField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Reply {self.reply_id}: {self.from_status or '-'} -> {self.to_status}"


class ApprovalPolicy(models.Model):
    """Which replies the client approves before they go out (one row per client schema)."""

    class Mode(models.TextChoices):
        NONE = "none", _("No approval")
        ALL = "all", _("Every reply")
        FLAGGED = "flagged", _("Only flagged replies")

    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.NONE)
    # With mode=flagged: replies that raised guideline warnings, or contain these words.
    flag_guideline_warnings = models.BooleanField(default=True)
    flag_vip_contacts = models.BooleanField(default=True)
    flag_negative_sentiment = models.BooleanField(default=True)
    flag_escalated = models.BooleanField(default=True)
    flag_keywords = models.JSONField(default=list, blank=True)
    # Stakeholders without a seat who receive approval links, besides members with the
    # approver role.
    approver_emails = models.JSONField(default=list, blank=True)
    remind_after_minutes = models.PositiveIntegerField(default=60)
    link_valid_hours = models.PositiveIntegerField(default=72)

    class Meta:
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return f"Approval: {self.mode}"


class SavedReply(SavedReplyFields):
    """One client's saved reply (tenant schema)."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=SHARED_ROW, null=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "saved replies"


class AutoReplyRule(models.Model):
    """Answer public messages that contain a keyword, automatically. First match wins."""

    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(default=0)
    keywords = models.JSONField(default=list, help_text=_("Any of these words, any language."))
    kinds = models.JSONField(default=list, help_text=_("Interaction kinds it answers."))
    response = models.TextField(
        _("reply"), help_text=_("Saved-reply variables work here, e.g. {contact.first_name}.")
    )
    reply_privately = models.BooleanField(
        _("answer privately"), default=False, help_text=_("In Messenger, not under the comment.")
    )

    class When(models.TextChoices):
        ALWAYS = "always", _("Always")
        OUTSIDE_BUSINESS_HOURS = "outside", _("Outside business hours")
        WITHIN_BUSINESS_HOURS = "within", _("Within business hours")

    active_when = models.CharField(
        _("when"), max_length=8, choices=When.choices, default=When.ALWAYS
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AutomationEvent(models.Model):
    """Append-only: what automation did with an interaction, and why."""

    class Outcome(models.TextChoices):
        REPLIED = "replied", _("Replied")
        RATE_LIMITED = "rate_limited", _("Skipped: already answered this person recently")
        HANDED_OFF = "handed_off", _("Handed to a person: they asked for one")
        BLOCKED = "blocked", _("Skipped: the guideline blocks the text")

    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, related_name="automation_events"
    )
    rule = models.CharField(max_length=200)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    detail = models.TextField(blank=True)
    reply = models.ForeignKey(Reply, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Automation looks at an interaction once, however often its task runs.
            models.UniqueConstraint(fields=["interaction"], name="automation_event_unique")
        ]

    def __str__(self) -> str:
        return f"{self.rule}: {self.outcome}"
