"""Approving replies: the queue inside a client, and the e-mailed link outside any login."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tenants.utils import tenant_context

from accounts.roles import Capability, role_allows
from clients.http import ClientRequest
from inbox import approvals
from inbox.approval_forms import ApprovalDecisionForm, ApprovalPolicyForm
from inbox.models import Reply


def approval_queue(request: ClientRequest) -> HttpResponse:
    can_decide = role_allows(request.client_role, Capability.APPROVE_REPLY)
    can_manage = role_allows(request.client_role, Capability.MANAGE_CLIENT)
    if not (can_decide or can_manage):
        raise PermissionDenied
    policy = approvals.get_approval_policy()
    policy_form = ApprovalPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if policy_form.is_valid():
            policy_form.save()
            messages.success(request, _("Approval settings saved."))
            return redirect("inbox:approvals")
    return render(
        request,
        "inbox/approval_queue.html",
        {
            "pending": approvals.list_pending_approvals(),
            "policy_form": policy_form,
            "can_decide": can_decide,
            "can_manage": can_manage,
        },
        status=422 if policy_form.errors else 200,
    )


@require_POST
def approval_decide(request: ClientRequest, reply_id: int) -> HttpResponse:
    if not role_allows(request.client_role, Capability.APPROVE_REPLY):
        raise PermissionDenied
    reply = (
        Reply.objects.select_related("interaction", "author")
        .filter(pk=reply_id, status=Reply.Status.PENDING_APPROVAL)
        .first()
    )
    if reply is None:
        raise Http404
    form = ApprovalDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("inbox:approvals")
    try:
        if form.cleaned_data["decision"] == "approve":
            approvals.approve_reply(
                reply=reply, actor=request.user, edited_text=form.cleaned_data["text"] or None
            )
            messages.success(request, _("Approved: the reply is on its way."))
        else:
            approvals.reject_reply(reply=reply, actor=request.user, note=form.cleaned_data["note"])
            messages.success(request, _("Rejected: the agent sees your note."))
    except approvals.ApprovalRefused as error:
        messages.error(request, str(error))
    return redirect("inbox:approvals")


# --- The e-mailed link (public urlconf, no account needed) -------------------------------

_REFUSAL_STATUS = {"invalid": 404, "used": 410, "expired": 410}


def approval_link(request: HttpRequest, client_slug: str, token: str) -> HttpResponse:
    try:
        link = approvals.resolve_approval_link(client_slug=client_slug, token=token)
    except approvals.LinkUnusable as refused:
        return _refused(request, refused.reason)
    with tenant_context(link.client):
        reply = (
            Reply.objects.select_related("interaction__contact", "author")
            .filter(pk=link.reply_id)
            .first()
        )
        if reply is None:
            return _refused(request, "invalid")
        if reply.status != Reply.Status.PENDING_APPROVAL:
            return render(
                request, "inbox/approval_link.html", {"reply": reply, "link": link, "decided": True}
            )
        form = ApprovalDecisionForm(request.POST or None, initial={"text": reply.text})
        if request.method == "POST" and form.is_valid():
            try:
                reply = approvals.decide_by_link(
                    link=link,
                    approve=form.cleaned_data["decision"] == "approve",
                    note=form.cleaned_data["note"],
                    edited_text=form.cleaned_data["text"] or None,
                )
            except approvals.LinkUnusable as refused:
                return _refused(request, refused.reason)
            except approvals.ApprovalRefused as error:
                form.add_error("text", str(error))
            else:
                return render(
                    request,
                    "inbox/approval_link.html",
                    {"reply": reply, "link": link, "decided": True, "just_decided": True},
                )
        return render(
            request,
            "inbox/approval_link.html",
            {"reply": reply, "link": link, "form": form},
            status=422 if form.errors else 200,
        )


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "inbox/approval_link_refused.html",
        {"reason": reason},
        status=_REFUSAL_STATUS[reason],
    )
