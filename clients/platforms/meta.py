"""Meta (Facebook Pages, Messenger, Instagram): webhook mechanics and Graph API transport.

platforms.md §1: one callback URL for all three products, signed with the app secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from django.conf import settings

from clients.platforms.base import (
    PermanentPlatformError,
    SplitEvent,
    TransientPlatformError,
    as_object,
    fallback_dedupe_key,
)

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="

# Graph error codes that mean "slow down", not "this request is wrong" (platforms.md §1.12).
_RATE_LIMIT_CODES = {4, 17, 32, 613, 80001, 80002, 80006}


# --- Verify ------------------------------------------------------------------------------


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> bool:
    """True when `header` is the HMAC-SHA256 of the exact received bytes under the app secret.

    Never re-encode the body: Meta signs its \\u-escaped form, which is what arrives."""
    if not app_secret or not header or not header.startswith(_SIGNATURE_PREFIX):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len(_SIGNATURE_PREFIX) :].strip().lower())


def answer_handshake(params: dict[str, str], verify_token: str) -> str | None:
    """The challenge to echo for a valid subscription handshake, else None.

    Accepts the PHP-style underscored names too; refuses when no token is configured, since an
    empty token would otherwise match an empty parameter."""

    def param(name: str) -> str:
        return params.get(f"hub.{name}") or params.get(f"hub_{name}") or ""

    if not verify_token or param("mode") != "subscribe":
        return None
    if not hmac.compare_digest(param("verify_token").encode(), verify_token.encode()):
        return None
    challenge = param("challenge")
    return challenge or None


# --- Split -------------------------------------------------------------------------------


class MalformedDelivery(ValueError):
    """The JSON is well-formed but not a Meta webhook envelope."""


def split_delivery(payload: Any) -> list[SplitEvent]:
    """One SplitEvent per change or messaging item of every entry (platforms.md §1.2)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise MalformedDelivery("expected an object with an 'entry' list")
    meta_object = str(payload.get("object") or "")
    events: list[SplitEvent] = []
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not entry.get("id"):
            raise MalformedDelivery("every entry needs an 'id'")
        envelope = {"object": meta_object, "entry_id": str(entry["id"]), "time": entry.get("time")}
        changes = entry.get("changes")
        if isinstance(changes, list):
            for change in changes:
                events.append(_change_event(meta_object, envelope, change))
        if "field" in entry and "value" in entry:  # Instagram Login's flat shape (§1.2)
            flat = {"field": entry["field"], "value": entry["value"]}
            events.append(_change_event(meta_object, envelope, flat))
        for list_name in ("messaging", "standby"):
            messaging = entry.get(list_name)
            if isinstance(messaging, list):
                for item in messaging:
                    events.append(_messaging_event(meta_object, envelope, item))
    return events


def _platform_for(meta_object: str, *, messaging: bool) -> str:
    if meta_object == "instagram":
        return "instagram"
    return "messenger" if messaging else "facebook"


def _change_event(meta_object: str, envelope: dict[str, Any], change: Any) -> SplitEvent:
    if not isinstance(change, dict):
        raise MalformedDelivery("every change must be an object")
    payload = {**envelope, "change": change}
    return SplitEvent(
        platform=_platform_for(meta_object, messaging=False),
        account_external_id=envelope["entry_id"],
        dedupe_key=_change_dedupe_key(change),
        payload=payload,
    )


def _messaging_event(meta_object: str, envelope: dict[str, Any], item: Any) -> SplitEvent:
    if not isinstance(item, dict):
        raise MalformedDelivery("every messaging item must be an object")
    message = as_object(item.get("message"))
    mid = message.get("mid")
    if mid:
        dedupe_key = f"{mid}:deleted" if message.get("is_deleted") else str(mid)
    else:
        dedupe_key = fallback_dedupe_key(item)
    return SplitEvent(
        platform=_platform_for(meta_object, messaging=True),
        account_external_id=envelope["entry_id"],
        dedupe_key=dedupe_key,
        payload={**envelope, "messaging": item},
    )


def _change_dedupe_key(change: dict[str, Any]) -> str:
    """Natural keys of platforms.md §7.2; an edit is a new event on the same comment."""
    value = as_object(change.get("value"))
    field = change.get("field")
    if field == "feed" and value.get("item") == "comment" and value.get("comment_id"):
        verb = canonical_verb(str(value.get("verb", "")))
        when = value.get("edited_time") or value.get("created_time") or ""
        return f"{value['comment_id']}:{verb}:{when}"
    if field in ("comments", "live_comments") and (value.get("id") or value.get("comment_id")):
        return str(value.get("id") or value.get("comment_id"))
    if field == "mentions" and (value.get("comment_id") or value.get("media_id")):
        return f"mention:{value.get('comment_id') or value.get('media_id')}"
    return fallback_dedupe_key(change)


def canonical_verb(verb: str) -> str:
    return {"edit": "edited", "delete": "remove"}.get(verb, verb)


# --- Graph API transport ------------------------------------------------------------------


def graph_post(
    path: str,
    *,
    access_token: str,
    data: dict[str, Any] | None = None,
    json_body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """POST form `data` or a JSON body to the Graph API; return the JSON answer, or raise a
    PlatformError subclass."""
    url = f"{settings.META_GRAPH_BASE_URL.rstrip('/')}/{path.lstrip('/')}"
    try:
        response = httpx.post(
            url,
            data=data,
            json=json_body,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=settings.PLATFORM_HTTP_TIMEOUT_SECONDS,
        )
    except httpx.TimeoutException as error:
        raise TransientPlatformError(f"Facebook did not answer in time ({error}).") from error
    except httpx.TransportError as error:
        raise TransientPlatformError(f"Facebook could not be reached ({error}).") from error
    return _parse_graph_response(response)


def _parse_graph_response(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = {}
    if response.is_success and isinstance(body, dict) and "error" not in body:
        return body
    error = as_object(as_object(body).get("error"))
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = str(
        error.get("error_user_msg") or error.get("message") or f"HTTP {response.status_code}"
    )
    if response.status_code == 429 or response.status_code >= 500 or code in _RATE_LIMIT_CODES:
        raise TransientPlatformError(
            message,
            status_code=response.status_code,
            code=code,
            retry_after_seconds=_retry_after_seconds(response),
        )
    raise PermanentPlatformError(message, status_code=response.status_code, code=code)


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """How long Meta asks us to wait: Retry-After, or the BUC header's minutes (§1.12)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after and retry_after.isdigit():
        return float(retry_after)
    usage = response.headers.get("X-Business-Use-Case-Usage")
    if usage:
        try:
            parsed = json.loads(usage)
            minutes = max(
                int(item.get("estimated_time_to_regain_access") or 0)
                for items in parsed.values()
                for item in items
            )
        except (ValueError, TypeError, AttributeError):
            return None
        return float(minutes * 60) if minutes else None
    return None


def send_message(
    account_id: str,
    *,
    access_token: str,
    recipient: dict[str, str],
    text: str,
    product: str,
    **extra: str,
) -> str:
    """POST /{account}/messages (Messenger, Instagram Direct, private replies to comments);
    returns the message id. `product` names the platform in errors people read."""
    body = graph_post(
        f"{account_id}/messages",
        access_token=access_token,
        json_body={"recipient": recipient, **extra, "message": {"text": text}},
    )
    message_id = body.get("message_id")
    if not message_id:
        raise PermanentPlatformError(f"{product} accepted the message but returned no id.")
    return str(message_id)
