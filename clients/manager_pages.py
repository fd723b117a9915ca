"""What every page that configures a client does the same way: save a form or show it again
with its errors (422), and delete a row of the client's or answer 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from clients.http import ClientRequest


def save_or_render(
    request: ClientRequest,
    form: forms.ModelForm[Any],
    *,
    template: str,
    context: dict[str, Any],
    back: str,
    saved: str,
) -> HttpResponse:
    """A valid POST saves, says `saved` (with the row's name) and goes `back`; anything else
    shows `template` with the form, 422 when it has errors."""
    if request.method == "POST" and form.is_valid():
        row = form.save()
        messages.success(request, saved % {"name": str(row)})
        return redirect(back)
    return render(request, template, {**context, "form": form}, status=422 if form.errors else 200)


def delete_or_404(
    request: ClientRequest, rows: QuerySet[Any], *, back: str, deleted: str
) -> HttpResponse:
    """Delete what `rows` selects (one row of this client's schema) or answer 404."""
    count, _by_model = rows.delete()
    if not count:
        raise Http404
    messages.success(request, deleted)
    return redirect(back)
