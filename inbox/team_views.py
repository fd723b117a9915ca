"""Teams of one client, for its managers: who a conversation can be assigned to as a group."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import list_client_members
from clients.http import ClientRequest, require_manager
from clients.manager_pages import delete_or_404, save_or_render
from inbox.forms import TeamForm
from inbox.models import Team


def team_list(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    people = list(list_client_members(client=request.client))
    return save_or_render(
        request,
        TeamForm(request.POST or None, people=people),
        template="inbox/teams.html",
        context={"teams": Team.objects.prefetch_related("members")},
        back="inbox:teams",
        saved=_("Team “%(name)s” saved."),
    )


def team_edit(request: ClientRequest, team_id: int) -> HttpResponse:
    require_manager(request)
    team = get_object_or_404(Team, pk=team_id)
    people = list(list_client_members(client=request.client))
    return save_or_render(
        request,
        TeamForm(request.POST or None, instance=team, people=people),
        template="inbox/team_edit.html",
        context={"team": team},
        back="inbox:teams",
        saved=_("Team “%(name)s” saved."),
    )


@require_POST
def team_delete(request: ClientRequest, team_id: int) -> HttpResponse:
    """Conversations assigned to the team keep their person and lose the team."""
    require_manager(request)
    return delete_or_404(
        request, Team.objects.filter(pk=team_id), back="inbox:teams", deleted=_("Team deleted.")
    )
