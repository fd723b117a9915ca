"""One HTTP transport for every connector: timeouts, the platforms' error bodies and their
rate-limit headers become PlatformErrors the tasks know how to retry or record."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from django.conf import settings

from clients.crypto import decrypt_token
from clients.platforms.base import PermanentPlatformError, TransientPlatformError, as_object

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

# A platform's own words and error code from its error body, when it has them.
ErrorReader = Callable[[Any], tuple[str, int | None]]


def read_common_error(body: Any) -> tuple[str, int | None]:
    """Google, YouTube, Meta: {"error": {"message", "code"}}; X v2: {"title", "detail",
    "errors": [{"message"}]}; LinkedIn: {"message", "status"}; TikTok: {"message", "code"}."""
    body = as_object(body)
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("error_user_msg") or error.get("message") or ""
        return str(message), code if isinstance(code, int) else None
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = as_object(errors[0])
        detail = first.get("message") or first.get("detail") or body.get("detail") or ""
        return str(detail), None
    message = body.get("detail") or body.get("message") or body.get("title") or ""
    code = body.get("code") if isinstance(body.get("code"), int) else None
    return str(message), code


def account_token(account: ConnectedAccount) -> str:
    """The account's decrypted access token, or a permanent error the agent can act on."""
    token = decrypt_token(account.access_token_encrypted) if account.access_token_encrypted else ""
    if not token:
        raise PermanentPlatformError(
            f"{account.name} has no access token: reconnect the account to act from it."
        )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def api_call(
    method: str,
    base_url: str,
    path: str,
    *,
    product: str,
    headers: dict[str, str],
    params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    json_body: Any = None,
    rate_limit_codes: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """One call to the API at `base_url`: its JSON object answer ({} for none), or a
    PlatformError (see request_json)."""
    _, body = request_json(
        method,
        f"{base_url.rstrip('/')}/{path.lstrip('/')}",
        product=product,
        headers=headers,
        params=params,
        data=data,
        json_body=json_body,
        rate_limit_codes=rate_limit_codes,
    )
    return as_object(body)


@dataclass(frozen=True)
class PlatformApi:
    """One platform's API as its connector calls it: where it is (a setting's name, read at
    call time), how a token goes in the headers, and, for APIs that wrap every answer in an
    envelope (X, TikTok), the key holding the answer."""

    product: str
    base_url_setting: str
    headers: Callable[[str], dict[str, str]] = bearer
    envelope: str = ""

    def request(
        self,
        token: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        answer = api_call(
            method,
            getattr(settings, self.base_url_setting),
            path,
            product=self.product,
            headers=self.headers(token),
            params=params,
            json_body=body,
        )
        return as_object(answer.get(self.envelope)) if self.envelope else answer

    def call(
        self,
        account: ConnectedAccount,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """`request` with the account's own token."""
        return self.request(account_token(account), method, path, body, params=params)


def request_json(
    method: str,
    url: str,
    *,
    product: str,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    json_body: Any = None,
    read_error: ErrorReader = read_common_error,
    rate_limit_codes: frozenset[int] = frozenset(),
) -> tuple[int, Any]:
    """Make one call; return (status, parsed JSON body or {}) for a 2xx answer.

    Timeouts, unreachable hosts, 429, 5xx and the platform's own rate-limit codes raise
    TransientPlatformError (with the wait the platform asks for); any other refusal raises
    PermanentPlatformError with the platform's message. `product` names the platform in
    messages agents read."""
    try:
        response = httpx.request(
            method,
            url,
            headers=headers,
            params=params,
            data=data,
            json=json_body,
            timeout=settings.PLATFORM_HTTP_TIMEOUT_SECONDS,
        )
    except httpx.TimeoutException as error:
        raise TransientPlatformError(f"{product} did not answer in time ({error}).") from error
    except httpx.TransportError as error:
        raise TransientPlatformError(f"{product} could not be reached ({error}).") from error
    try:
        body: Any = response.json() if response.content else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = {}
    message, code = read_error(body) if not response.is_success or _has_error(body) else ("", None)
    if response.is_success and not message:
        return response.status_code, body
    message = message or f"{product} answered HTTP {response.status_code}."
    if response.status_code == 429 or response.status_code >= 500 or code in rate_limit_codes:
        raise TransientPlatformError(
            message,
            status_code=response.status_code,
            code=code,
            retry_after_seconds=retry_after_seconds(response.headers),
        )
    raise PermanentPlatformError(message, status_code=response.status_code, code=code)


def _has_error(body: Any) -> bool:
    """Some platforms answer 200 with an error inside (Meta's {"error"}, TikTok's code != 0)."""
    body = as_object(body)
    return "error" in body or (isinstance(body.get("code"), int) and body["code"] != 0)


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """How long the platform asks us to wait: Retry-After, X's x-rate-limit-reset (epoch
    seconds), or Meta's usage headers (minutes until access is regained, §1.12)."""
    retry_after = headers.get("Retry-After")
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after)
    reset = headers.get("x-rate-limit-reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - time.time())
    for name in ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Page-Usage"):
        usage = headers.get(name)
        if not usage:
            continue
        try:
            parsed = json.loads(usage)
            items = [item for group in parsed.values() for item in group]
            minutes = max(int(item.get("estimated_time_to_regain_access") or 0) for item in items)
        except (ValueError, TypeError, AttributeError):
            continue
        if minutes:
            return float(minutes * 60)
    return None
