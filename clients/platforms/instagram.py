"""Instagram connector (platforms.md §1.7 to §1.9, §1.11): comments and direct messages of an
Instagram professional account.

Events arrive on the Meta webhook with `object: "instagram"`; comments come in `changes[]` or
flat on the entry (Instagram Login), messages in `messaging[]`. Mentions carry only ids: the
pipeline calls `enrich_event` first, which fetches the mentioning comment or caption, and
normalizes what it fetched. Story mentions arrive as messages (see messenger.normalize_message).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clients.platforms import meta
from clients.platforms.base import (
    Direction,
    DiscoveredAccount,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    ReplyTarget,
    SplitEvent,
    as_object,
    as_text,
    created_id,
    from_unix_seconds,
    gathered_history,
    objects_in,
    parse_rfc3339,
)
from clients.platforms.http import account_token
from clients.platforms.messenger import normalize_message

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "instagram"
_COMMENT_FIELDS = {"comments", "live_comments"}


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    if "messaging" in payload:
        return normalize_message(payload, platform=PLATFORM)
    change = as_object(payload.get("change"))
    value = as_object(change.get("value"))
    field = as_text(change.get("field"))
    if field == "mentions":
        return _normalize_mention(value, as_object(payload.get("fetched")), payload.get("time"))
    if field not in _COMMENT_FIELDS:
        return None
    return _normalize_comment(
        value, account_id=str(payload.get("entry_id", "")), entry_time=payload.get("time")
    )


def enrich_event(account: ConnectedAccount, payload: dict[str, Any]) -> dict[str, Any] | None:
    """What a mention needs that its notification leaves out: the text, the author and the
    media (platforms.md §1.8). None when the event needs nothing fetched."""
    change = as_object(payload.get("change"))
    value = as_object(change.get("value"))
    if change.get("field") != "mentions" or "fetched" in payload:
        return None
    comment_id, media_id = value.get("comment_id"), value.get("media_id")
    if comment_id:
        fields = (
            f"mentioned_comment.comment_id({comment_id})"
            "{text,username,timestamp,media{id,permalink}}"
        )
    elif media_id:
        fields = f"mentioned_media.media_id({media_id}){{caption,username,timestamp,permalink}}"
    else:
        return None
    return meta.graph_call(
        "GET",
        account.external_account_id,
        access_token=account_token(account),
        params={"fields": fields},
        product="Instagram",
    )


def _normalize_mention(
    value: dict[str, Any], fetched: dict[str, Any], entry_time: Any
) -> NormalizedInteraction | None:
    comment = as_object(fetched.get("mentioned_comment"))
    media = as_object(fetched.get("mentioned_media"))
    found = comment or media
    media_id = str(value.get("media_id") or as_object(comment.get("media")).get("id") or "")
    mention_id = str(value.get("comment_id") or media_id)
    username = str(found.get("username") or "")
    if not mention_id or not found:
        return None
    permalink = str(
        media.get("permalink") or as_object(comment.get("media")).get("permalink") or ""
    )
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.MENTION,
        action=InteractionAction.CREATED,
        direction=Direction.INBOUND,
        external_id=mention_id,
        thread_key=f"mention:{mention_id}",
        parent_external_id=media_id if value.get("comment_id") else "",
        post_external_id=media_id,
        # The fetch names the author by username only; that is the identity we can keep.
        author=NormalizedAuthor(external_id=f"@{username}", handle=username) if username else None,
        text=str(comment.get("text") or media.get("caption") or ""),
        occurred_at=parse_rfc3339(
            found.get("timestamp"), from_unix_seconds(entry_time, timezone.now())
        ),
        permalink=permalink if permalink.startswith("https://") else "",
    )


def _normalize_comment(
    value: dict[str, Any], *, account_id: str, entry_time: Any
) -> NormalizedInteraction | None:
    comment_id = value.get("id") or value.get("comment_id")
    media_id = as_object(value.get("media")).get("id")
    sender = as_object(value.get("from"))
    if not comment_id or not media_id or not sender.get("id"):
        return None
    is_own = bool(sender.get("self_ig_scoped_id")) or str(sender.get("id")) == account_id
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=InteractionAction.CREATED,
        direction=Direction.OUTBOUND if is_own else Direction.INBOUND,
        external_id=str(comment_id),
        # As on Facebook: one thread per top-level comment and its replies.
        thread_key=str(value.get("parent_id") or comment_id),
        parent_external_id=str(value.get("parent_id") or media_id),
        post_external_id=str(media_id),
        author=NormalizedAuthor(
            external_id=str(sender["id"]), handle=str(sender.get("username") or "")
        ),
        text=str(value.get("text") or ""),
        # The comment carries no time of its own: the notification's is the closest.
        occurred_at=from_unix_seconds(entry_time, timezone.now()),
    )


# --- Outbound ----------------------------------------------------------------------------

# Instagram messaging through Facebook Login goes through the Page the account is linked to
# (`/{page-id}/messages`, platforms.md §1.11, and `/{page-id}/conversations?platform=instagram`).
# The account's token is that Page's, and with a Page's token `me` is the Page.
LINKED_PAGE = "me"

REPLYABLE_KINDS = frozenset(
    {InteractionKind.COMMENT, InteractionKind.DIRECT_MESSAGE, InteractionKind.MENTION}
)
PRIVATE_REPLIES = True


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    """Answer as the Instagram account; returns the platform id of the answer."""
    if target.kind == InteractionKind.DIRECT_MESSAGE or target.thread_key.startswith("dm:"):
        return send_direct_message(account, recipient_id=target.contact_external_id, text=text)
    if private:
        return meta.send_message(
            LINKED_PAGE,
            access_token=account_token(account),
            recipient={"comment_id": target.external_id},
            text=text,
            product="Instagram",
        )
    if target.kind == InteractionKind.MENTION:
        return reply_to_mention(account, target=target, text=text)
    return reply_to_comment(account, comment_id=target.external_id, text=text)


def reply_to_comment(account: ConnectedAccount, *, comment_id: str, text: str) -> str:
    """Answer under an Instagram comment (top-level comments only); returns the reply's id."""
    body = meta.graph_post(
        f"{comment_id}/replies",
        access_token=account_token(account),
        data={"message": text},
        product="Instagram",
    )
    return created_id(body, "id", product="Instagram")


def reply_to_mention(account: ConnectedAccount, *, target: ReplyTarget, text: str) -> str:
    """Answer where the account was mentioned: under the comment, or under the caption."""
    data = {"media_id": target.post_external_id, "message": text}
    if target.external_id != target.post_external_id:
        data["comment_id"] = target.external_id
    body = meta.graph_post(
        f"{account.external_account_id}/mentions",
        access_token=account_token(account),
        data=data,
        product="Instagram",
    )
    return created_id(body, "id", product="Instagram")


def send_direct_message(account: ConnectedAccount, *, recipient_id: str, text: str) -> str:
    """Answer a person in Instagram Direct (Meta's 24-hour window); returns the message id."""
    return meta.send_message(
        LINKED_PAGE,
        access_token=account_token(account),
        recipient={"id": recipient_id},
        text=text,
        product="Instagram",
    )


def moderation_refusal(action: str, kind: str) -> str:
    if action == "block":
        return _("Instagram has no API to block people: block them in the Instagram app.")
    if kind != InteractionKind.COMMENT:
        return _("Instagram can hide and delete comments only.")
    return ""


def set_hidden(account: ConnectedAccount, target: ReplyTarget, *, hidden: bool) -> None:
    meta.graph_post(
        target.external_id,
        access_token=account_token(account),
        data={"hide": "true" if hidden else "false"},
        product="Instagram",
    )


def delete(account: ConnectedAccount, target: ReplyTarget) -> None:
    meta.graph_call(
        "DELETE", target.external_id, access_token=account_token(account), product="Instagram"
    )


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    """The Instagram professional accounts linked to the person's Pages (with the Page's
    token, which is what Instagram's Graph calls take)."""
    found = []
    for page in meta.discover_pages(access_token):
        instagram = as_object(page.get("instagram_business_account"))
        if instagram.get("id"):
            handle = instagram.get("username") or instagram["id"]
            name = f"@{handle} ({page.get('name') or page['id']})"
            found.append(
                DiscoveredAccount(str(instagram["id"]), name, str(page.get("access_token") or ""))
            )
    return found


# --- History -----------------------------------------------------------------------------

RECENT_MEDIA = 25
_COMMENT = "id,text,timestamp,from{id,username},parent_id"


def backfill(account: ConnectedAccount) -> list[SplitEvent]:
    """The comments and replies under the account's recent media and the messages of its
    recent Direct conversations, as the events Meta would have sent for them: same shape and
    same dedupe keys, so a webhook for one of them later changes nothing."""
    return gathered_history(
        functools.partial(_comment_history, account), functools.partial(_message_history, account)
    )


def _message_history(account: ConnectedAccount) -> list[SplitEvent]:
    return meta.fetched_messages(
        "instagram",
        account.external_account_id,
        access_token=account_token(account),
        platform="instagram",
        product="Instagram",
        node=LINKED_PAGE,
    )


def _comment_history(account: ConnectedAccount) -> list[SplitEvent]:
    """The comments and replies under the account's recent media, as `comments` events (the
    comment's id is the dedupe key)."""
    body = meta.graph_call(
        "GET",
        f"{account.external_account_id}/media",
        access_token=account_token(account),
        params={
            "limit": RECENT_MEDIA,
            "fields": f"id,media_product_type,comments.limit(100){{{_COMMENT},"
            f"replies.limit(100){{{_COMMENT}}}}}",
        },
    )
    events = []
    for media in objects_in(body.get("data")):
        for comment in objects_in(as_object(media.get("comments")).get("data")):
            events.extend(_comment_event(account.external_account_id, media, comment))
            for reply in objects_in(as_object(comment.get("replies")).get("data")):
                # A reply listed under its comment may leave out parent_id: it is that comment.
                answered = {"parent_id": comment.get("id"), **reply}
                events.extend(_comment_event(account.external_account_id, media, answered))
    return events


def _comment_event(
    account_id: str, media: dict[str, Any], comment: dict[str, Any]
) -> list[SplitEvent]:
    sender = as_object(comment.get("from"))
    if not comment.get("id") or not media.get("id") or not sender.get("id"):
        return []  # nothing Parley could read (the normalizer would skip it)
    created = parse_rfc3339(comment.get("timestamp"), timezone.now())
    value = {
        "id": str(comment["id"]),
        "text": str(comment.get("text") or ""),
        "from": {"id": str(sender["id"]), "username": str(sender.get("username") or "")},
        "media": {
            "id": str(media["id"]),
            "media_product_type": str(media.get("media_product_type") or ""),
        },
    }
    if comment.get("parent_id"):
        value["parent_id"] = str(comment["parent_id"])
    change = {"field": "comments", "value": value}
    # The webhook's time is the notification's; here it is the comment's own.
    return [meta.fetched_change("instagram", account_id, int(created.timestamp()), change)]
