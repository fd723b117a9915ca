"""YouTube comments (platforms.md §4): polled per channel, answered and moderated through the
Data API v3. A connected account is a channel (its `UC...` id)."""

from __future__ import annotations

import datetime as dt
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
    PollResult,
    ReplyTarget,
    SplitEvent,
    as_object,
    created_id,
    objects_in,
    parse_rfc3339,
)
from clients.platforms.http import PlatformApi

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "youtube"
PRODUCT = "YouTube"
MAX_PAGES_PER_POLL = 5


# --- Poll --------------------------------------------------------------------------------


def poll(account: ConnectedAccount, cursor: dict[str, Any]) -> PollResult:
    """Comment threads of the channel's videos, newest first (§4.1), back to a week before
    the last poll's newest thread: people keep answering in recent threads. A thread carries
    only some of its replies; when it counts more, they are all fetched (`comments.list`).
    Older threads the poll has seen are looked up by id, 50 to a call, and read again when
    their reply count grew or a comment they carry was edited (see `_revisit`). Every comment
    is one event keyed by its id and `updatedAt`, so an edit is a new event and a repeat is
    not."""
    since = str(cursor.get("published_since") or "")
    look_back_to = _days_before(since, REPLY_LOOKBACK_DAYS) if since else ""
    known: dict[str, list[Any]] = dict(as_object(cursor.get("threads")))
    newest = since
    events: list[SplitEvent] = []
    scanned: set[str] = set()
    page_token = ""
    for _page in range(MAX_PAGES_PER_POLL):
        params = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": account.external_account_id,
            "order": "time",
            "maxResults": 100,
            "textFormat": "plainText",
        }
        if page_token:
            params["pageToken"] = page_token
        body = API.call(account, "GET", "commentThreads", params=params)
        reached_old = False
        for thread in objects_in(body.get("items")):
            published = _published(thread)
            if look_back_to and published and published < look_back_to:
                reached_old = True
                break
            newest = max(newest, published)
            scanned.add(str(thread.get("id")))
            events.extend(_thread_events(account, thread))
            known[str(thread.get("id"))] = _seen(thread)
        page_token = str(body.get("nextPageToken") or "")
        if reached_old or not page_token:
            break
    older = [thread_id for thread_id in known if thread_id not in scanned]
    events.extend(_revisit(account, older, known))
    return PollResult(events, {"published_since": newest, "threads": _tracked(known)})


REPLY_LOOKBACK_DAYS = 7
# Threads whose replies are still looked for after they leave the scanned week: the newest
# ones, up to this many and this old (one call per 50 and poll).
TRACKED_THREADS = 500
TRACKED_DAYS = 90


def _top_comment(thread: dict[str, Any]) -> dict[str, Any]:
    return as_object(as_object(thread.get("snippet")).get("topLevelComment"))


def _published(thread: dict[str, Any]) -> str:
    return str(as_object(_top_comment(thread).get("snippet")).get("publishedAt") or "")


def _reply_count(thread: dict[str, Any]) -> int:
    return int(as_object(thread.get("snippet")).get("totalReplyCount") or 0)


def _seen(thread: dict[str, Any]) -> list[Any]:
    """What the cursor keeps of a thread: when it was published, how many replies it counts,
    and the latest edit among the comments it carries (its own and the few replies the API
    includes)."""
    carried = [_top_comment(thread), *objects_in(as_object(thread.get("replies")).get("comments"))]
    latest_edit = max(str(as_object(c.get("snippet")).get("updatedAt") or "") for c in carried)
    return [_published(thread), _reply_count(thread), latest_edit]


def _thread_events(account: ConnectedAccount, thread: dict[str, Any]) -> list[SplitEvent]:
    """The thread's comment and every reply (all fetched when it carries only some)."""
    top = _top_comment(thread)
    replies = objects_in(as_object(thread.get("replies")).get("comments"))
    if _reply_count(thread) > len(replies):
        replies = _all_replies(account, str(thread.get("id")))
    events = []
    for comment in [top, *replies]:
        events.extend(_comment_event(account, comment, str(thread.get("id"))))
    return events


def _revisit(
    account: ConnectedAccount, thread_ids: list[str], known: dict[str, list[Any]]
) -> list[SplitEvent]:
    """Threads older than the scanned week, looked up by id: those whose reply count grew
    bring their replies (a question answered under a month-old comment is not lost), and
    those with a newly edited comment bring it again. An edit of a reply the thread does not
    carry goes unseen: finding it would mean reading every reply of every tracked thread.
    A thread the cursor knows without an edit time (kept before edits were tracked) just
    gets one: reading them all again at once would spend the channel's daily quota."""
    events: list[SplitEvent] = []
    for start in range(0, len(thread_ids), 50):
        body = API.call(
            account,
            "GET",
            "commentThreads",
            params={
                "part": "snippet,replies",
                "id": ",".join(thread_ids[start : start + 50]),
                "maxResults": 50,
                "textFormat": "plainText",
            },
        )
        for thread in objects_in(body.get("items")):
            thread_id = str(thread.get("id"))
            if thread_id not in known:
                continue
            before, now = known[thread_id], _seen(thread)
            grew = now[1] > int(before[1])
            edited = len(before) >= 3 and now[2] != before[2]
            if grew or edited:
                events.extend(_thread_events(account, thread))
            known[thread_id] = now
    return events


def _tracked(known: dict[str, list[Any]]) -> dict[str, list[Any]]:
    oldest = (timezone.now() - dt.timedelta(days=TRACKED_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = sorted(
        ((thread_id, seen) for thread_id, seen in known.items() if str(seen[0]) >= oldest),
        key=lambda item: str(item[1][0]),
        reverse=True,
    )
    return dict(recent[:TRACKED_THREADS])


def _days_before(rfc3339: str, days: int) -> str:
    moment = parse_rfc3339(rfc3339, timezone.now()) - dt.timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _all_replies(account: ConnectedAccount, thread_id: str) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    page_token = ""
    for _page in range(MAX_PAGES_PER_POLL):
        params = {"part": "snippet", "parentId": thread_id, "maxResults": 100}
        if page_token:
            params["pageToken"] = page_token
        body = API.call(account, "GET", "comments", params=params)
        replies += objects_in(body.get("items"))
        page_token = str(body.get("nextPageToken") or "")
        if not page_token:
            break
    return replies


def _comment_event(
    account: ConnectedAccount, comment: dict[str, Any], thread_id: str
) -> list[SplitEvent]:
    snippet = as_object(comment.get("snippet"))
    if not comment.get("id"):
        return []
    return [
        SplitEvent(
            platform=PLATFORM,
            account_external_id=account.external_account_id,
            dedupe_key=f"{comment['id']}:{snippet.get('updatedAt') or ''}",
            payload={"comment": comment, "thread_id": thread_id},
        )
    ]


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    comment = as_object(payload.get("comment"))
    snippet = as_object(comment.get("snippet"))
    comment_id = str(comment.get("id") or "")
    author_id = str(as_object(snippet.get("authorChannelId")).get("value") or "")
    if not comment_id or not author_id:
        return None
    thread_id = str(payload.get("thread_id") or snippet.get("parentId") or comment_id)
    video_id = str(snippet.get("videoId") or "")
    published = parse_rfc3339(snippet.get("publishedAt"), timezone.now())
    updated = parse_rfc3339(snippet.get("updatedAt"), published)
    display_name = str(snippet.get("authorDisplayName") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=InteractionAction.EDITED if updated > published else InteractionAction.CREATED,
        direction=Direction.OUTBOUND
        if _is_channel_owner(snippet, author_id)
        else Direction.INBOUND,
        external_id=comment_id,
        thread_key=thread_id,
        parent_external_id=str(snippet.get("parentId") or video_id),
        post_external_id=video_id,
        author=NormalizedAuthor(
            external_id=author_id,
            name=display_name,
            handle=display_name.lstrip("@") if display_name.startswith("@") else "",
            avatar_url=str(snippet.get("authorProfileImageUrl") or ""),
        ),
        text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        occurred_at=updated if updated > published else published,
        permalink=f"https://www.youtube.com/watch?v={video_id}&lc={comment_id}" if video_id else "",
    )


def _is_channel_owner(snippet: dict[str, Any], author_id: str) -> bool:
    """`channelId` on a comment is the channel the video belongs to, ours: the channel's
    own comments are what we said."""
    return bool(author_id) and author_id == snippet.get("channelId")


# --- Outbound ----------------------------------------------------------------------------

REPLYABLE_KINDS = frozenset({InteractionKind.COMMENT})
PRIVATE_REPLIES = False


API = PlatformApi(product=PRODUCT, base_url_setting="YOUTUBE_BASE_URL")


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    """Reply in the thread (YouTube nests one level: replies go to the top-level comment)."""
    body = API.call(
        account,
        "POST",
        "comments",
        params={"part": "snippet"},
        body={"snippet": {"parentId": target.thread_key, "textOriginal": text}},
    )
    return created_id(body, "id", product="YouTube")


def _moderate(account: ConnectedAccount, comment_id: str, status: str, **extra: str) -> None:
    API.call(
        account,
        "POST",
        "comments/setModerationStatus",
        params={"id": comment_id, "moderationStatus": status, **extra},
    )


def moderation_refusal(action: str, kind: str) -> str:
    return "" if kind == InteractionKind.COMMENT else _("YouTube moderates comments only.")


def set_hidden(account: ConnectedAccount, target: ReplyTarget, *, hidden: bool) -> None:
    """Hold for review (hidden from viewers) or publish again."""
    _moderate(account, target.external_id, "heldForReview" if hidden else "published")


def delete(account: ConnectedAccount, target: ReplyTarget) -> None:
    """Reject: removed from the video for good (YouTube cannot publish it again)."""
    _moderate(account, target.external_id, "rejected")


def block(account: ConnectedAccount, target: ReplyTarget) -> None:
    """Remove the comment and ban its author from the channel's comments."""
    _moderate(account, target.external_id, "rejected", banAuthor="true")


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    body = API.request(access_token, "GET", "channels", params={"part": "snippet", "mine": "true"})
    return [
        DiscoveredAccount(
            str(item["id"]), str(as_object(item.get("snippet")).get("title") or item["id"])
        )
        for item in objects_in(body.get("items"))
        if item.get("id")
    ]
