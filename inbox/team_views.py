"""Teams of one client, for its managers: who a conversation can be assigned to as a group."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import list_client_members
from clients.http import ClientRequest, require_manager
from inbox.forms import TeamForm
from inbox.models import Team


def team_list(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    people = list(list_client_members(client=request.client))
    form = TeamForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        team = form.save()
        messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
        return redirect("inbox:teams")
    return render(
        request,
        "inbox/teams.html",
        {"teams": Team.objects.prefetch_related("members"), "form": form},
        status=422 if form.errors else 200,
    )


def team_edit(request: ClientRequest, team_id: int) -> HttpResponse:
    require_manager(request)
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404
    people = list(list_client_members(client=request.client))
    form = TeamForm(request.POST or None, instance=team, people=people)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
        return redirect("inbox:teams")
    return render(
        request,
        "inbox/team_edit.html",
        {"team": team, "form": form},
        status=422 if form.errors else 200,
    )


@require_POST
def team_delete(request: ClientRequest, team_id: int) -> HttpResponse:
    """Conversations assigned to the team keep their person and lose the team."""
    require_manager(request)
    deleted, _rows = Team.objects.filter(pk=team_id).delete()
    if not deleted:
        raise Http404
    messages.success(request, _("Team deleted."))
    return redirect("inbox:teams")
