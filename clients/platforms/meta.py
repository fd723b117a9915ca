"""Meta (Facebook Pages, Messenger, Instagram): webhook mechanics and Graph API transport.

platforms.md §1: one callback URL for all three products, signed with the app secret.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.utils import timezone

from clients.platforms.base import (
    SplitEvent,
    as_object,
    created_id,
    fallback_dedupe_key,
    objects_in,
    parse_rfc3339,
)
from clients.platforms.http import api_call, bearer

SIGNATURE_HEADER = "X-Hub-Signature-256"
_SIGNATURE_PREFIX = "sha256="

# Graph error codes that mean "slow down", not "this request is wrong" (platforms.md §1.12).
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80006})


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
        dedupe_key=change_dedupe_key(change),
        payload=payload,
    )


def fetched_change(
    meta_object: str, account_id: str, time: int, change: dict[str, Any]
) -> SplitEvent:
    """A change read from the Graph API (history backfill) as the webhook would have
    delivered it: the same payload shape and the same dedupe key, so a later delivery of it
    stores nothing."""
    envelope = {"object": meta_object, "entry_id": account_id, "time": time}
    return _change_event(meta_object, envelope, change)


RECENT_CONVERSATIONS = 25
MESSAGES_PER_CONVERSATION = 25
_HISTORY_MESSAGE_FIELDS = (
    f"messages.limit({MESSAGES_PER_CONVERSATION})"
    "{id,message,from,to,created_time,"
    "attachments{mime_type,name,file_url,image_data{url},video_data{url}}}"
)


def fetched_messages(
    meta_object: str,
    account_id: str,
    *,
    access_token: str,
    platform: str,
    product: str,
    node: str = "",
) -> list[SplitEvent]:
    """The account's recent conversations (Messenger for a Page, Instagram Direct for an
    Instagram account: `platform`), newest messages first, as the messaging events Meta would
    have sent for them: the same payload shape and the same dedupe key (the message id), and
    the account's own answers as echoes, so a later delivery of any of them stores nothing.
    `node` is the Graph node whose conversations are read, the account itself by default."""
    body = graph_call(
        "GET",
        f"{node or account_id}/conversations",
        access_token=access_token,
        params={
            "platform": platform,
            "limit": RECENT_CONVERSATIONS,
            "fields": _HISTORY_MESSAGE_FIELDS,
        },
        product=product,
    )
    items = [
        item
        for conversation in objects_in(body.get("data"))
        for message in objects_in(as_object(conversation.get("messages")).get("data"))
        if (item := _fetched_messaging_item(account_id, message))
    ]
    if not items:
        return []
    return split_delivery(
        {"object": meta_object, "entry": [{"id": account_id, "time": 0, "messaging": items}]}
    )


def _fetched_messaging_item(account_id: str, message: dict[str, Any]) -> dict[str, Any] | None:
    sender = str(as_object(message.get("from")).get("id") or "")
    recipients = [
        str(person["id"])
        for person in objects_in(as_object(message.get("to")).get("data"))
        if person.get("id")
    ]
    if not message.get("id") or not sender or not recipients:
        return None  # nothing Parley could thread
    created = parse_rfc3339(message.get("created_time"), timezone.now())
    content: dict[str, Any] = {"mid": str(message["id"]), "text": str(message.get("message") or "")}
    attachments = [
        _webhook_attachment(attachment)
        for attachment in objects_in(as_object(message.get("attachments")).get("data"))
    ]
    if attachments:
        content["attachments"] = attachments
    if sender == account_id:
        content["is_echo"] = True  # the account's own answer, as Meta echoes it
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipients[0]},
        "timestamp": int(created.timestamp() * 1000),
        "message": content,
    }


def _webhook_attachment(attachment: dict[str, Any]) -> dict[str, Any]:
    """A Graph API message attachment in the webhook's shape ({type, payload: {url}})."""
    image = as_object(attachment.get("image_data"))
    video = as_object(attachment.get("video_data"))
    mime_type = str(attachment.get("mime_type") or "")
    if image.get("url"):
        kind, url = "image", image["url"]
    elif video.get("url"):
        kind, url = "video", video["url"]
    else:
        kind = "audio" if mime_type.startswith("audio/") else "file"
        url = attachment.get("file_url") or ""
    return {"type": kind, "payload": {"url": str(url)}}


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


def change_dedupe_key(change: dict[str, Any]) -> str:  # noqa: PLR0911 - one key per kind
    """Natural keys of platforms.md §7.2. An edit, a removal or a hide is a new event on the
    same object, so the verb and its time are part of the key."""
    value = as_object(change.get("value"))
    field = change.get("field")
    item = value.get("item")
    verb = canonical_verb(str(value.get("verb", "")))
    when = value.get("edited_time") or value.get("created_time") or ""
    if field == "feed" and item == "comment" and value.get("comment_id"):
        return f"{value['comment_id']}:{verb}:{when}"
    if field == "feed" and item in ("reaction", "like"):
        target = value.get("comment_id") or value.get("parent_id") or value.get("post_id")
        person = as_object(value.get("from")).get("id") or value.get("user_id")
        if target and person:
            return f"reaction:{target}:{person}:{verb}:{when}"
    if field == "feed" and item == "share" and (value.get("share_id") or value.get("post_id")):
        return f"share:{value.get('share_id') or value.get('post_id')}:{verb}"
    if field == "mention" and (value.get("comment_id") or value.get("post_id")):
        return f"mention:{value.get('comment_id') or value.get('post_id')}:{verb}:{when}"
    if field == "ratings" and (value.get("comment_id") or value.get("open_graph_story_id")):
        rated = value.get("comment_id") or value.get("open_graph_story_id")
        return f"rating:{item}:{rated}:{verb}:{when}"
    if field in ("comments", "live_comments") and (value.get("id") or value.get("comment_id")):
        return str(value.get("id") or value.get("comment_id"))
    if field == "mentions" and (value.get("comment_id") or value.get("media_id")):
        return f"mention:{value.get('comment_id') or value.get('media_id')}"
    return fallback_dedupe_key(change)


def canonical_verb(verb: str) -> str:
    return {"edit": "edited", "delete": "remove"}.get(verb, verb)


# --- Graph API transport ------------------------------------------------------------------


def graph_call(
    method: str,
    path: str,
    *,
    access_token: str,
    params: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    json_body: dict[str, Any] | None = None,
    product: str = "Facebook",
) -> dict[str, Any]:
    """Call the Graph API; return the JSON answer, or raise a PlatformError subclass."""
    return api_call(
        method,
        settings.META_GRAPH_BASE_URL,
        path,
        product=product,
        headers=bearer(access_token),
        params=params,
        data=data,
        json_body=json_body,
        rate_limit_codes=_RATE_LIMIT_CODES,
    )


def graph_post(
    path: str,
    *,
    access_token: str,
    data: dict[str, Any] | None = None,
    json_body: dict[str, Any] | None = None,
    product: str = "Facebook",
) -> dict[str, Any]:
    """POST form `data` or a JSON body to the Graph API."""
    return graph_call(
        "POST", path, access_token=access_token, data=data, json_body=json_body, product=product
    )


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
        product=product,
    )
    return created_id(body, "message_id", product=product, what="the message")


# --- Connect -----------------------------------------------------------------------------


def long_lived_user_token(user_token: str) -> str:
    """Meta's login gives a user token that lasts about an hour; Page tokens read with a
    long-lived one do not expire, so the Pages keep working after the login is forgotten."""
    app = settings.OAUTH_PROVIDERS["meta"]
    body = graph_call(
        "GET",
        "oauth/access_token",
        access_token=user_token,
        params={
            "grant_type": "fb_exchange_token",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "fb_exchange_token": user_token,
        },
    )
    return str(body.get("access_token") or user_token)


def discover_pages(user_token: str) -> list[dict[str, Any]]:
    """The Pages the person manages, each with its (non-expiring) Page token and Instagram
    account."""
    body = graph_call(
        "GET",
        "me/accounts",
        access_token=long_lived_user_token(user_token),
        params={"fields": "id,name,access_token,instagram_business_account{id,username}"},
    )
    return [page for page in body.get("data") or [] if isinstance(page, dict) and page.get("id")]


# The Page webhook fields Parley reads (platforms.md §1.4 to §1.10).
PAGE_FIELDS = "feed,mention,ratings,messages,message_echoes,message_reactions"


def subscribe_page(page_id: str, page_token: str, *, subscribed: bool = True) -> None:
    """Subscribe the app to the Page's webhooks (or stop)."""
    graph_call(
        "POST" if subscribed else "DELETE",
        f"{page_id}/subscribed_apps",
        access_token=page_token,
        data={"subscribed_fields": PAGE_FIELDS} if subscribed else None,
    )
