"""Agency-level pages (public schema): the home page, creating clients, stuck deliveries."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import Agency
from accounts.selectors import (
    list_agencies_managed_by,
    list_clients_for_request,
)
from clients.forms import AgencySavedReplyForm, ClientForm
from clients.http import AuthenticatedRequest
from clients.models import AgencySavedReply, InboundDelivery, InboundEvent
from clients.queue import QueueFilterForm, list_queue
from clients.services import (
    ClientSlugTaken,
    create_client,
    replay_inbound_deliveries,
    replay_inbound_events,
)
from config.views import page_not_found


@login_required
def agency_home(request: AuthenticatedRequest) -> HttpResponse:
    """The agency-wide queue of every client the person may open, with per-client counts."""
    clients = list_clients_for_request(request)
    form = QueueFilterForm(request.GET, clients=clients)
    page = list_queue(
        clients=clients,
        filters=form.filters(),
        user_id=request.user.pk,
        cursor=request.GET.get("after", ""),
    )
    context = {
        "clients": clients,
        "form": form,
        "page": page,
        "filter_query": form.query_string(),
    }
    if request.htmx.target == "queue":
        return render(request, "clients/agency_home.html#queue", context)
    context["can_create_client"] = list_agencies_managed_by(user=request.user).exists()
    return render(request, "clients/agency_home.html", context)


@login_required
def client_create(request: AuthenticatedRequest) -> HttpResponse:
    agencies = _managed_agencies(request)
    if not agencies.exists():
        return page_not_found(request)
    form = ClientForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            client = create_client(
                agency=form.cleaned_data["agency"],
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                default_language=form.cleaned_data["default_language"],
                time_zone=form.cleaned_data["time_zone"],
            )
        except ClientSlugTaken:
            form.add_error("slug", _("This short name is already in use."))
        else:
            messages.success(request, _("Client “%(name)s” created.") % {"name": client.name})
            return redirect("agency-home")
    return render(request, "clients/client_form.html", {"form": form})


@login_required
def inbound_event_list(request: AuthenticatedRequest) -> HttpResponse:
    """Deliveries no client could take (unroutable) or that kept failing: for operators."""
    if not request.user.is_staff:
        return page_not_found(request)
    events = InboundEvent.objects.filter(
        status__in=[InboundEvent.Status.UNROUTABLE, InboundEvent.Status.FAILED]
    ).order_by("-received_at")[:200]
    deliveries = InboundDelivery.objects.exclude(last_error="").order_by("-received_at")[:200]
    return render(
        request,
        "clients/inbound_event_list.html",
        {"events": events, "deliveries": deliveries},
    )


@require_POST
@login_required
def inbound_event_replay(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    return _replay(request, lambda: replay_inbound_events(event_ids=[event_id]), one=True)


@require_POST
@login_required
def inbound_delivery_replay(request: AuthenticatedRequest, delivery_id: int) -> HttpResponse:
    return _replay(request, lambda: replay_inbound_deliveries(delivery_ids=[delivery_id]), one=True)


@require_POST
@login_required
def inbound_event_replay_all(request: AuthenticatedRequest) -> HttpResponse:
    return _replay(
        request,
        lambda: replay_inbound_events(event_ids=None)
        + replay_inbound_deliveries(delivery_ids=None),
        one=False,
    )


def _replay(request: AuthenticatedRequest, replay: Callable[[], int], *, one: bool) -> HttpResponse:
    """Staff only; replaying one that is not parked (or not there) is a 404."""
    if not request.user.is_staff:
        return page_not_found(request)
    replayed = replay()
    if one and not replayed:
        return page_not_found(request)
    messages.success(
        request,
        ngettext(
            "%(count)d delivery is queued again.",
            "%(count)d deliveries are queued again.",
            replayed,
        )
        % {"count": replayed},
    )
    return redirect("inbound-event-list")


def _managed_agencies(request: AuthenticatedRequest) -> QuerySet[Agency]:
    return Agency.objects.filter(
        pk__in=list_agencies_managed_by(user=request.user).values("agency_id")
    ).order_by("name")


@login_required
def agency_saved_replies(request: AuthenticatedRequest) -> HttpResponse:
    """Saved replies every client of the agency can use; kept by owners and admins."""
    agencies = _managed_agencies(request)
    if not agencies.exists():
        return page_not_found(request)
    form = AgencySavedReplyForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Saved reply “%(title)s” added.") % {"title": saved.title})
        return redirect("agency-saved-replies")
    return render(
        request,
        "clients/agency_saved_replies.html",
        {
            "form": form,
            "saved_replies": AgencySavedReply.objects.filter(agency__in=agencies)
            .select_related("agency")
            .order_by("agency__name", "title"),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def agency_saved_reply_delete(request: AuthenticatedRequest, saved_reply_id: int) -> HttpResponse:
    deleted, _rows = AgencySavedReply.objects.filter(
        pk=saved_reply_id, agency__in=_managed_agencies(request)
    ).delete()
    if not deleted:
        return page_not_found(request)
    messages.success(request, _("Saved reply deleted."))
    return redirect("agency-saved-replies")
