"""Reads about who may see which client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest

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
    # One query for both roles: this runs on every request inside a client.
    roles = (
        User.objects.filter(pk=user.pk)
        .annotate(
            agency_role=Subquery(
                AgencyMembership.objects.filter(
                    user=OuterRef("pk"), agency_id=client.agency_id
                ).values("role")[:1]
            ),
            client_role=Subquery(
                Membership.objects.filter(user=OuterRef("pk"), client_id=client.pk).values("role")[
                    :1
                ]
            ),
        )
        .values("agency_role", "client_role")
        .first()
    ) or {}
    agency_role, direct = roles.get("agency_role"), roles.get("client_role")
    implied = AGENCY_ROLES_WITH_CLIENT_ACCESS.get(AgencyRole(agency_role)) if agency_role else None
    if implied is not None:
        return implied
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


@dataclass(frozen=True)
class ClientRef:
    """What lists of many clients need (the agency queue): no model instances."""

    pk: int
    slug: str
    name: str


def list_client_refs_for_user(*, user: User) -> list[ClientRef]:
    return [
        ClientRef(*row)
        for row in list_clients_for_user(user=user).values_list("pk", "slug", "name")
    ]


def list_clients_for_request(request: HttpRequest) -> list[ClientRef]:
    """The clients of the signed-in user, read once per request (the agency queue and the
    client switcher both show them)."""
    cached: list[ClientRef] | None = getattr(request, "_parley_user_clients", None)
    if cached is None:
        cached = list_client_refs_for_user(user=request.user)  # type: ignore[arg-type]
        request._parley_user_clients = cached  # type: ignore[attr-defined]
    return cached


def list_agencies_managed_by(*, user: User) -> QuerySet[AgencyMembership]:
    return AgencyMembership.objects.filter(
        user=user, role__in=AGENCY_ROLES_THAT_MANAGE_CLIENTS
    ).select_related("agency")


def list_client_members(*, client: Client) -> QuerySet[User]:
    """Active people who work on `client`: its members and the agency's owners and admins."""
    agency_staff = AgencyMembership.objects.filter(
        agency_id=client.agency_id, role__in=AGENCY_ROLES_WITH_CLIENT_ACCESS
    ).values("user_id")
    return (
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=agency_staff) | Q(memberships__client_id=client.pk))
        .distinct()
        .order_by("full_name", "email")
    )
