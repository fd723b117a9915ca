"""The simulator's OAuth 2 authorization-code endpoints, one set per platform under
/oauth/<platform>/: `authorize` (consents at once and redirects back with a code, as a person
clicking "Allow" would), `token` (code or refresh token -> tokens) and `revoke`.

Codes are single-use and bound to the redirect URI and client id they were issued for; tokens
expire after `expires_in` seconds, so refresh is exercised for real."""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlencode

from clients.simulator.server import SimulatorState

PLATFORMS = {"meta", "x", "google", "linkedin", "tiktok"}
TOKEN_LIFETIME_SECONDS = 3600

Answer = tuple[int, Any, dict[str, str]]


def oauth_route(
    state: SimulatorState,
    method: str,
    path: str,
    query: dict[str, str],
    body: dict[str, Any],
    headers: dict[str, str],
) -> Answer:
    parts = path.strip("/").split("/")
    if len(parts) != 3 or parts[1] not in PLATFORMS:
        return 404, {"error": "not_found"}, {}
    platform, action = parts[1], parts[2]
    state.record(
        {
            "method": method,
            "path": path,
            "query": query,
            "body": body,
            "headers": headers,
            "received_at": time.time(),
        }
    )
    if action == "authorize" and method == "GET":
        return _authorize(state, platform, query)
    if action == "token" and method == "POST":
        return _token(state, platform, {**query, **body})
    if action == "revoke" and method == "POST":
        token = str(body.get("token") or query.get("token") or "")
        with state.lock:
            state.oauth_tokens.pop(token, None)
        return 200, {"revoked": True}, {}
    return 405, {"error": "method_not_allowed"}, {}


def _authorize(state: SimulatorState, platform: str, query: dict[str, str]) -> Answer:
    redirect_uri = query.get("redirect_uri", "")
    if not redirect_uri.startswith(("http://", "https://")) or not query.get("client_id"):
        return (
            400,
            {
                "error": "invalid_request",
                "error_description": "redirect_uri and client_id are required",
            },
            {},
        )
    if query.get("response_type", "code") != "code":
        return 400, {"error": "unsupported_response_type"}, {}
    code = secrets.token_urlsafe(24)
    with state.lock:
        state.oauth_codes[code] = {
            "platform": platform,
            "redirect_uri": redirect_uri,
            "client_id": query["client_id"],
            "scope": query.get("scope", ""),
        }
    separator = "&" if "?" in redirect_uri else "?"
    target = redirect_uri + separator + urlencode({"code": code, "state": query.get("state", "")})
    return 302, {"redirect": target}, {"Location": target}


def _token(state: SimulatorState, platform: str, params: dict[str, Any]) -> Answer:
    code = str(params.get("code") or params.get("auth_code") or "")  # TikTok: auth_code
    grant = params.get("grant_type") or ("authorization_code" if code else "")
    with state.lock:
        if grant == "authorization_code":
            issued = state.oauth_codes.pop(code, None)
            if (
                issued is None
                or issued["platform"] != platform
                or issued["redirect_uri"] != params.get("redirect_uri")
                or issued["client_id"] != params.get("client_id")
            ):
                return 400, {"error": "invalid_grant", "error_description": "Bad or used code."}, {}
        elif grant == "refresh_token":
            refresh = str(params.get("refresh_token") or "")
            known = any(t.get("refresh_token") == refresh for t in state.oauth_tokens.values())
            if not refresh or not known:
                return (
                    400,
                    {"error": "invalid_grant", "error_description": "Unknown refresh token."},
                    {},
                )
            for token, issued_token in list(state.oauth_tokens.items()):
                if issued_token.get("refresh_token") == refresh:
                    del state.oauth_tokens[token]
        else:
            return 400, {"error": "unsupported_grant_type"}, {}
        access_token = f"{platform}-access-{secrets.token_urlsafe(16)}"
        tokens: dict[str, Any] = {
            "access_token": access_token,
            "refresh_token": f"{platform}-refresh-{secrets.token_urlsafe(16)}",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "token_type": "bearer",
        }
        if platform == "tiktok":  # TikTok names the business with its token, in "data"
            tokens["open_id"] = "bc-simulated-business-0009"
            state.oauth_tokens[access_token] = tokens
            return 200, {"code": 0, "message": "OK", "data": tokens}, {}
        state.oauth_tokens[access_token] = tokens
    return 200, tokens, {}
