"""Tenant routing and the one membership check per request."""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType

from django.contrib.auth.views import redirect_to_login
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import clear_url_caches, set_urlconf
from django_tenants.middleware.subfolder import TenantSubfolderMiddleware
from django_tenants.urlresolvers import get_subfolder_urlconf
from django_tenants.utils import get_public_schema_name, get_subfolder_prefix

from accounts.selectors import get_client_role
from clients.models import Client, Domain
from config.views import page_not_found


def is_client_path(path: str) -> bool:
    return path.startswith(f"/{get_subfolder_prefix()}/")


def is_api_path(path: str) -> bool:
    """/clients/<slug>/api/...: answered in JSON, never with a login page."""
    parts = path.split("/")
    return len(parts) > 3 and parts[3] == "api"


def _api_problem(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {
            "type": "about:blank",
            "status": status,
            "code": code,
            "detail": detail,
            "field_errors": {},
        },
        status=status,
        content_type="application/problem+json",
    )


def _denied(request: HttpRequest) -> HttpResponse:
    """The answer for a client that is missing or not yours: the same either way."""
    if is_api_path(request.path):
        return _api_problem(404, "not_found", "Not found.")
    return page_not_found(request)


# One URLconf module per client, built once per process. django-tenants builds a new module
# and flushes Django's URL caches on every request, so every request re-populated the
# resolver (measured: about a fifth of an inbox list request). A resolver is cached per
# URLconf object, so a stable object per client keeps each client's routes cached.
_client_urlconfs: OrderedDict[str, ModuleType] = OrderedDict()
MAX_CACHED_URLCONFS = 256


def _urlconf_for(client: Client) -> ModuleType:
    slug = client.domain_subfolder
    urlconf = _client_urlconfs.get(slug)
    if urlconf is None:
        if len(_client_urlconfs) >= MAX_CACHED_URLCONFS:
            # Forget them all at once: Django's resolver cache holds every URLconf it saw.
            _client_urlconfs.clear()
            clear_url_caches()
        urlconf = _client_urlconfs[slug] = get_subfolder_urlconf(client)
    return urlconf


_public_row: list[Client] = []


def _public_client() -> Client:
    """The public tenant (created by a migration, never changed): read once per process, a
    copy per request, since the middleware sets attributes on it. Every agency page and every
    webhook used to pay a query for it."""
    if not _public_row:
        _public_row.append(Client.objects.get(schema_name=get_public_schema_name()))
    return copy.copy(_public_row[0])


class ClientSubfolderMiddleware(TenantSubfolderMiddleware):
    """django-tenants' subfolder routing, with two changes.

    - An unknown slug is not answered here. The stock middleware raises 404 at once, before we
      know who is asking; an anonymous visitor could then tell existing clients (login
      redirect) from missing ones (404). We mark the request and let ClientAccessMiddleware
      give every unknown slug the answer a non-member gets.
    - Each client's URLconf is built once (see _urlconf_for), not on every request."""

    def process_request(self, request: HttpRequest) -> None:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        prefix = f"/{get_subfolder_prefix()}/"
        if not request.path.startswith(prefix):
            tenant = _public_client()
            tenant.domain_url = self.hostname_from_request(request)
            request.tenant = tenant  # type: ignore[attr-defined]
            self.setup_url_routing(request, force_public=True)
            connection.set_tenant(tenant)  # type: ignore[attr-defined]
            return
        slug = request.path[len(prefix) :].split("/")[0]
        try:
            tenant = self.get_tenant(domain_model=Domain, hostname=slug)
        except Domain.DoesNotExist:
            self.no_tenant_found(request, slug)
            return
        tenant.domain_subfolder = slug
        tenant.domain_url = self.hostname_from_request(request)
        request.tenant = tenant  # type: ignore[attr-defined]
        connection.set_tenant(tenant)  # type: ignore[attr-defined]
        request.urlconf = _urlconf_for(tenant)  # type: ignore[attr-defined]
        set_urlconf(request.urlconf)  # type: ignore[attr-defined]

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> None:
        request.tenant = _public_client()  # type: ignore[attr-defined]
        request.unknown_client = True  # type: ignore[attr-defined]
        self.setup_url_routing(request, force_public=True)
        connection.set_tenant(request.tenant)  # type: ignore[attr-defined]


class ClientAccessMiddleware:
    """Resolves the user's role on the client of a /clients/<slug>/ request, once.

    Anonymous: sent to the login page (for existing and missing clients alike). Signed in
    without a role, or an inactive/unknown client: the site's 404, identical to a missing page.
    Otherwise `request.client` and `request.client_role` are set for views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_client_path(request.path):
            return self.get_response(request)
        if not request.user.is_authenticated:
            if is_api_path(request.path):
                return _api_problem(401, "not_authenticated", "Sign in or send credentials.")
            return redirect_to_login(request.get_full_path())
        client = getattr(request, "tenant", None)
        if getattr(request, "unknown_client", False) or not isinstance(client, Client):
            return _denied(request)
        role = get_client_role(user=request.user, client=client) if client.is_active else None
        if role is None:
            return _denied(request)
        request.client = client  # type: ignore[attr-defined]
        request.client_role = role  # type: ignore[attr-defined]
        return self.get_response(request)
