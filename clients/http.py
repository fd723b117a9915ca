"""Typed requests: what the middleware guarantees to views, spelled out for the type checker."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.models import User
from accounts.roles import ClientRole
from clients.models import Client


class AuthenticatedRequest(HttpRequest):
    user: User
    htmx: HtmxDetails


class ClientRequest(AuthenticatedRequest):
    """A request under /clients/<slug>/ that ClientAccessMiddleware let through."""

    client: Client
    client_role: ClientRole
