from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Notification
from accounts.selectors import list_clients_for_request


def client_switcher(request: HttpRequest) -> dict[str, Any]:
    """The clients for the switcher in the page header, and the current one if any."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        # Lazy: read only if the page shows them (htmx partials do not).
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user, read_at__isnull=True).count()
        ),
        "switcher_clients": SimpleLazyObject(lambda: list_clients_for_request(request)),
        "current_client": getattr(request, "client", None),
        "current_client_role": getattr(request, "client_role", None),
    }
