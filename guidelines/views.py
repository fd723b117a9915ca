"""The guideline editor of one client: every member may read it, managers change it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Capability, role_allows
from clients.http import ClientRequest
from guidelines import selectors, services
from guidelines.checker import CheckContext, check_reply, highlight_segments
from guidelines.forms import GuidelineForm, PreviewForm
from guidelines.rules import parse_guideline


def guideline_edit(request: ClientRequest) -> HttpResponse:
    can_edit = role_allows(request.client_role, Capability.MANAGE_CLIENT)
    version, _guideline = selectors.get_current_guideline()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        form = GuidelineForm(request.POST)
        if form.is_valid():
            saved = services.save_guideline_version(
                rules=form.to_rules(), author=request.user, note=form.cleaned_data["note"]
            )
            messages.success(
                request,
                _("Guideline version %(number)d is now in force.") % {"number": saved.number},
            )
            return redirect("guidelines:edit")
    else:
        form = GuidelineForm(
            initial=GuidelineForm.initial_from_rules(version.rules if version else {})
        )
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    preview = PreviewForm(
        initial={"language": request.client.default_language, "network": "facebook"}
    )
    return render(
        request,
        "guidelines/guideline_edit.html",
        {
            "form": form,
            "preview": preview,
            "version": version,
            "versions": selectors.list_guideline_versions(),
            "can_edit": can_edit,
        },
        status=422 if form.errors else 200,
    )


@require_POST
def guideline_preview(request: ClientRequest) -> HttpResponse:
    """Check the sample reply against the rules as they stand in the (unsaved) form."""
    if not role_allows(request.client_role, Capability.MANAGE_CLIENT):
        raise PermissionDenied
    form = GuidelineForm(request.POST)
    preview = PreviewForm(request.POST)
    if not form.is_valid() or not preview.is_valid():
        errors = [str(error) for error in form.non_field_errors()]
        for bound_form in (form, preview):
            for name, field_errors in bound_form.errors.items():
                if name != "__all__":
                    label = bound_form[name].label
                    errors += [f"{label}: {error}" for error in field_errors]
        return render(request, "guidelines/guideline_edit.html#preview-errors", {"errors": errors})
    sample = preview.cleaned_data["sample"]
    context = CheckContext(
        language=preview.cleaned_data["language"],
        network=preview.cleaned_data["network"],
        contact_first_name=preview.cleaned_data["first_name"],
    )
    result = check_reply(sample, context, parse_guideline(form.to_rules()))
    return render(
        request,
        "_partials/reply_check.html",
        {"check": result, "segments": highlight_segments(sample, result.violations)},
    )
