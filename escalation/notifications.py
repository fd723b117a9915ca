"""E-mails about escalations, in the client's language (its team reads the brand's language)."""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clients.http import absolute_client_url
from clients.models import Client
from escalation.models import EscalationEvent


def notify_escalation(*, event_id: int) -> None:
    """Send the e-mail of one escalation event. Call inside the client's schema."""
    event = (
        EscalationEvent.objects.select_related("interaction__contact").filter(pk=event_id).first()
    )
    client = getattr(connection, "tenant", None)
    if event is None or not event.notified or not isinstance(client, Client):
        return
    claimed = EscalationEvent.objects.filter(pk=event.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return
    try:
        _send(client, event)
    except OSError:
        # Unclaim so the task's retry sends it.
        EscalationEvent.objects.filter(pk=event.pk).update(notified_at=None)
        raise


def _send(client: Client, event: EscalationEvent) -> None:
    interaction = event.interaction
    with translation.override(client.default_language):
        send_mail(
            subject=_("%(client)s: escalated by “%(rule)s”")
            % {"client": client.name, "rule": event.rule_name},
            message=_(
                "%(who)s wrote on %(platform)s:\n%(text)s\n\n"
                "The rule “%(rule)s” escalated it.\n\n"
                "Open the conversation:\n%(url)s\n"
            )
            % {
                "who": interaction.contact or _("Someone"),
                "platform": interaction.get_platform_display(),
                "text": interaction.text,
                "rule": event.rule_name,
                "url": absolute_client_url(client, "inbox:detail", interaction_id=interaction.pk),
            }
            + (
                _("Priority: %(priority)s") % {"priority": event.get_priority_display()} + "\n"
                if event.priority
                else ""
            ),
            from_email=None,
            recipient_list=event.notified,
        )
