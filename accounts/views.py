"""Pages of the signed-in person, outside any client."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import PreferencesForm
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


@login_required
def preferences(request: AuthenticatedRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        with translation.override(user.language):
            messages.success(request, _("Your preferences are saved."))
        return redirect("preferences")
    return render(
        request, "accounts/preferences.html", {"form": form}, status=422 if form.errors else 200
    )
