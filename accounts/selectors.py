"""Reads about who may see which client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from accounts.models import AgencyMembership, Membership, User
from accounts.roles import (
    AGENCY_ROLES_THAT_MANAGE_CLIENTS,
    AGENCY_ROLES_WITH_CLIENT_ACCESS,
    AgencyRole,
    ClientRole,
)

if TYPE_CHECKING:
    from clients.models import Client


def get_client_role(*, user: User, client: Client) -> ClientRole | None:
    """The role `user` holds on `client`: the stronger of a direct membership and the role
    implied by an agency role (owner/admin act as manager). None means no access at all."""
    if not user.is_authenticated or not user.is_active:
        return None
    agency_role = (
        AgencyMembership.objects.filter(user=user, agency_id=client.agency_id)
        .values_list("role", flat=True)
        .first()
    )
    implied = AGENCY_ROLES_WITH_CLIENT_ACCESS.get(AgencyRole(agency_role)) if agency_role else None
    if implied is not None:
        return implied
    direct = (
        Membership.objects.filter(user=user, client=client).values_list("role", flat=True).first()
    )
    return ClientRole(direct) if direct else None


def list_clients_for_user(*, user: User) -> QuerySet[Client]:
    """Active clients the user may open, by name."""
    from clients.models import Client

    managed_agencies = AgencyMembership.objects.filter(
        user=user, role__in=AGENCY_ROLES_WITH_CLIENT_ACCESS
    ).values("agency_id")
    return (
        Client.objects.exclude(schema_name="public")
        .filter(is_active=True)
        .filter(Q(agency_id__in=managed_agencies) | Q(memberships__user=user))
        .select_related("agency")
        .distinct()
        .order_by("name")
    )


def list_agencies_managed_by(*, user: User) -> QuerySet[AgencyMembership]:
    return AgencyMembership.objects.filter(
        user=user, role__in=AGENCY_ROLES_THAT_MANAGE_CLIENTS
    ).select_related("agency")
