"""TikTok business comments (platforms.md §6): polled per business account, answered and
hidden through the Accounts API. The envelope's `code` is the verdict, even with HTTP 200."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from clients.platforms.base import (
    Direction,
    DiscoveredAccount,
    InteractionAction,
    InteractionKind,
    NormalizedAuthor,
    NormalizedInteraction,
    PermanentPlatformError,
    PollResult,
    ReplyTarget,
    SplitEvent,
    as_object,
    created_id,
    from_unix_seconds,
    objects_in,
)
from clients.platforms.http import PlatformApi

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

logger = logging.getLogger(__name__)

PLATFORM = "tiktok"
PRODUCT = "TikTok"
RECENT_VIDEOS = 20
PAGE_SIZE = 30  # the API's maximum
MAX_REPLY_LENGTH = 150


# --- Poll --------------------------------------------------------------------------------


def poll(account: ConnectedAccount, cursor: dict[str, Any]) -> PollResult:
    """New comments on the account's recent videos, newest first, until the last poll's
    newest `create_time` (TikTok comments cannot be edited)."""
    since = int(cursor.get("created_since") or 0)
    newest = since
    business_id = account.external_account_id
    videos = API.call(
        account,
        "GET",
        "business/video/list/",
        params={"business_id": business_id, "max_count": RECENT_VIDEOS},
    )
    events: list[SplitEvent] = []
    for video in videos.get("videos") or []:
        video_id = str(as_object(video).get("item_id") or as_object(video).get("video_id") or "")
        if not video_id:
            continue
        for comment in _comments_since(account, video_id, since):
            created = int(comment.get("create_time") or 0)
            if not comment.get("comment_id") or created <= since:
                continue
            newest = max(newest, created)
            events.append(
                SplitEvent(
                    platform=PLATFORM,
                    account_external_id=business_id,
                    dedupe_key=f"{comment['comment_id']}:{comment.get('status') or ''}",
                    payload={"comment": comment},
                )
            )
    return PollResult(events, {"created_since": newest})


MAX_COMMENT_PAGES = 50  # 1,500 new comments per video and poll


def _comments_since(account: ConnectedAccount, video_id: str, since: int) -> list[dict[str, Any]]:
    """A video's comments, newest first, page by page until one older than `since` (or the
    last page): a busy video gets more than a page between two polls."""
    found: list[dict[str, Any]] = []
    page_cursor: Any = 0
    for _page in range(MAX_COMMENT_PAGES):
        body = API.call(
            account,
            "GET",
            "business/comment/list/",
            params={
                "business_id": account.external_account_id,
                "video_id": video_id,
                "include_replies": "true",
                "status": "ALL",
                "sort_field": "create_time",
                "sort_order": "desc",
                "max_count": PAGE_SIZE,
                "cursor": page_cursor,
            },
        )
        page = objects_in(body.get("comments"))
        found.extend(page)
        reached = any(int(comment.get("create_time") or 0) <= since for comment in page)
        if reached or not page or not body.get("has_more"):
            return found
        page_cursor = body.get("cursor")
    logger.warning(
        "TikTok video %s: more than %d new comments, the rest not read", video_id, len(found)
    )
    return found


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    comment = as_object(payload.get("comment"))
    comment_id = str(comment.get("comment_id") or "")
    user_id = str(comment.get("user_id") or "")
    video_id = str(comment.get("video_id") or "")
    if not comment_id or not user_id:
        return None
    parent = str(comment.get("parent_comment_id") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=InteractionAction.HIDDEN
        if comment.get("status") == "HIDDEN"
        else InteractionAction.CREATED,
        direction=Direction.OUTBOUND if comment.get("owner") is True else Direction.INBOUND,
        external_id=comment_id,
        thread_key=parent or comment_id,
        parent_external_id=parent or video_id,
        post_external_id=video_id,
        author=NormalizedAuthor(
            external_id=user_id,
            handle=str(comment.get("username") or ""),
            avatar_url=str(comment.get("profile_image") or ""),
        ),
        text=str(comment.get("text") or ""),
        occurred_at=from_unix_seconds(comment.get("create_time"), timezone.now()),
    )


# --- Outbound ----------------------------------------------------------------------------

REPLYABLE_KINDS = frozenset({InteractionKind.COMMENT})
PRIVATE_REPLIES = False


def _headers(token: str) -> dict[str, str]:
    return {"Access-Token": token}


API = PlatformApi(
    product=PRODUCT, base_url_setting="TIKTOK_BASE_URL", headers=_headers, envelope="data"
)


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    if len(text) > MAX_REPLY_LENGTH:
        raise PermanentPlatformError(
            _("TikTok replies are limited to %(limit)d characters.") % {"limit": MAX_REPLY_LENGTH}
        )
    data = API.call(
        account,
        "POST",
        "business/comment/reply/create/",
        body={
            "business_id": account.external_account_id,
            "video_id": target.post_external_id,
            "comment_id": target.thread_key,
            "text": text,
        },
    )
    return created_id(data, "comment_id", product="TikTok")


def moderation_refusal(action: str, kind: str) -> str:
    return {
        "delete": _("TikTok's API cannot delete other people's comments: hide it instead."),
        "block": _("TikTok's API cannot block people: do it in the TikTok app."),
    }.get(action, "")


def set_hidden(account: ConnectedAccount, target: ReplyTarget, *, hidden: bool) -> None:
    API.call(
        account,
        "POST",
        "business/comment/hide/",
        body={
            "business_id": account.external_account_id,
            "video_id": target.post_external_id,
            "comment_id": target.external_id,
            "action": "HIDE" if hidden else "UNHIDE",
        },
    )


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    """The business account that authorized Parley (its id comes with the token)."""
    business_id = str(extra.get("open_id") or extra.get("business_id") or "")
    if not business_id:
        return []
    data = API.request(
        access_token,
        "GET",
        "business/get/",
        params={"business_id": business_id, "fields": '["username","display_name"]'},
    )
    name = data.get("display_name") or data.get("username") or business_id
    return [DiscoveredAccount(business_id, str(name))]
