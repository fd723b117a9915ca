"""Typed requests: what the middleware guarantees to views, spelled out for the type checker."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django_htmx.middleware import HtmxDetails
from django_tenants.utils import get_subfolder_prefix

from accounts.models import User
from accounts.roles import Capability, ClientRole, role_allows
from clients.models import Client


class AuthenticatedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


class ClientRequest(AuthenticatedRequest):
    """A request under /clients/<slug>/ that ClientAccessMiddleware let through."""

    client: Client
    client_role: ClientRole


def absolute_client_url(client: Client, viewname: str, **kwargs: object) -> str:
    """A full link to a page inside `client`, for e-mails sent from workers (no request)."""
    path = reverse(viewname, urlconf=settings.ROOT_URLCONF, kwargs=kwargs or None)
    return f"{settings.PARLEY_BASE_URL.rstrip('/')}/{get_subfolder_prefix()}/{client.slug}{path}"


def require_manager(request: ClientRequest) -> None:
    """Pages that configure a client (rules, teams, automation): 403 for everyone else."""
    if not role_allows(request.client_role, Capability.MANAGE_CLIENT):
        raise PermissionDenied
