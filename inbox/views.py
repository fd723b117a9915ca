"""The inbox pages of one client. Middleware has resolved request.client and client_role."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Capability, role_allows
from accounts.selectors import list_client_members
from clients.http import ClientRequest
from clients.models import ConnectedAccount
from guidelines.checker import highlight_segments
from inbox import selectors, services
from inbox.filters import InboxFilterForm
from inbox.forms import SNOOZE_PRESETS, BulkForm, NoteForm, ReplyForm
from inbox.live import events as live
from inbox.models import Conversation, Interaction, Tag, Team


def _filter_form(request: ClientRequest, *, with_options: bool) -> InboxFilterForm:
    form = InboxFilterForm(request.GET)
    if with_options:
        form.load_options(
            accounts=list(ConnectedAccount.objects.filter(client=request.client).order_by("name")),
            members=list(list_client_members(client=request.client)),
            teams=list(Team.objects.all()),
            tags=list(Tag.objects.all()),
        )
    return form


def _list_context(request: ClientRequest, form: InboxFilterForm) -> dict[str, Any]:
    page = selectors.list_conversations(
        role=request.client_role,
        filters=form.filters(),
        user_id=request.user.pk,
        cursor=request.GET.get("before", ""),
    )
    filter_query = form.query_string()
    # One reverse() for the page: reversing per row costs more than rendering the row.
    conversations_url = reverse("inbox:conversation", kwargs={"conversation_id": 0})[: -len("0/")]
    query = f"?{filter_query}" if filter_query else ""
    return {
        "rows": [(row, f"{conversations_url}{row.pk}/{query}") for row in page.rows],
        "filter_form": form,
        "page": page,
        "filter_query": filter_query,
        "can_work": role_allows(request.client_role, Capability.TRIAGE),
        "can_moderate": role_allows(request.client_role, Capability.MODERATE),
        "bulk_form": BulkForm(),
        "live_url": (
            f"{settings.PARLEY_LIVE_URL.rstrip('/')}/live/{request.client.pk}/?token="
            + live.stream_token(user_id=request.user.pk, client_id=request.client.pk)
        ),
    }


def inbox(request: ClientRequest) -> HttpResponse:
    """The three-pane inbox with no conversation open. htmx asks for the results only (the
    filters changed, or the next page): that request reads the page and, if needed, a count."""
    if request.htmx.target == "results":
        form = _filter_form(request, with_options=False)
        return render(request, "inbox/inbox.html#results", _list_context(request, form))
    form = _filter_form(request, with_options=True)
    context = {
        **_list_context(request, form),
        "saved_views": selectors.list_saved_views(user_id=request.user.pk),
    }
    return render(request, "inbox/inbox.html", context)


def conversation_detail(request: ClientRequest, conversation_id: int) -> HttpResponse:
    """A conversation, answering its latest inbound message (or `?to=` one of its messages)."""
    conversation = selectors.get_conversation(
        role=request.client_role, conversation_id=conversation_id
    )
    target = selectors.reply_target(conversation=conversation, to=request.GET.get("to", ""))
    if target is None:
        raise Http404
    return _render_detail(request, target, ReplyForm())


def interaction_detail(request: ClientRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    return _render_detail(request, interaction, ReplyForm())


def _render_detail(
    request: ClientRequest,
    interaction: Interaction,
    form: ReplyForm,
    status: int = 200,
    note_form: NoteForm | None = None,
    work_error: str = "",
    part: str = "",
) -> HttpResponse:
    """The conversation page; for htmx only the part it targets (`part` overrides)."""
    conversation = interaction.conversation
    context: dict[str, Any] = {
        "interaction": interaction,
        "conversation": conversation,
        "thread": selectors.list_thread(interaction=interaction),
        "escalations": selectors.list_escalations(interaction=interaction),
        "history": selectors.list_history(conversation=conversation),
        "timeline": selectors.contact_timeline(contact=interaction.contact),
        "form": form,
        "note_form": note_form or NoteForm(),
        "work_error": work_error,
        "can_reply": role_allows(request.client_role, Capability.REPLY)
        and services.can_answer(interaction),
        "can_reply_privately": services.can_answer_privately(interaction),
        "can_work": role_allows(request.client_role, Capability.TRIAGE),
        "can_moderate": role_allows(request.client_role, Capability.MODERATE),
        "members": list_client_members(client=request.client),
        "teams": Team.objects.all(),
        "statuses": Conversation.Status.choices,
        "snooze_presets": SNOOZE_PRESETS,
        "opened_at": timezone.now().isoformat(),
    }
    part = part or (request.htmx.target or "" if request.htmx else "")
    if part == "thread":
        return render(request, "inbox/interaction_detail.html#thread", context, status=status)
    if part == "workspace":
        return render(request, "inbox/interaction_detail.html", context, status=status)
    context.update(_list_context(request, _filter_form(request, with_options=True)))
    context["saved_views"] = selectors.list_saved_views(user_id=request.user.pk)
    return render(request, "inbox/inbox.html", context, status=status)


@require_POST
def reply_create(request: ClientRequest, interaction_id: int) -> HttpResponse:
    interaction = selectors.get_interaction(role=request.client_role, interaction_id=interaction_id)
    if not role_allows(request.client_role, Capability.REPLY):
        raise PermissionDenied
    form = ReplyForm(request.POST)
    if form.is_valid() and not form.cleaned_data["send_anyway"]:
        _refuse_if_answered_meanwhile(request, form, interaction)
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
        if request.htmx:
            return _render_detail(request, interaction, form, part="thread")
        return _render_detail(request, interaction, form, status=422)
    if request.htmx:
        return _render_detail(request, interaction, ReplyForm(), part="thread")
    messages.success(request, _("Reply queued for sending."))
    return redirect("inbox:detail", interaction_id=interaction.pk)


def _refuse_if_answered_meanwhile(
    request: ClientRequest, form: ReplyForm, interaction: Interaction
) -> None:
    """Someone else answered after this person opened the conversation: say so first."""
    opened_at = form.cleaned_data.get("opened_at")
    if opened_at is None:
        return
    other = selectors.answered_since(
        conversation_id=interaction.conversation_id,
        since=opened_at,
        except_user_id=request.user.pk,
    )
    if other is not None:
        form.add_error(
            None,
            _(
                "%(who)s answered this conversation at %(when)s, after you opened it. "
                "Read their answer above; tick “Send mine anyway” to send yours too."
            )
            % {"who": other.who, "when": date_format(localtime(other.at), "TIME_FORMAT")},
        )


def conversation_thread(request: ClientRequest, conversation_id: int) -> HttpResponse:
    """The messages of a conversation, refreshed when the live stream says it changed."""
    conversation = selectors.get_conversation(
        role=request.client_role, conversation_id=conversation_id
    )
    target = selectors.reply_target(conversation=conversation, to=request.GET.get("to", ""))
    if target is None:
        raise Http404
    return render(
        request,
        "inbox/interaction_detail.html#thread-items",
        {
            "interaction": target,
            "conversation": conversation,
            "thread": selectors.list_thread(interaction=target),
        },
    )


def conversation_presence(request: ClientRequest, conversation_id: int) -> HttpResponse:
    """GET: who else has the conversation open. POST: "I am here (and typing)"."""
    conversation = selectors.get_conversation(
        role=request.client_role, conversation_id=conversation_id
    )
    if request.method == "POST":
        if not role_allows(request.client_role, Capability.REPLY):
            raise PermissionDenied
        live.mark_present(
            client_id=request.client.pk,
            conversation_id=conversation.pk,
            user_id=request.user.pk,
            name=request.user.display_name,
            typing=request.POST.get("typing") == "1",
        )
        return HttpResponse(status=204)
    viewers = live.viewers(
        client_id=request.client.pk,
        conversation_id=conversation.pk,
        except_user_id=request.user.pk,
    )
    return render(request, "inbox/_presence.html", {"viewers": viewers})


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
