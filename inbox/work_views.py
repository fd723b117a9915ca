"""Work on a conversation: status, assignment, tags, snooze, no reply needed, notes, bulk.

Every view answers htmx with the refreshed workspace (or list) and plain posts with a
redirect, so the pages work without JavaScript too."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.roles import Capability, role_allows
from accounts.selectors import list_client_members
from clients.http import ClientRequest
from inbox import moderation, selectors, workflow
from inbox.forms import (
    AssignForm,
    BulkForm,
    ContactNotesForm,
    NoteForm,
    ReplyForm,
    SavedViewForm,
    SnoozeForm,
    StatusForm,
    TagForm,
    selected_ids,
)
from inbox.models import Contact, Conversation, SavedView, Tag, Team
from inbox.views import _render_detail


def _conversation(request: ClientRequest, conversation_id: int) -> Conversation:
    conversation = selectors.get_conversation(
        role=request.client_role, conversation_id=conversation_id
    )
    if not role_allows(request.client_role, Capability.TRIAGE):
        raise PermissionDenied
    return conversation


def _done(
    request: ClientRequest,
    conversation: Conversation,
    *,
    error: str = "",
    note_form: NoteForm | None = None,
) -> HttpResponse:
    """The conversation again: the workspace for htmx, a redirect for a plain post."""
    if request.htmx:
        target = selectors.reply_target(conversation=conversation, to=request.GET.get("to", ""))
        if target is None:
            raise Http404
        return _render_detail(
            request, target, ReplyForm(), note_form=note_form, work_error=error, part="workspace"
        )
    if error:
        messages.error(request, error)
    return redirect("inbox:conversation", conversation_id=conversation.pk)


@require_POST
def conversation_status(request: ClientRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, error=_("Unknown status."))
    workflow.set_status(
        conversation=conversation, status=form.cleaned_data["status"], actor=request.user
    )
    return _done(request, conversation)


@require_POST
def conversation_assign(request: ClientRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    members = list(list_client_members(client=request.client))
    teams = list(Team.objects.all())
    form = AssignForm(request.POST, members=members, teams=teams)
    if not form.is_valid():
        return _done(request, conversation, error=_("Choose someone who works on this client."))
    by_id = {user.pk: user for user in members}
    assignee: User | None = by_id.get(form.cleaned_data["assignee"] or 0)
    team = next((t for t in teams if t.pk == form.cleaned_data["team"]), None)
    try:
        workflow.assign(conversation=conversation, assignee=assignee, team=team, actor=request.user)
    except workflow.WorkflowError as error:
        return _done(request, conversation, error=str(error))
    return _done(request, conversation)


@require_POST
def conversation_tag(request: ClientRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = TagForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, error=_("Give the tag a name (at most 60 characters)."))
    try:
        workflow.add_tag(
            conversation=conversation, name=form.cleaned_data["name"], actor=request.user
        )
    except workflow.WorkflowError as error:
        return _done(request, conversation, error=str(error))
    return _done(request, conversation)


@require_POST
def conversation_untag(request: ClientRequest, conversation_id: int, tag_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    tag = Tag.objects.filter(pk=tag_id).first()
    if tag is None:
        raise Http404
    workflow.remove_tag(conversation=conversation, tag=tag, actor=request.user)
    return _done(request, conversation)


@require_POST
def conversation_snooze(request: ClientRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        return _done(request, conversation, error=_("Choose until when, in the future."))
    try:
        workflow.snooze(
            conversation=conversation, until=form.cleaned_data["until"], actor=request.user
        )
    except workflow.WorkflowError as error:
        return _done(request, conversation, error=str(error))
    return _done(request, conversation)


@require_POST
def conversation_no_reply_needed(request: ClientRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    workflow.mark_no_reply_needed(conversation=conversation, actor=request.user)
    return _done(request, conversation)


@require_POST
def contact_notes(request: ClientRequest, conversation_id: int) -> HttpResponse:
    """The team's notes on the person behind the conversation."""
    conversation = _conversation(request, conversation_id)
    form = ContactNotesForm(request.POST)
    if conversation.contact_id is None or not form.is_valid():
        return _done(request, conversation, error=_("The notes were not saved."))
    Contact.objects.filter(pk=conversation.contact_id).update(notes=form.cleaned_data["notes"])
    return _done(request, conversation)


@require_POST
def conversation_note(request: ClientRequest, conversation_id: int) -> HttpResponse:
    conversation = _conversation(request, conversation_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            workflow.add_note(
                conversation=conversation, author=request.user, text=form.cleaned_data["text"]
            )
        except workflow.WorkflowError as error:
            form.add_error("text", str(error))
    if not form.is_valid():
        return _done(request, conversation, note_form=form, error=_("The note was not saved."))
    return _done(request, conversation)


@require_POST
def bulk(request: ClientRequest) -> HttpResponse:
    """One action on the selected conversations; resolving offers an undo."""
    if not role_allows(request.client_role, Capability.TRIAGE):
        raise PermissionDenied
    form = BulkForm(request.POST)
    ids = selected_ids(request.POST.getlist("conversation"))
    back = _back_to_list(request)
    if not ids:
        messages.error(request, _("Select at least one conversation."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, _("Choose an action (and a tag name to tag)."))
        return redirect(back)
    changed, undo = workflow.bulk_change(
        conversation_ids=ids,
        action=form.cleaned_data["action"],
        actor=request.user,
        assignee=request.user,
        tag_name=form.cleaned_data["tag_name"],
    )
    messages.success(
        request,
        ngettext("%(count)d conversation changed.", "%(count)d conversations changed.", changed)
        % {"count": changed},
        extra_tags=f"undo:{undo}" if undo else "",
    )
    return redirect(back)


@require_POST
def bulk_undo(request: ClientRequest) -> HttpResponse:
    if not role_allows(request.client_role, Capability.TRIAGE):
        raise PermissionDenied
    try:
        restored = workflow.undo_bulk_resolve(
            token=request.POST.get("token", ""), actor=request.user
        )
    except workflow.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d conversation reopened.", "%(count)d conversations reopened.", restored
            )
            % {"count": restored},
        )
    return redirect(_back_to_list(request))


def _back_to_list(request: ClientRequest) -> str:
    """The inbox with the filters the person was using."""
    return _inbox_url(request.POST.get("filters", ""))


def _inbox_url(query: str) -> str:
    """The inbox with `query`, re-encoded: whatever was posted, only a query string of our
    own path comes out (no newline reaches a header, no other address)."""
    query = QueryDict(query).urlencode()
    url = reverse("inbox:list")
    return f"{url}?{query}" if query else url


@require_POST
def saved_view_create(request: ClientRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the view a name."))
        return redirect(_back_to_list(request))
    shared = form.cleaned_data["shared"]
    if shared and not role_allows(request.client_role, Capability.TRIAGE):
        raise PermissionDenied
    query = QueryDict(form.cleaned_data["query"]).urlencode()
    SavedView.objects.create(
        name=form.cleaned_data["name"], query=query, owner=None if shared else request.user
    )
    messages.success(request, _("View saved."))
    return redirect(_inbox_url(query))


@require_POST
def saved_view_delete(request: ClientRequest, view_id: int) -> HttpResponse:
    view = SavedView.objects.filter(pk=view_id).first()
    if view is None or (view.owner_id not in (None, request.user.pk)):
        raise Http404
    if view.owner_id is None and not role_allows(request.client_role, Capability.TRIAGE):
        raise PermissionDenied
    view.delete()
    messages.success(request, _("View deleted."))
    return redirect("inbox:list")


@require_POST
def interaction_moderate(request: ClientRequest, interaction_id: int) -> HttpResponse:
    """Hide, unhide, delete or block on the platform; what cannot be done is said plainly."""
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    if not role_allows(request.client_role, Capability.MODERATE):
        raise PermissionDenied
    try:
        moderation.request_moderation(
            interaction=interaction, action=request.POST.get("action", ""), actor=request.user
        )
    except moderation.ModerationNotAllowed as error:
        return _done(request, interaction.conversation, error=str(error))
    if not request.htmx:
        messages.success(request, _("Sent to the platform."))
    return _done(request, interaction.conversation)
