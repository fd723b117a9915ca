from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

if TYPE_CHECKING:
    from accounts.models import Agency


class Platform(models.TextChoices):
    FACEBOOK = "facebook", "Facebook"
    MESSENGER = "messenger", "Messenger"
    INSTAGRAM = "instagram", "Instagram"
    X = "x", "X"
    GOOGLE_BUSINESS = "google_business", "Google Business Profile"
    YOUTUBE = "youtube", "YouTube"
    LINKEDIN = "linkedin", "LinkedIn"
    TIKTOK = "tiktok", "TikTok"


class Client(TenantMixin):
    """An agency's client (a brand): one PostgreSQL schema holds its inbox and its work.

    TenantMixin ships without type information, so the fields are annotated by hand."""

    slug: models.SlugField[str, str] = models.SlugField(
        unique=True, help_text=_("Appears in URLs: /clients/<slug>/")
    )
    name: models.CharField[str, str] = models.CharField(_("name"), max_length=200)
    agency: models.ForeignKey[Agency | None, Agency | None] = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="clients", null=True
    )
    default_language: models.CharField[str, str] = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone: models.CharField[str, str] = models.CharField(
        _("time zone"), max_length=64, default="UTC"
    )
    is_active: models.BooleanField[bool, bool] = models.BooleanField(default=True)
    created_at: models.DateTimeField[dt.datetime, dt.datetime] = models.DateTimeField(
        auto_now_add=True
    )

    auto_create_schema = True

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """With subfolder routing, `domain` holds the client's slug (the path segment)."""

    def __str__(self) -> str:
        return self.domain


class ConnectedAccount(models.Model):
    """One platform account (a Facebook Page, an Instagram account...) connected to a client."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MAINTENANCE = "maintenance", _("Maintenance")
        CLOSED = "closed", _("Closed")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="connected_accounts")
    platform = models.CharField(max_length=32, choices=Platform.choices)
    external_account_id = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    access_token_encrypted = models.TextField(blank=True)
    # From the OAuth flow: the access token is refreshed before it expires (a beat task).
    refresh_token_encrypted = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # In maintenance, every new message gets this answer: the channel is not watched, and
    # where to go instead.
    maintenance_message = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    # Polling platforms: where the next poll starts (each connector's own keys), and when a
    # poll last succeeded (shown to managers).
    sync_cursor = models.JSONField(default=dict, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A platform account belongs to exactly one client: routing depends on it.
            models.UniqueConstraint(
                fields=["platform", "external_account_id"],
                name="connected_account_unique_platform_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_platform_display()} {self.name}"


# References ingestion writes with no database constraint: PostgreSQL checks a foreign key of
# every inserted row at the commit, a lookup and a row lock of the referenced row each, and
# these four came to about 11 microseconds of PostgreSQL per event (bench/ingest.py
# --processing-only: 25 to 14.5 us per event at the commit). Each is a copy or a record whose
# integrity does not rest on the constraint: an interaction's account is its conversation's
# (whose constraint stays), a conversation's latest message is a pointer the list-fields
# statement keeps, an event's client is where routing sent it, and a work item mirrors a
# conversation in another schema, which no constraint can reach anyway. Django's collector
# still applies their on_delete. The references that hold the inbox together (a message's
# conversation and person, a conversation's person and account) keep their constraints.
UNCHECKED_REFERENCES = (
    "inbox.Interaction.connected_account",
    "inbox.Conversation.latest_inbound",
    "clients.InboundEvent.client",
    "clients.WorkItem.client",
)


class InboundEvent(models.Model):
    """One event of a platform delivery (webhook or poll), stored before anything else happens.

    Acknowledged means stored: the webhook answers 200 only after this row is committed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        SKIPPED = "skipped", _("Skipped")
        UNROUTABLE = "unroutable", _("Unroutable")
        FAILED = "failed", _("Failed")

    platform = models.CharField(max_length=32, choices=Platform.choices)
    account_external_id = models.CharField(max_length=255)
    dedupe_key = models.CharField(max_length=512)
    payload = models.JSONField()
    # Not indexed as a whole: an event stored pending (by the Django views, the pollers, or
    # for a fetch) is written once and updated once, and each index costs both writes; the
    # two partial indexes below serve the only lookups by status. The webhook receiver's
    # events are stored as they end (`services.process_inbound_deliveries`).
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Unknown when a pending event is stored (routing happens in processing): indexed only
    # once known, so storing it writes one index entry less (inbound_event_client_idx). A
    # record of where routing sent the event, unchecked by the database
    # (UNCHECKED_REFERENCES); deleting a client sets it to null through Django.
    client = models.ForeignKey(
        Client,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "account_external_id", "dedupe_key"],
                name="inbound_event_unique_delivery",
            )
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=models.Q(status="pending"),
                name="inbound_event_pending_idx",
            ),
            models.Index(
                fields=["client"],
                condition=models.Q(client__isnull=False),
                name="inbound_event_client_idx",
            ),
            # What operators look at and replay (clients.views.inbound_event_list).
            models.Index(
                models.F("received_at").desc(),
                condition=models.Q(status__in=["failed", "unroutable"]),
                name="inbound_event_parked_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.account_external_id}:{self.dedupe_key} ({self.status})"


class InboundDelivery(models.Model):
    """Webhook deliveries the receiver acknowledged, waiting to become InboundEvents.

    The webhook receiver (clients/webhooks/receiver.py) checks and splits every delivery
    before answering, as the Django views do, but stores the events of the deliveries of one
    group commit as a single row: their STORE_INBOUND_SQL document, as text. Storing every
    event as a row cost PostgreSQL its batched-insert floor per event (20 to 40 us on the
    2-core machines bench/ingest.py ran on), more CPU per delivery than everything else on
    the acknowledgement's path; one row of text per commit costs a small fraction of it. A
    worker then turns rows into InboundEvents with one statement that also deletes them:
    an event is in exactly one of the two tables at any moment, and nothing is lost between
    them. Usually the events are routed first and stored already processed, in the
    transaction that ingests them (`services.process_inbound_deliveries`); if that fails,
    they are stored pending (`services.split_inbound_deliveries`) and processed one by one.

    A row that cannot be split (PostgreSQL refuses its document) keeps its `last_error` and
    waits for an operator (clients.views.inbound_event_list), never silently dropped."""

    # The events document (`services.inbound_rows`): parsed by PostgreSQL only when split.
    events = models.TextField()
    event_count = models.PositiveIntegerField()
    received_at = models.DateTimeField(auto_now_add=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "inbound deliveries"

    def __str__(self) -> str:
        return f"{self.event_count} events received {self.received_at:%Y-%m-%d %H:%M:%S}"


class ApprovalLink(models.Model):
    """A single-use, expiring link that lets one person decide on one reply by e-mail.

    Shared (public schema): the link is looked up before we know which client it belongs to.
    Only a hash of the token is stored; the token itself is signed (django.core.signing)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    reply_id = models.PositiveBigIntegerField(help_text=_("Reply in the client's schema."))
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Approval link for reply {self.reply_id} of client {self.client_id} ({self.email})"


class SavedReplyFields(models.Model):
    """What a saved reply is, whether it belongs to one client or to the whole agency."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=100, blank=True)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: any language."),
    )
    body = models.TextField(
        _("text"),
        help_text=_(
            "Variables: {contact.first_name}, {contact.name}, {agent.first_name}, "
            "{agent.name}, {client.name}. [[order number]] asks the agent to fill it in."
        ),
    )
    usage_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


class AgencySavedReply(SavedReplyFields):
    """Shared by every client of an agency (public schema)."""

    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.CASCADE, related_name="saved_replies"
    )

    class Meta:
        verbose_name_plural = "agency saved replies"


class WorkItem(models.Model):
    """The agency-wide queue's index (public schema): one row per open conversation of every
    client, written in the same transaction as the conversation (inbox/workflow.py).

    The agency queue reads only this table; it never visits the clients' schemas."""

    # No index of its own: work_item_one_per_conversation and work_item_client_status_idx
    # start with it. Unchecked by the database, like conversation_id (UNCHECKED_REFERENCES);
    # deleting a client deletes its rows through Django.
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    conversation_id = models.PositiveBigIntegerField()
    interaction_id = models.PositiveBigIntegerField(
        null=True, help_text=_("The latest inbound interaction, which the queue links to.")
    )
    status = models.CharField(max_length=16)
    priority = models.CharField(max_length=10)
    priority_rank = models.PositiveSmallIntegerField()
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    needs_reply = models.BooleanField()
    platform = models.CharField(max_length=32, choices=Platform.choices)
    kind = models.CharField(max_length=16, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    language = models.CharField(max_length=8, blank=True)
    contact_name = models.CharField(max_length=255, blank=True)
    snippet = models.CharField(max_length=280, blank=True)
    last_inbound_at = models.DateTimeField(null=True)
    # Set by the SLA clock (escalation/); the queue orders by it, then by age.
    sla_due_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    escalated = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "conversation_id"], name="work_item_one_per_conversation"
            )
        ]
        indexes = [
            models.Index(
                models.F("sla_due_at").asc(nulls_last=True),
                "last_inbound_at",
                "id",
                name="work_item_queue_idx",
            ),
            models.Index(fields=["client", "status"], name="work_item_client_status_idx"),
            # The queue's per-client counts of what waits: answered from the index alone.
            models.Index(
                fields=["client", "snoozed_until"],
                condition=models.Q(status__in=["new", "open"], needs_reply=True),
                name="work_item_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Work item {self.client_id}:{self.conversation_id}"
