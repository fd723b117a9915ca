"""Client approval of replies: the policy, requests by e-mail, decisions in the app or by link.

Call inside the client's schema, except `resolve_approval_link`, which finds the client."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import partial

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, User
from accounts.roles import ClientRole
from clients.models import ApprovalLink, Client
from guidelines.checker import CheckResult, find_phrase
from inbox.models import ApprovalPolicy, Reply
from inbox.transitions import transition_reply

_LINK_SALT = "parley.approval-link"


class ApprovalRefused(ValueError):
    """The decision cannot be taken; the message says why."""


def get_approval_policy() -> ApprovalPolicy:
    policy, _created = ApprovalPolicy.objects.get_or_create(pk=1)
    return policy


def approval_reasons(
    *,
    policy: ApprovalPolicy,
    result: CheckResult,
    text: str,
    is_vip: bool = False,
    is_negative: bool = False,
    is_escalated: bool = False,
    required_by_rule: str = "",
) -> list[str]:
    """Why `text` must be approved under `policy`; empty means it may go out directly.

    Phrases the guideline marks as needing approval, and escalation rules that require it,
    always count, whatever the mode."""
    reasons = [v.message for v in result.violations if v.rule == "approval_phrase"]
    if required_by_rule:
        reasons.append(
            _("The escalation rule “%(rule)s” requires approval.") % {"rule": required_by_rule}
        )
    if policy.mode == ApprovalPolicy.Mode.ALL:
        reasons.insert(0, _("The client approves every reply."))
    elif policy.mode == ApprovalPolicy.Mode.FLAGGED:
        if policy.flag_guideline_warnings and any(
            v.rule != "approval_phrase" for v in result.warnings
        ):
            reasons.append(_("The reply raised guideline warnings."))
        if policy.flag_vip_contacts and is_vip:
            reasons.append(_("The reply goes to a VIP."))
        if policy.flag_negative_sentiment and is_negative:
            reasons.append(_("The person is unhappy (negative sentiment)."))
        if policy.flag_escalated and is_escalated:
            reasons.append(_("The conversation was escalated."))
        for keyword in policy.flag_keywords:
            if find_phrase(text, [keyword]):
                reasons.append(_("Mentions “%(keyword)s”.") % {"keyword": keyword})
    return reasons


def approver_emails(*, policy: ApprovalPolicy, client: Client) -> list[str]:
    members = Membership.objects.filter(
        client=client, role=ClientRole.APPROVER, user__is_active=True
    ).values_list("user__email", flat=True)
    return sorted({*members, *(e.lower() for e in policy.approver_emails)})


def request_approval(*, reply: Reply, reasons: list[str], actor: User | None) -> None:
    """pending_approval, with a single-use link e-mailed to every approver (after commit)."""

    client = _current_client()
    transition_reply(
        reply,
        Reply.Status.DRAFT,
        Reply.Status.PENDING_APPROVAL,
        actor=actor,
        note=" ".join(reasons),
        approval_reasons=reasons,
    )
    policy = get_approval_policy()
    for email in approver_emails(policy=policy, client=client):
        token = create_approval_link(
            client=client, reply=reply, email=email, valid_hours=policy.link_valid_hours
        )
        transaction.on_commit(
            partial(_send_approval_email, client=client, reply=reply, email=email, token=token)
        )


def create_approval_link(*, client: Client, reply: Reply, email: str, valid_hours: int) -> str:
    """Store a link and return its token (signed; only its hash is kept)."""
    link = ApprovalLink.objects.create(
        client=client,
        reply_id=reply.pk,
        email=email,
        token_hash="pending-" + secrets.token_hex(24),
        expires_at=timezone.now() + dt.timedelta(hours=valid_hours),
    )
    token = signing.dumps(
        {"link": link.pk, "nonce": secrets.token_urlsafe(12)}, salt=_LINK_SALT, compress=True
    )
    ApprovalLink.objects.filter(pk=link.pk).update(token_hash=_hash(token))
    return token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def approval_url(*, client: Client, token: str) -> str:
    return f"{settings.PARLEY_BASE_URL.rstrip('/')}/approvals/{client.slug}/{token}/"


def _send_approval_email(*, client: Client, reply: Reply, email: str, token: str) -> None:
    """In the client's language: stakeholders read their brand's language, not the agent's."""
    with translation.override(client.default_language):
        _compose_and_send_approval_email(client=client, reply=reply, email=email, token=token)


def _compose_and_send_approval_email(
    *, client: Client, reply: Reply, email: str, token: str
) -> None:
    interaction = reply.interaction
    author = reply.author.display_name if reply.author else _("An agent")
    send_mail(
        subject=_("%(client)s: a reply waits for your approval") % {"client": client.name},
        message=_(
            "%(author)s wrote a reply for %(client)s.\n\n"
            "They answer:\n%(original)s\n\n"
            "The reply:\n%(reply)s\n\n"
            "Why it needs approval: %(reasons)s\n\n"
            "Approve, edit or reject it here (the link works once):\n%(url)s\n"
        )
        % {
            "author": author,
            "client": client.name,
            "original": interaction.text,
            "reply": reply.text,
            "reasons": " ".join(reply.approval_reasons),
            "url": approval_url(client=client, token=token),
        },
        from_email=None,
        recipient_list=[email],
    )


def _current_client() -> Client:
    client = getattr(connection, "tenant", None)
    if not isinstance(client, Client):
        raise RuntimeError("Approvals run inside a client's schema.")
    return client


# --- Decisions ---------------------------------------------------------------------------


def approve_reply(
    *, reply: Reply, actor: User | None, actor_email: str = "", edited_text: str | None = None
) -> Reply:
    """pending_approval -> approved (and send), optionally with the approver's edit.

    An edited text is checked again; a blocked one raises ApprovalRefused and nothing changes.
    Raises ApprovalRefused when the reply was decided meanwhile."""
    from inbox.services import check_reply_text
    from inbox.tasks import send_reply_task

    with transaction.atomic():
        fields: dict[str, object] = {}
        note = ""
        if edited_text is not None and edited_text.strip() != reply.text:
            edited_text = edited_text.strip()
            version, result = check_reply_text(
                interaction=reply.interaction, text=edited_text, private=reply.is_private
            )
            if result.is_blocked or not edited_text:
                raise ApprovalRefused(result.blocking_message or _("The reply cannot be empty."))
            fields = {
                "text": edited_text,
                "guideline_version": version,
                "guideline_violations": [v.as_dict() for v in result.violations],
            }
            note = _("Edited before approval.")
        if not transition_reply(
            reply,
            Reply.Status.PENDING_APPROVAL,
            Reply.Status.APPROVED,
            actor=actor,
            actor_email=actor_email,
            note=note,
            decided_by=_decider(actor, actor_email),
            **fields,
        ):
            raise ApprovalRefused(_("This reply was already decided."))
        send_reply_task.delay_on_commit(reply.pk)
    return reply


def reject_reply(*, reply: Reply, actor: User | None, note: str, actor_email: str = "") -> Reply:
    if not transition_reply(
        reply,
        Reply.Status.PENDING_APPROVAL,
        Reply.Status.REJECTED,
        actor=actor,
        actor_email=actor_email,
        note=note.strip(),
        error_message=note.strip(),
        decided_by=_decider(actor, actor_email),
    ):
        raise ApprovalRefused(_("This reply was already decided."))
    return reply


def _decider(actor: User | None, actor_email: str) -> str:
    return actor.display_name if actor is not None else actor_email


# --- Links -------------------------------------------------------------------------------


class LinkUnusable(ValueError):
    """The link cannot be used; `reason` is one of: invalid, expired, used."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def resolve_approval_link(*, client_slug: str, token: str) -> ApprovalLink:
    """The link behind `token`, if it is genuine, for this client, unexpired and unused.

    Raises LinkUnusable otherwise. Reading a link never uses it up: mail scanners open links."""
    try:
        payload = signing.loads(token, salt=_LINK_SALT)
    except signing.BadSignature:
        raise LinkUnusable("invalid") from None
    link_id = payload.get("link") if isinstance(payload, dict) else None
    if not isinstance(link_id, int):
        raise LinkUnusable("invalid")
    link = ApprovalLink.objects.select_related("client").filter(pk=link_id).first()
    if link is None or link.token_hash != _hash(token) or link.client.slug != client_slug:
        raise LinkUnusable("invalid")
    if link.used_at is not None:
        raise LinkUnusable("used")
    if link.expires_at <= timezone.now():
        raise LinkUnusable("expired")
    return link


def decide_by_link(
    *, link: ApprovalLink, approve: bool, note: str = "", edited_text: str | None = None
) -> Reply:
    """Use the link once and take its decision, in one transaction (inside the client's
    schema). A reply decided meanwhile leaves the link unused."""
    with transaction.atomic():
        used = ApprovalLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not used:
            raise LinkUnusable("used")
        reply = (
            Reply.objects.select_related("interaction", "author").filter(pk=link.reply_id).first()
        )
        if reply is None:
            raise LinkUnusable("invalid")
        if approve:
            return approve_reply(
                reply=reply, actor=None, actor_email=link.email, edited_text=edited_text
            )
        return reject_reply(reply=reply, actor=None, actor_email=link.email, note=note)


# --- Reminders ---------------------------------------------------------------------------


def remind_pending_approvals(*, now: dt.datetime | None = None) -> int:
    """E-mail approvers again about replies waiting longer than the policy allows (once per
    reply). Returns how many replies were reminded about."""
    now = now or timezone.now()
    policy = get_approval_policy()
    cutoff = now - dt.timedelta(minutes=policy.remind_after_minutes)
    waiting = Reply.objects.filter(
        status=Reply.Status.PENDING_APPROVAL,
        created_at__lt=cutoff,
        approval_reminded_at__isnull=True,
    ).select_related("interaction", "author")
    client = _current_client()
    reminded = 0
    for reply in waiting:
        with transaction.atomic():
            claimed = Reply.objects.filter(pk=reply.pk, approval_reminded_at__isnull=True).update(
                approval_reminded_at=now
            )
            if not claimed:
                continue
            for email in approver_emails(policy=policy, client=client):
                token = create_approval_link(
                    client=client, reply=reply, email=email, valid_hours=policy.link_valid_hours
                )
                transaction.on_commit(
                    partial(
                        _send_approval_email, client=client, reply=reply, email=email, token=token
                    )
                )
            reminded += 1
    return reminded


def list_pending_approvals() -> list[Reply]:
    return list(
        Reply.objects.filter(status=Reply.Status.PENDING_APPROVAL)
        .select_related("interaction__contact", "author")
        .order_by("created_at")
    )
