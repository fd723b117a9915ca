"""A client's channels (connected accounts), for its managers: connect through the platform's
OAuth flow, choose which accounts, see each one's state, disconnect.

The flow: `channel_connect` (in the client) sends the manager to the platform with a signed
`state` and a PKCE verifier kept in their session; the platform sends them back to
`oauth_callback` (one URL per provider, outside any client, as platforms register one), which
exchanges the code and lists the accounts they may connect; `channel_choose` (in the client
again) connects the chosen ones."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clients import oauth
from clients.crypto import decrypt_token, encrypt_token
from clients.http import ClientRequest, absolute_client_url, require_manager
from clients.models import Client, ConnectedAccount, Platform
from clients.platforms import POLLING_PLATFORMS, get_connector
from clients.platforms.base import PlatformError
from clients.services import AccountConnectedElsewhere, connect_account, disconnect_account

STATE_SALT = "parley.oauth-state"
STATE_MAX_AGE = 15 * 60
SESSION_KEY = "parley_oauth"
# The order managers see the platforms in.
CONNECTABLE = [
    Platform.FACEBOOK,
    Platform.INSTAGRAM,
    Platform.X,
    Platform.GOOGLE_BUSINESS,
    Platform.YOUTUBE,
    Platform.LINKEDIN,
    Platform.TIKTOK,
]


def channels(request: ClientRequest) -> HttpResponse:
    require_manager(request)
    accounts = ConnectedAccount.objects.filter(client=request.client).order_by("platform", "name")
    return render(
        request,
        "clients/channels.html",
        {
            "accounts": accounts,
            "platforms": [
                (platform, oauth.provider_for(platform).is_configured) for platform in CONNECTABLE
            ],
            "polling_platforms": POLLING_PLATFORMS,
        },
    )


@require_POST
def channel_connect(request: ClientRequest, platform: str) -> HttpResponse:
    require_manager(request)
    if platform not in CONNECTABLE:
        raise Http404
    nonce = secrets.token_urlsafe(16)
    verifier, challenge = oauth.new_pkce_pair()
    state = signing.dumps({"nonce": nonce}, salt=STATE_SALT)
    try:
        target = oauth.authorization_url(
            platform,
            state=state,
            redirect_uri=_redirect_uri(platform),
            code_challenge=challenge,
        )
    except oauth.OAuthError as error:
        messages.error(request, str(error))
        return redirect("channels")
    flows = request.session.get(SESSION_KEY, {})
    flows[nonce] = {
        "client": request.client.pk,
        "platform": platform,
        "user": request.user.pk,
        "verifier": verifier,
    }
    request.session[SESSION_KEY] = flows
    return redirect(target)


def _redirect_uri(platform: str) -> str:
    provider = oauth.PROVIDER_OF_PLATFORM[platform]
    path = reverse("oauth-callback", urlconf=settings.PUBLIC_SCHEMA_URLCONF, args=[provider])
    return settings.PARLEY_BASE_URL.rstrip("/") + path


@login_required
def oauth_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """Where the platform sends the manager back, with a code (or with an error)."""
    try:
        nonce = signing.loads(request.GET.get("state", ""), salt=STATE_SALT, max_age=STATE_MAX_AGE)[
            "nonce"
        ]
    except (signing.BadSignature, KeyError, TypeError):
        return _flow_failed(request, _("This sign-in could not be verified or took too long."))
    flow = request.session.get(SESSION_KEY, {}).get(nonce)
    if not flow or flow["user"] != request.user.pk or "accounts" in flow:
        return _flow_failed(request, _("This sign-in was not started here, or was used already."))
    platform = flow["platform"]
    client = Client.objects.filter(pk=flow["client"]).first()
    if client is None or oauth.PROVIDER_OF_PLATFORM[platform] != provider:
        return _flow_failed(request, _("This sign-in does not belong to a client any more."))
    channels_url = absolute_client_url(client, "channels")
    if request.GET.get("error"):
        messages.error(
            request,
            _("%(platform)s did not give access: %(reason)s")
            % {
                "platform": Platform(platform).label,
                "reason": request.GET.get("error_description") or request.GET["error"],
            },
        )
        return redirect(channels_url)
    try:
        tokens = oauth.exchange_code(
            platform,
            code=request.GET.get("code", ""),
            redirect_uri=_redirect_uri(platform),
            code_verifier=flow["verifier"],
        )
        connector = get_connector(platform)
        found = connector.discover_accounts(tokens.access_token, tokens.extra)  # type: ignore[union-attr]
    except PlatformError as error:
        messages.error(request, _("Connecting failed: %(reason)s") % {"reason": error.message})
        return redirect(channels_url)
    flow.update(
        accounts=[
            {"id": a.external_id, "name": a.name, "token": encrypt_token(a.access_token)}
            for a in found
            if a.access_token or tokens.access_token
        ],
        access=encrypt_token(tokens.access_token),
        refresh=encrypt_token(tokens.refresh_token) if tokens.refresh_token else "",
        expires_at=tokens.expires_at.isoformat() if tokens.expires_at else "",
    )
    request.session.modified = True
    return redirect(absolute_client_url(client, "channel-choose", nonce=nonce))


def _flow_failed(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "clients/oauth_failed.html", {"reason": reason}, status=400)


def channel_choose(request: ClientRequest, nonce: str) -> HttpResponse:
    """The accounts the sign-in gave access to: the manager picks which to connect here."""
    require_manager(request)
    flow = request.session.get(SESSION_KEY, {}).get(nonce)
    if (
        not flow
        or "accounts" not in flow
        or flow["client"] != request.client.pk
        or flow["user"] != request.user.pk
    ):
        raise Http404
    platform = flow["platform"]
    taken = dict(
        ConnectedAccount.objects.filter(
            platform=platform, external_account_id__in=[a["id"] for a in flow["accounts"]]
        )
        .exclude(status=ConnectedAccount.Status.CLOSED)
        .values_list("external_account_id", "client_id")
    )
    choices = [
        {
            **found,
            "here": taken.get(found["id"]) == request.client.pk,
            "elsewhere": taken.get(found["id"], request.client.pk) != request.client.pk,
        }
        for found in flow["accounts"]
    ]
    if request.method == "POST":
        chosen = set(request.POST.getlist("account"))
        selected = [c for c in choices if c["id"] in chosen and not c["elsewhere"]]
        if not selected:
            messages.error(request, _("Choose at least one account."))
        else:
            names = _connect_chosen(request, flow, selected)
            flows = request.session.get(SESSION_KEY, {})
            flows.pop(nonce, None)
            request.session[SESSION_KEY] = flows
            if names:
                messages.success(request, _("Connected: %(names)s.") % {"names": ", ".join(names)})
            return redirect("channels")
    return render(
        request,
        "clients/channel_choose.html",
        {"platform": Platform(platform), "choices": choices, "nonce": nonce},
    )


def _connect_chosen(
    request: ClientRequest, flow: dict[str, Any], selected: list[dict[str, Any]]
) -> list[str]:
    platform = flow["platform"]
    connector = get_connector(platform)
    expires_at = parse_datetime(flow["expires_at"]) if flow["expires_at"] else None
    connected = []
    for choice in selected:
        own_token = decrypt_token(choice["token"]) if choice["token"] else ""
        try:
            with transaction.atomic():
                account = connect_account(
                    client=request.client,
                    platform=platform,
                    external_account_id=choice["id"],
                    name=choice["name"],
                    # A Page token does not expire the way user tokens do: keep only its own.
                    access_token=own_token or decrypt_token(flow["access"]),
                    refresh_token=_user_refresh_token(flow) if not own_token else "",
                    token_expires_at=None if own_token else expires_at,
                )
        except AccountConnectedElsewhere:
            messages.error(
                request, _("%(name)s is connected to another client.") % {"name": choice["name"]}
            )
            continue
        after = getattr(connector, "after_connect", None)
        if after is not None:
            try:
                after(account)
            except PlatformError as error:
                ConnectedAccount.objects.filter(pk=account.pk).update(last_error=error.message)
                messages.error(
                    request,
                    _("%(name)s is connected, but %(platform)s refused its webhooks: %(reason)s")
                    % {
                        "name": account.name,
                        "platform": Platform(platform).label,
                        "reason": error.message,
                    },
                )
        from clients.tasks import backfill_account_task

        backfill_account_task.delay_on_commit(account.pk)  # the history, at once
        connected.append(account.name)
    return connected


def _user_refresh_token(flow: dict[str, Any]) -> str:
    return decrypt_token(flow["refresh"]) if flow["refresh"] else ""


@require_POST
def channel_disconnect(request: ClientRequest, account_id: int) -> HttpResponse:
    require_manager(request)
    account = (
        ConnectedAccount.objects.filter(pk=account_id, client=request.client)
        .exclude(status=ConnectedAccount.Status.CLOSED)
        .first()
    )
    if account is None:
        raise Http404
    problem = disconnect_account(account=account)
    if problem:
        messages.warning(
            request,
            _("%(name)s is disconnected; the platform answered: %(reason)s")
            % {"name": account.name, "reason": problem},
        )
    else:
        messages.success(
            request,
            _("%(name)s is disconnected. Its conversations stay in the inbox.")
            % {"name": account.name},
        )
    return redirect("channels")
