"""Escalation rules of one client, for its managers."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients.http import ClientRequest, require_manager
from clients.manager_pages import delete_or_404, save_or_render
from escalation.forms import EscalationRuleForm
from escalation.models import EscalationEvent, EscalationRule


def rule_list(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    return save_or_render(
        request,
        EscalationRuleForm(request.POST or None),
        template="escalation/rules.html",
        context={
            "rules": EscalationRule.objects.all(),
            "events": EscalationEvent.objects.select_related("interaction__contact").order_by(
                "-created_at", "-id"
            )[:20],
        },
        back="escalation:rules",
        saved=_("Rule “%(name)s” saved."),
    )


def rule_edit(request: ClientRequest, rule_id: int) -> HttpResponse:
    require_manager(request)
    rule = get_object_or_404(EscalationRule, pk=rule_id)
    return save_or_render(
        request,
        EscalationRuleForm(request.POST or None, instance=rule),
        template="escalation/rule_edit.html",
        context={"rule": rule},
        back="escalation:rules",
        saved=_("Rule “%(name)s” saved."),
    )


@require_POST
def rule_delete(request: ClientRequest, rule_id: int) -> HttpResponse:
    """History keeps the rule's name: events point at it with SET_NULL."""
    require_manager(request)
    return delete_or_404(
        request,
        EscalationRule.objects.filter(pk=rule_id),
        back="escalation:rules",
        deleted=_("Rule deleted."),
    )
