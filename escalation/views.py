"""Escalation rules of one client, for its managers."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.http import ClientRequest, require_manager
from escalation.forms import EscalationRuleForm
from escalation.models import EscalationEvent, EscalationRule


def rule_list(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    form = EscalationRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = form.save()
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
        return redirect("escalation:rules")
    return render(
        request,
        "escalation/rules.html",
        {
            "rules": EscalationRule.objects.all(),
            "form": form,
            "events": EscalationEvent.objects.select_related("interaction__contact").order_by(
                "-created_at", "-id"
            )[:20],
        },
        status=422 if form.errors else 200,
    )


def rule_edit(request: ClientRequest, rule_id: int) -> HttpResponse:
    require_manager(request)
    rule = EscalationRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise Http404
    form = EscalationRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Rule “%(name)s” saved.") % {"name": rule.name})
        return redirect("escalation:rules")
    return render(
        request,
        "escalation/rule_edit.html",
        {"form": form, "rule": rule},
        status=422 if form.errors else 200,
    )


@require_POST
def rule_delete(request: ClientRequest, rule_id: int) -> HttpResponse:
    """History keeps the rule's name: events point at it with SET_NULL."""
    require_manager(request)
    deleted, _rows = EscalationRule.objects.filter(pk=rule_id).delete()
    if not deleted:
        raise Http404
    messages.success(request, _("Rule deleted."))
    return redirect("escalation:rules")
