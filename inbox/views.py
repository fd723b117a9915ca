"""The inbox pages of one client. Middleware has resolved request.client and client_role."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Capability, role_allows
from clients.http import ClientRequest
from guidelines.checker import highlight_segments
from inbox import selectors, services
from inbox.forms import ReplyForm
from inbox.models import Interaction


def _parse_cursor(raw: str | None) -> tuple[dt.datetime, int] | None:
    """`<iso time>|<id>` of the last row seen; anything else starts from the top."""
    if not raw or "|" not in raw:
        return None
    when, _sep, pk = raw.rpartition("|")
    parsed = parse_datetime(when)
    if parsed is None or not pk.isdigit():
        return None
    return parsed, int(pk)


def interaction_list(request: ClientRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    interactions = selectors.list_inbound_interactions(
        role=request.client_role,
        before=_parse_cursor(request.GET.get("before")),
        needs_reply_only=not show_all,
    )
    next_cursor = None
    if len(interactions) == selectors.INBOX_PAGE_SIZE:
        last = interactions[-1]
        next_cursor = f"{last.occurred_at.isoformat()}|{last.pk}"
    return render(
        request,
        "inbox/interaction_list.html",
        {"interactions": interactions, "next_cursor": next_cursor, "show_all": show_all},
    )


def interaction_detail(request: ClientRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    return _render_detail(request, interaction, ReplyForm())


def _render_detail(
    request: ClientRequest, interaction: Interaction, form: ReplyForm, status: int = 200
) -> HttpResponse:
    context = {
        "interaction": interaction,
        "thread": selectors.list_thread(interaction=interaction),
        "escalations": selectors.list_escalations(interaction=interaction),
        "form": form,
        "can_reply": role_allows(request.client_role, Capability.REPLY)
        and interaction.kind in services.REPLYABLE_KINDS,
        "can_reply_privately": interaction.platform in services.PRIVATE_REPLY_PLATFORMS,
    }
    template = "inbox/interaction_detail.html"
    if request.htmx:
        template += "#thread"
    return render(request, template, context, status=status)


@require_POST
def reply_create(request: ClientRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    if not role_allows(request.client_role, Capability.REPLY):
        raise PermissionDenied
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.create_reply(
                interaction=interaction,
                author=request.user,
                text=form.cleaned_data["text"],
                private=form.cleaned_data["private"],
            )
        except services.ReplyNotAllowed as error:
            form.add_error("text", str(error))
    if not form.is_valid():
        # htmx swaps only 2xx answers: the partial with the errors comes back as 200 to it.
        return _render_detail(request, interaction, form, status=200 if request.htmx else 422)
    if request.htmx:
        return _render_detail(request, interaction, ReplyForm())
    messages.success(request, _("Reply queued for sending."))
    return redirect("inbox:detail", interaction_id=interaction.pk)


@require_POST
def reply_check(request: ClientRequest, interaction_id: int) -> HttpResponse:
    """The composer's live check: the draft against the guideline, as the agent types."""
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    text = request.POST.get("text", "")[: services.MAX_REPLY_LENGTH * 2]
    version, result = services.check_reply_text(
        interaction=interaction, text=text, private=request.POST.get("private") == "on"
    )
    return render(
        request,
        "inbox/interaction_detail.html#reply-check",
        {
            "check": result,
            "guideline_version": version,
            "segments": highlight_segments(text, result.violations),
        },
    )


def reply_status(request: ClientRequest, reply_id: int) -> HttpResponse:
    """The status badge of one reply; polled by the page until the reply reaches a final state."""
    reply = selectors.get_reply(role=request.client_role, reply_id=reply_id)
    return render(request, "inbox/interaction_detail.html#reply-status", {"reply": reply})


@require_POST
def contact_vip(request: ClientRequest, interaction_id: int) -> HttpResponse:
    """Mark or unmark the person behind an interaction as a VIP."""
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    if not role_allows(request.client_role, Capability.REPLY) or interaction.contact is None:
        raise PermissionDenied
    services.set_contact_vip(contact=interaction.contact, is_vip=request.POST.get("is_vip") == "on")
    return redirect("inbox:detail", interaction_id=interaction.pk)
