from __future__ import annotations

from celery import shared_task

from escalation import notifications


@shared_task(
    name="escalation.notify",
    queue="outbound",
    soft_time_limit=60,
    time_limit=90,
    autoretry_for=(OSError,),
    retry_backoff=10,
    max_retries=5,
)
def notify_escalation_task(event_id: int) -> None:
    """Runs in the client's schema (tenant header). SMTP trouble retries with backoff."""
    notifications.notify_escalation(event_id=event_id)
