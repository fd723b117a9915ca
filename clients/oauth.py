"""Connecting accounts the way people expect: each platform's OAuth 2 authorization-code flow.

One provider can connect several platforms (Meta: Facebook Pages and Instagram accounts;
Google: Business Profile locations and YouTube channels). After the code is exchanged, the
platform's connector lists the accounts the person may connect (`discover_accounts`), and the
manager picks which. Endpoints and app credentials come from settings.OAUTH_PROVIDERS, so
development and tests run the whole flow against the simulator (clients/simulator/oauth.py).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from clients.platforms.base import PermanentPlatformError, as_object
from clients.platforms.http import request_json

# The provider whose app authorizes each platform.
PROVIDER_OF_PLATFORM = {
    "facebook": "meta",
    "instagram": "meta",
    "x": "x",
    "google_business": "google",
    "youtube": "google",
    "linkedin": "linkedin",
    "tiktok": "tiktok",
}
# What Parley asks each platform for: reading and answering, moderating, webhooks.
SCOPES = {
    "facebook": [
        "pages_show_list",
        "pages_manage_metadata",
        "pages_read_engagement",
        "pages_read_user_content",
        "pages_manage_engagement",
        "pages_messaging",
    ],
    "instagram": [
        "pages_show_list",
        "pages_manage_metadata",
        "instagram_basic",
        "instagram_manage_comments",
        "instagram_manage_messages",
    ],
    "x": [
        "tweet.read",
        "tweet.write",
        "users.read",
        "dm.read",
        "dm.write",
        "tweet.moderate.write",
        "offline.access",
    ],
    "google_business": ["https://www.googleapis.com/auth/business.manage"],
    "youtube": ["https://www.googleapis.com/auth/youtube.force-ssl"],
    "linkedin": [
        "r_organization_social",
        "w_organization_social",
        "rw_organization_admin",
    ],
    "tiktok": ["user.info.basic", "comment.list", "comment.list.manage"],
}


class OAuthError(Exception):
    """The flow cannot go on; the message says why, in words for the manager."""


@dataclass(frozen=True)
class Provider:
    name: str
    authorize_url: str
    token_url: str
    revoke_url: str
    client_id: str
    client_secret: str

    @property
    def is_configured(self) -> bool:
        return bool(self.client_id and self.client_secret)


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None
    # What else the token answer said (TikTok names the business here).
    extra: dict[str, Any]


def provider_for(platform: str) -> Provider:
    name = PROVIDER_OF_PLATFORM[platform]
    config = settings.OAUTH_PROVIDERS[name]
    return Provider(name=name, **config)


def new_pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge): X requires PKCE, and it costs nothing elsewhere."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorization_url(platform: str, *, state: str, redirect_uri: str, code_challenge: str) -> str:
    provider = provider_for(platform)
    if not provider.is_configured:
        raise OAuthError(
            f"This installation has no {provider.name} app: set PARLEY_"
            f"{provider.name.upper()}_CLIENT_ID and PARLEY_{provider.name.upper()}_CLIENT_SECRET."
        )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES[platform])
        if provider.name != "meta"
        else ",".join(SCOPES[platform]),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if provider.name == "google":
        query |= {"access_type": "offline", "prompt": "consent"}  # a refresh token every time
    if provider.name == "tiktok":
        query["app_id"] = provider.client_id  # TikTok's business portal names it so
    return f"{provider.authorize_url}?{urlencode(query)}"


def exchange_code(platform: str, *, code: str, redirect_uri: str, code_verifier: str) -> Tokens:
    provider = provider_for(platform)
    return _token_call(
        provider,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
    )


def refresh(platform: str, refresh_token: str) -> Tokens:
    provider = provider_for(platform)
    tokens = _token_call(provider, {"grant_type": "refresh_token", "refresh_token": refresh_token})
    # Some providers keep the refresh token and answer without one.
    return (
        tokens
        if tokens.refresh_token
        else Tokens(tokens.access_token, refresh_token, tokens.expires_at, tokens.extra)
    )


def revoke(platform: str, token: str) -> None:
    """Tell the provider the token is no longer wanted (best effort is not enough: errors
    are raised so the manager sees them; the account is closed regardless)."""
    provider = provider_for(platform)
    if provider.revoke_url and token:
        request_json(
            "POST",
            provider.revoke_url,
            product=provider.name,
            data={"token": token, "client_id": provider.client_id},
        )


def _token_call(provider: Provider, form: dict[str, str]) -> Tokens:
    credentials = {"client_id": provider.client_id, "client_secret": provider.client_secret}
    if provider.name == "tiktok":
        # TikTok's Business API takes JSON and calls the code `auth_code`.
        payload = {**form, **credentials}
        if "code" in payload:
            payload["auth_code"] = payload.pop("code")
        _, body = request_json(
            "POST",
            provider.token_url,
            product=provider.name,
            json_body=payload,
            read_error=_read_oauth_error,
        )
    elif provider.name == "x":
        # X wants a confidential client's credentials as HTTP Basic, not in the form.
        basic = base64.b64encode(f"{provider.client_id}:{provider.client_secret}".encode())
        _, body = request_json(
            "POST",
            provider.token_url,
            product=provider.name,
            headers={"Authorization": f"Basic {basic.decode()}"},
            data={**form, "client_id": provider.client_id},
            read_error=_read_oauth_error,
        )
    else:
        _, body = request_json(
            "POST",
            provider.token_url,
            product=provider.name,
            data={**form, **credentials},
            read_error=_read_oauth_error,
        )
    body = as_object(body)
    data = as_object(body.get("data")) or body  # TikTok wraps its answer in "data"
    access_token = str(data.get("access_token") or "")
    if not access_token:
        raise PermanentPlatformError(f"{provider.name} answered without an access token.")
    expires_in = data.get("expires_in")
    expires_at = (
        timezone.now() + dt.timedelta(seconds=int(expires_in))
        if isinstance(expires_in, int | str) and str(expires_in).isdigit()
        else None
    )
    return Tokens(
        access_token=access_token,
        refresh_token=str(data.get("refresh_token") or ""),
        expires_at=expires_at,
        extra={k: v for k, v in data.items() if k not in ("access_token", "refresh_token")},
    )


def _read_oauth_error(body: Any) -> tuple[str, int | None]:
    """RFC 6749 errors: {"error": "invalid_grant", "error_description": "..."}."""
    body = as_object(body)
    if isinstance(body.get("error"), str):
        return str(body.get("error_description") or body["error"]), None
    from clients.platforms.http import read_common_error

    return read_common_error(body)
