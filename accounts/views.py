"""Pages of the signed-in person, outside any client."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Notification
from clients.http import AuthenticatedRequest

NOTIFICATIONS_SHOWN = 100


@login_required
def notifications(request: AuthenticatedRequest) -> HttpResponse:
    """Mentions and assignments, newest first, across every client."""
    items = list(
        Notification.objects.filter(user=request.user)
        .select_related("client")
        .order_by("-created_at", "-id")[:NOTIFICATIONS_SHOWN]
    )
    return render(request, "accounts/notifications.html", {"notifications": items})


@login_required
@require_POST
def notifications_read(request: AuthenticatedRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("notifications")
