"""X connector (platforms.md §2): Account Activity webhooks in, API v2 out.

One delivery holds `for_user_id` (our connected account) and one or more `*_events` arrays;
each element becomes one stored event. Tweets come as v1.1 objects: ids are read from
`id_str`, never from the number."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.platforms.base import (
    Direction,
    DiscoveredAccount,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    ReplyTarget,
    SplitEvent,
    as_count,
    as_object,
    created_id,
    fallback_dedupe_key,
    from_unix_milliseconds,
)
from clients.platforms.http import PlatformApi

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "x"
PRODUCT = "X"
SIGNATURE_HEADER = "x-twitter-webhooks-signature"
_SIGNATURE_PREFIX = "sha256="

# Activity that is not an interaction: typing and read receipts are acknowledged and dropped.
IGNORED_EVENT_LISTS = {
    "direct_message_indicate_typing_events",
    "direct_message_mark_read_events",
}


class MalformedDelivery(ValueError):
    """The JSON is well-formed but not an Account Activity delivery."""


# --- Verify ------------------------------------------------------------------------------


def _digest(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def crc_response(crc_token: str, consumer_secret: str) -> dict[str, str]:
    """The answer to X's challenge-response check (§2.1): base64, not hex."""
    return {"response_token": _SIGNATURE_PREFIX + _digest(consumer_secret, crc_token.encode())}


def verify_signature(raw_body: bytes, header: str | None, consumer_secret: str) -> bool:
    """True when `header` is the base64 HMAC-SHA256 of the exact bytes under the consumer
    secret (§2.2)."""
    if not consumer_secret or not header:
        return False
    expected = _SIGNATURE_PREFIX + _digest(consumer_secret, raw_body)
    return hmac.compare_digest(expected.encode(), header.strip().encode())


# --- Split -------------------------------------------------------------------------------


def split_delivery(payload: Any) -> list[SplitEvent]:
    """One SplitEvent per element of every `*_events` array of the delivery."""
    if not isinstance(payload, dict) or not payload.get("for_user_id"):
        raise MalformedDelivery("expected an object with 'for_user_id'")
    account_id = str(payload["for_user_id"])
    users = as_object(payload.get("users"))
    events = []
    for list_name, items in payload.items():
        if not list_name.endswith("_events") or list_name in IGNORED_EVENT_LISTS:
            continue
        if not isinstance(items, list):
            raise MalformedDelivery(f"'{list_name}' must be a list")
        for item in items:
            if not isinstance(item, dict):
                raise MalformedDelivery(f"every element of '{list_name}' must be an object")
            event_payload: dict[str, Any] = {
                "for_user_id": account_id,
                "list": list_name,
                "event": item,
            }
            if list_name == "direct_message_events":
                message = as_object(item.get("message_create"))
                people = {
                    str(message.get("sender_id") or ""),
                    str(as_object(message.get("target")).get("recipient_id") or ""),
                }
                event_payload["users"] = {k: v for k, v in users.items() if k in people}
            events.append(
                SplitEvent(
                    platform=PLATFORM,
                    account_external_id=account_id,
                    dedupe_key=_dedupe_key(list_name, item),
                    payload=event_payload,
                )
            )
    return events


def _dedupe_key(list_name: str, item: dict[str, Any]) -> str:
    if list_name == "tweet_create_events" and item.get("id_str"):
        return f"tweet:{item['id_str']}"
    if list_name == "tweet_delete_events":
        status = as_object(item.get("status"))
        if status.get("id"):
            return f"tweet-delete:{status['id']}"
    if list_name in ("direct_message_events", "favorite_events") and item.get("id"):
        return f"{list_name}:{item['id']}"
    if list_name == "follow_events":
        source = as_object(item.get("source")).get("id")
        if source:
            return f"{item.get('type')}:{source}:{item.get('created_timestamp')}"
    return fallback_dedupe_key({"list": list_name, "event": item})


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    """The common model of one stored event, or None for kinds Parley does not keep (blocks,
    mutes, app revocations, our own follows)."""
    account_id = str(payload.get("for_user_id") or "")
    event = as_object(payload.get("event"))
    match payload.get("list"):
        case "tweet_create_events":
            return _normalize_tweet(event, account_id)
        case "tweet_delete_events":
            return _normalize_tweet_delete(event)
        case "favorite_events":
            return _normalize_favorite(event, account_id)
        case "follow_events":
            return _normalize_follow(event, account_id)
        case "direct_message_events":
            return _normalize_dm(event, account_id, as_object(payload.get("users")))
    return None


def _normalize_tweet(tweet: dict[str, Any], account_id: str) -> NormalizedInteraction | None:
    tweet_id = str(tweet.get("id_str") or "")
    author = _author(as_object(tweet.get("user")))
    if not tweet_id or author is None:
        return None
    replied_to = str(tweet.get("in_reply_to_status_id_str") or "")
    retweeted = as_object(tweet.get("retweeted_status"))
    quoted = str(
        tweet.get("quoted_status_id_str")
        or as_object(tweet.get("quoted_status")).get("id_str")
        or ""
    )
    is_ours = author.external_id == account_id
    if retweeted or (quoted and not replied_to):
        original = str(retweeted.get("id_str") or quoted)
        return _tweet_interaction(
            tweet,
            author,
            kind=InteractionKind.SHARE,
            direction=Direction.OUTBOUND if is_ours else Direction.INBOUND,
            thread_key=f"engagement:{original}",
            parent=original,
            text="" if retweeted else _full_text(tweet),
        )
    answers_us = str(tweet.get("in_reply_to_user_id_str") or "") == account_id
    return _tweet_interaction(
        tweet,
        author,
        # A reply to one of our posts is a comment on it; anything else that reaches us
        # names us: a mention.
        kind=InteractionKind.COMMENT if answers_us and replied_to else InteractionKind.MENTION,
        direction=Direction.OUTBOUND if is_ours else Direction.INBOUND,
        # Its own thread, unless it answers a post we hold: the pipeline then puts it in
        # that post's thread (a conversation is followed reply by reply).
        thread_key=tweet_id,
        parent=replied_to,
        text=_full_text(tweet),
    )


def _tweet_interaction(
    tweet: dict[str, Any],
    author: NormalizedAuthor,
    *,
    kind: InteractionKind,
    direction: Direction,
    thread_key: str,
    parent: str,
    text: str,
) -> NormalizedInteraction:
    tweet_id = str(tweet["id_str"])
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=kind,
        action=InteractionAction.CREATED,
        direction=direction,
        external_id=tweet_id,
        thread_key=thread_key,
        parent_external_id=parent,
        author=author,
        text=text,
        occurred_at=_tweet_time(tweet),
        permalink=f"https://x.com/{author.handle or 'i'}/status/{tweet_id}",
    )


def _normalize_tweet_delete(event: dict[str, Any]) -> NormalizedInteraction | None:
    status = as_object(event.get("status"))
    tweet_id = str(status.get("id") or status.get("id_str") or "")
    user_id = str(status.get("user_id") or status.get("user_id_str") or "")
    if not tweet_id:
        return None
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.MENTION,
        action=InteractionAction.DELETED,
        direction=Direction.INBOUND,
        external_id=tweet_id,
        thread_key=tweet_id,
        parent_external_id="",
        author=NormalizedAuthor(external_id=user_id) if user_id else None,
        text="",
        occurred_at=from_unix_milliseconds(event.get("timestamp_ms"), timezone.now()),
    )


def _normalize_favorite(event: dict[str, Any], account_id: str) -> NormalizedInteraction | None:
    author = _author(as_object(event.get("user")))
    liked = str(as_object(event.get("favorited_status")).get("id_str") or "")
    if author is None or not event.get("id") or not liked or author.external_id == account_id:
        return None
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.LIKE,
        action=InteractionAction.CREATED,
        direction=Direction.INBOUND,
        external_id=f"favorite:{event['id']}",
        thread_key=f"engagement:{liked}",
        parent_external_id=liked,
        post_external_id=liked,
        author=author,
        text="",
        occurred_at=from_unix_milliseconds(event.get("timestamp_ms"), _tweet_time(event)),
        permalink=f"https://x.com/i/status/{liked}",
        reaction="like",
    )


def _normalize_follow(event: dict[str, Any], account_id: str) -> NormalizedInteraction | None:
    author = _author(as_object(event.get("source")))
    kind = {"follow": InteractionKind.FOLLOW, "unfollow": InteractionKind.UNFOLLOW}.get(
        str(event.get("type"))
    )
    if author is None or kind is None or author.external_id == account_id:
        return None  # our own account followed someone: not an interaction with the brand
    occurred_at = from_unix_milliseconds(event.get("created_timestamp"), timezone.now())
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=kind,
        action=InteractionAction.CREATED,
        direction=Direction.INBOUND,
        external_id=f"{kind}:{author.external_id}:{event.get('created_timestamp')}",
        thread_key=f"follow:{author.external_id}",
        parent_external_id="",
        author=author,
        text="",
        occurred_at=occurred_at,
        permalink=f"https://x.com/{author.handle}" if author.handle else "",
    )


def _normalize_dm(
    event: dict[str, Any], account_id: str, users: dict[str, Any]
) -> NormalizedInteraction | None:
    message = as_object(event.get("message_create"))
    sender_id = str(message.get("sender_id") or "")
    recipient_id = str(as_object(message.get("target")).get("recipient_id") or "")
    if event.get("type") != "message_create" or not event.get("id") or not sender_id:
        return None
    is_ours = sender_id == account_id
    person_id = recipient_id if is_ours else sender_id
    data = as_object(message.get("message_data"))
    attachment = as_object(data.get("attachment"))
    media = as_object(attachment.get("media"))
    attachments: tuple[dict[str, str], ...] = ()
    if media:
        url = str(media.get("media_url_https") or media.get("url") or "")
        attachments = ({"type": str(media.get("type") or "media"), "url": url},)
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.DIRECT_MESSAGE,
        action=InteractionAction.CREATED,
        direction=Direction.OUTBOUND if is_ours else Direction.INBOUND,
        external_id=str(event["id"]),
        thread_key=f"dm:{person_id}",
        parent_external_id="",
        author=_author(as_object(users.get(person_id)), fallback_id=person_id),
        text=str(data.get("text") or ""),
        occurred_at=from_unix_milliseconds(event.get("created_timestamp"), timezone.now()),
        attachments=attachments,
    )


def _author(user: dict[str, Any], *, fallback_id: str = "") -> NormalizedAuthor | None:
    user_id = str(user.get("id_str") or user.get("id") or fallback_id)
    if not user_id:
        return None
    return NormalizedAuthor(
        external_id=user_id,
        name=str(user.get("name") or ""),
        handle=str(user.get("screen_name") or ""),
        avatar_url=str(user.get("profile_image_url_https") or ""),
        follower_count=as_count(user.get("followers_count")),
        is_verified=user.get("verified") is True,
    )


def _full_text(tweet: dict[str, Any]) -> str:
    """Long tweets keep their whole text in `extended_tweet` (§7.3)."""
    extended = as_object(tweet.get("extended_tweet"))
    return str(extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or "")


def _tweet_time(tweet: dict[str, Any]) -> dt.datetime:
    created = tweet.get("created_at")
    fallback = timezone.now()
    if isinstance(created, str):
        with contextlib.suppress(ValueError):
            fallback = dt.datetime.strptime(created, "%a %b %d %H:%M:%S %z %Y")
    return from_unix_milliseconds(tweet.get("timestamp_ms"), fallback)


# --- Outbound ----------------------------------------------------------------------------

REPLYABLE_KINDS = frozenset(
    {InteractionKind.COMMENT, InteractionKind.MENTION, InteractionKind.DIRECT_MESSAGE}
)
PRIVATE_REPLIES = False


API = PlatformApi(product=PRODUCT, base_url_setting="X_API_BASE_URL", envelope="data")


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    """Reply publicly to a post, or send a direct message; returns the new id."""
    if target.kind == InteractionKind.DIRECT_MESSAGE:
        data = API.call(
            account,
            "POST",
            f"dm_conversations/with/{target.contact_external_id}/messages",
            {"text": text},
        )
        return created_id(data, "dm_event_id", product="X", what="the message")
    data = API.call(
        account,
        "POST",
        "tweets",
        {"text": text, "reply": {"in_reply_to_tweet_id": target.external_id}},
    )
    return created_id(data, "id", product="X", what="the post")


def moderation_refusal(action: str, kind: str) -> str:
    if action == "hide" and kind != InteractionKind.COMMENT:
        return _("X can hide replies to your own posts only.")
    if action == "delete":
        return _("X lets an account delete only its own posts: hide the reply instead.")
    if action == "block" and not settings.X_API_ENTERPRISE:
        return _("Blocking through X's API needs the Enterprise plan: block them in the X app.")
    return ""


def set_hidden(account: ConnectedAccount, target: ReplyTarget, *, hidden: bool) -> None:
    """Hide a reply (only in conversations our account started, §2.4)."""
    API.call(account, "PUT", f"tweets/{target.external_id}/hidden", {"hidden": hidden})


def block(account: ConnectedAccount, target: ReplyTarget) -> None:
    """Block the author (the Enterprise plan only, see moderation_refusal)."""
    API.call(
        account,
        "POST",
        f"users/{account.external_account_id}/blocking",
        {"target_user_id": target.contact_external_id},
    )


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    """The one account the person signed in with."""
    user = API.request(access_token, "GET", "users/me")
    if not user.get("id"):
        return []
    return [DiscoveredAccount(str(user["id"]), f"@{user.get('username') or user['id']}")]
