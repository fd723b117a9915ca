from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.selectors import list_clients_for_request


def client_switcher(request: HttpRequest) -> dict[str, Any]:
    """The clients for the switcher in the page header, and the current one if any."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "switcher_clients": list_clients_for_request(request),
        "current_client": getattr(request, "client", None),
        "current_client_role": getattr(request, "client_role", None),
    }
