"""Saved replies of one client: the composer's picker, and the page to keep them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import ModelForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Capability, role_allows
from clients.http import ClientRequest
from inbox import saved_replies, selectors
from inbox.analysis import LANGUAGES
from inbox.models import SavedReply


class SavedReplyForm(ModelForm):
    class Meta:
        model = SavedReply
        fields = ["title", "category", "language", "body"]


def saved_reply_picker(request: ClientRequest) -> HttpResponse:
    """The composer's list of matches (htmx): saved replies in the language of the message
    being answered (as the analysis read it; the client's language otherwise), and those
    written for any language."""
    interaction_id = request.GET.get("interaction", "")
    language = request.client.default_language
    if interaction_id.isdigit():
        interaction = selectors.get_interaction(
            role=request.client_role, interaction_id=int(interaction_id)
        )
        language = interaction.language if interaction.language in LANGUAGES else language
    choices = saved_replies.list_saved_replies(
        client=request.client, query=request.GET.get("q", "")[:200], language=language
    )
    return render(
        request,
        "inbox/saved_replies.html#picker",
        {"choices": choices, "interaction_id": request.GET.get("interaction", "")},
    )


@require_POST
def saved_reply_use(request: ClientRequest, kind: str, saved_reply_id: int) -> HttpResponse:
    """The saved reply filled in for the conversation, as plain text for the composer."""
    if not role_allows(request.client_role, Capability.REPLY):
        raise PermissionDenied
    interaction_id = request.POST.get("interaction", "")
    if not interaction_id.isdigit():
        raise Http404
    interaction = selectors.get_interaction(
        role=request.client_role, interaction_id=int(interaction_id)
    )
    text = saved_replies.use_saved_reply(
        kind=kind,
        saved_reply_id=saved_reply_id,
        interaction=interaction,
        agent=request.user,
        client=request.client,
    )
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


def saved_reply_list(request: ClientRequest) -> HttpResponse:
    can_edit = role_allows(request.client_role, Capability.REPLY)
    form = SavedReplyForm(request.POST or None)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        if form.is_valid():
            saved = form.save(commit=False)
            saved.created_by = request.user
            saved.save()
            messages.success(request, _("Saved reply “%(title)s” added.") % {"title": saved.title})
            return redirect("inbox:saved-replies")
    return _render_list(request, form, can_edit, status=422 if form.errors else 200)


def saved_reply_edit(request: ClientRequest, saved_reply_id: int) -> HttpResponse:
    if not role_allows(request.client_role, Capability.REPLY):
        raise PermissionDenied
    saved = SavedReply.objects.filter(pk=saved_reply_id).first()
    if saved is None:
        raise Http404
    form = SavedReplyForm(request.POST or None, instance=saved)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved reply “%(title)s” updated.") % {"title": saved.title})
        return redirect("inbox:saved-replies")
    return render(
        request,
        "inbox/saved_reply_edit.html",
        {"form": form, "saved": saved},
        status=422 if form.errors else 200,
    )


@require_POST
def saved_reply_delete(request: ClientRequest, saved_reply_id: int) -> HttpResponse:
    if not role_allows(request.client_role, Capability.REPLY):
        raise PermissionDenied
    deleted, _rows = SavedReply.objects.filter(pk=saved_reply_id).delete()
    if not deleted:
        raise Http404
    messages.success(request, _("Saved reply deleted."))
    return redirect("inbox:saved-replies")


def _render_list(
    request: ClientRequest, form: SavedReplyForm, can_edit: bool, status: int = 200
) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    return render(
        request,
        "inbox/saved_replies.html",
        {
            "choices": saved_replies.list_saved_replies(client=request.client, query=query),
            "query": query,
            "form": form,
            "can_edit": can_edit,
        },
        status=status,
    )
