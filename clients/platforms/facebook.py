"""Facebook Pages connector (platforms.md §1.4, §1.5, §1.10, §1.11).

Verification and splitting are Meta-wide (clients.platforms.meta); this module turns a Page's
`feed` (comments, reactions, shares), `mention` and `ratings` events into the common model and
makes the Page's outbound calls.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
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
    Unsupported,
    as_object,
    as_text,
    created_id,
    from_unix_seconds,
    gathered_history,
    objects_in,
    parse_rfc3339,
)
from clients.platforms.http import account_token

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "facebook"

_COMMENT_ACTIONS = {
    "add": InteractionAction.CREATED,
    "edited": InteractionAction.EDITED,
    "remove": InteractionAction.DELETED,
    "hide": InteractionAction.HIDDEN,
    "unhide": InteractionAction.UNHIDDEN,
}


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    """The common model of one stored Page event, or None for events Parley does not handle
    (the caller records them as skipped)."""
    change = as_object(payload.get("change"))
    value = as_object(change.get("value"))
    field = as_text(change.get("field"))
    item = as_text(value.get("item")) if field != "mention" else None
    normalize = _NORMALIZERS.get((field, item))
    if normalize is None:
        return None
    return normalize(
        value, page_id=str(payload.get("entry_id", "")), entry_time=payload.get("time")
    )


def _normalize_comment(
    value: dict[str, Any], *, page_id: str, entry_time: Any = None
) -> NormalizedInteraction | None:
    action = _COMMENT_ACTIONS.get(meta.canonical_verb(str(value.get("verb", ""))))
    comment_id = value.get("comment_id")
    post_id = value.get("post_id")
    if action is None or not comment_id or not post_id:
        return None
    author = _author(value)
    parent_id = str(value.get("parent_id") or post_id)
    post = as_object(value.get("post"))
    post_permalink = str(post.get("permalink_url") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=action,
        direction=_direction(author, page_id),
        external_id=str(comment_id),
        # A top-level comment starts its own thread; a reply joins its parent's (the
        # pipeline follows a reply-to-a-reply up to the thread it is in).
        thread_key=str(comment_id) if parent_id == str(post_id) else parent_id,
        parent_external_id=parent_id,
        post_external_id=str(post_id),
        author=author,
        text=str(value.get("message") or ""),
        occurred_at=_occurred_at(value),
        permalink=_comment_permalink(post_permalink, str(comment_id)),
        thread_permalink=post_permalink,
    )


def _normalize_reaction(
    value: dict[str, Any], *, page_id: str, entry_time: Any
) -> NormalizedInteraction | None:
    """A reaction (or the legacy `like` item with `user_id`) on a post or on a comment. One
    interaction per person and object, so an un-react (`remove`) deletes that one."""
    author = _author(value)
    post_id = str(value.get("post_id") or "")
    target = str(value.get("comment_id") or value.get("parent_id") or post_id)
    verb = meta.canonical_verb(str(value.get("verb", "")))
    if author is None or not target or verb not in ("add", "remove", "edited"):
        return None
    reaction = str(value.get("reaction_type") or "like").lower()
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.LIKE,
        action=InteractionAction.DELETED if verb == "remove" else InteractionAction.CREATED,
        direction=_direction(author, page_id),
        external_id=f"reaction:{target}:{author.external_id}",
        thread_key=f"engagement:{post_id or target}",
        parent_external_id=target,
        post_external_id=post_id,
        author=author,
        text="",
        occurred_at=from_unix_seconds(value.get("created_time") or entry_time, timezone.now()),
        reaction=reaction if reaction in KNOWN_REACTIONS else "like",
    )


# Reports differ on the sad and angry spellings (platforms.md §1.5): both are kept.
KNOWN_REACTIONS = {"like", "love", "haha", "wow", "care", "sad", "sorry", "angry", "anger"}


def _normalize_share(
    value: dict[str, Any], *, page_id: str, entry_time: Any = None
) -> NormalizedInteraction | None:
    author = _author(value)
    share_id = value.get("share_id") or value.get("post_id")
    if author is None or not share_id:
        return None
    link = str(value.get("link") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.SHARE,
        action=InteractionAction.DELETED
        if meta.canonical_verb(str(value.get("verb", ""))) == "remove"
        else InteractionAction.CREATED,
        direction=_direction(author, page_id),
        external_id=f"share:{share_id}",
        # Shares gather under the post they share, next to its reactions.
        thread_key=f"engagement:{_shared_post(link) or share_id}",
        parent_external_id="",
        post_external_id=str(value.get("post_id") or ""),
        author=author,
        text=str(value.get("message") or ""),
        occurred_at=_occurred_at(value),
        permalink=link if link.startswith("https://") else "",
    )


def _shared_post(link: str) -> str:
    """The shared post's path on facebook.com, which identifies it well enough to group."""
    if not link.startswith("https://www.facebook.com/"):
        return ""
    return link.removeprefix("https://www.facebook.com/").split("?")[0].strip("/")


def _normalize_mention(
    value: dict[str, Any], *, page_id: str, entry_time: Any = None
) -> NormalizedInteraction | None:
    """The Page was mentioned in someone's post or comment (on their timeline, not ours)."""
    post_id = value.get("post_id")
    mention_id = str(value.get("comment_id") or post_id or "")
    author = _author(value)
    if not mention_id or author is None:
        return None
    verb = meta.canonical_verb(str(value.get("verb", "")))
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.MENTION,
        action=_COMMENT_ACTIONS.get(verb, InteractionAction.CREATED),
        direction=_direction(author, page_id),
        external_id=mention_id,
        thread_key=f"mention:{mention_id}",
        parent_external_id=str(post_id or ""),
        post_external_id=str(post_id or ""),
        author=author,
        text=str(value.get("message") or ""),
        occurred_at=_occurred_at(value),
    )


_RECOMMENDATIONS = {"positive", "negative"}


def _normalize_rating(
    value: dict[str, Any], *, page_id: str, entry_time: Any = None
) -> NormalizedInteraction | None:
    """A Page review: a recommendation (positive/negative) and, on older ones, stars."""
    review_id = value.get("open_graph_story_id")
    reviewer_id = value.get("reviewer_id")
    if not review_id or not reviewer_id:
        return None
    verb = meta.canonical_verb(str(value.get("verb", "")))
    rating = value.get("rating")
    recommendation = str(value.get("recommendation_type") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.REVIEW,
        action=_COMMENT_ACTIONS.get(verb, InteractionAction.CREATED),
        direction=Direction.INBOUND,
        external_id=str(review_id),
        thread_key=f"review:{review_id}",
        parent_external_id="",
        author=NormalizedAuthor(
            external_id=str(reviewer_id), name=str(value.get("reviewer_name") or "")
        ),
        text=str(value.get("review_text") or ""),
        occurred_at=_occurred_at(value),
        rating=rating if isinstance(rating, int) and 1 <= rating <= 5 else None,
        recommendation=recommendation if recommendation in _RECOMMENDATIONS else "",
    )


def _normalize_rating_comment(
    value: dict[str, Any], *, page_id: str, entry_time: Any = None
) -> NormalizedInteraction | None:
    """A comment under a review (the reviewer's follow-up, or the Page's own answer)."""
    comment_id = value.get("comment_id")
    review_id = value.get("open_graph_story_id") or value.get("parent_id")
    author = _author(value)
    if not comment_id or not review_id or author is None:
        return None
    verb = meta.canonical_verb(str(value.get("verb", "")))
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=_COMMENT_ACTIONS.get(verb, InteractionAction.CREATED),
        direction=_direction(author, page_id),
        external_id=str(comment_id),
        thread_key=f"review:{review_id}",
        parent_external_id=str(value.get("parent_id") or review_id),
        author=author,
        text=str(value.get("message") or ""),
        occurred_at=_occurred_at(value),
    )


# (field, item) -> normalizer; a Page mention has no `item` worth telling apart.
_NORMALIZERS: dict[tuple[Any, Any], Callable[..., NormalizedInteraction | None]] = {
    ("feed", "comment"): _normalize_comment,
    ("feed", "reaction"): _normalize_reaction,
    ("feed", "like"): _normalize_reaction,
    ("feed", "share"): _normalize_share,
    ("mention", None): _normalize_mention,
    ("ratings", "rating"): _normalize_rating,
    ("ratings", "comment"): _normalize_rating_comment,
}


def _direction(author: NormalizedAuthor | None, page_id: str) -> Direction:
    """The Page's own activity (its replies, made here or elsewhere) is outbound."""
    return Direction.OUTBOUND if author and author.external_id == page_id else Direction.INBOUND


def _occurred_at(value: dict[str, Any]) -> dt.datetime:
    return from_unix_seconds(value.get("edited_time") or value.get("created_time"), timezone.now())


def _author(value: dict[str, Any]) -> NormalizedAuthor | None:
    sender = as_object(value.get("from"))
    author_id = sender.get("id") or value.get("sender_id") or value.get("user_id")
    if not author_id:
        return None
    return NormalizedAuthor(
        external_id=str(author_id), name=str(sender.get("name") or value.get("sender_name") or "")
    )


def _comment_permalink(post_permalink: str, comment_id: str) -> str:
    if not post_permalink.startswith("https://"):
        return ""
    separator = "&" if "?" in post_permalink else "?"
    return f"{post_permalink}{separator}comment_id={comment_id.rsplit('_', 1)[-1]}"


# --- Outbound ----------------------------------------------------------------------------

# What an agent can answer from Parley on a Page: comments (and comments under reviews),
# reviews (a comment on the review's story) and mentions (a comment on the post or comment
# that mentions the Page). Messages are the Messenger connector's.
REPLYABLE_KINDS = frozenset(
    {InteractionKind.COMMENT, InteractionKind.REVIEW, InteractionKind.MENTION}
)
PRIVATE_REPLIES = True


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    """Answer `target` as the Page; returns the platform id of the answer."""
    if private:
        return private_reply_to_comment(account, comment_id=target.external_id, text=text)
    return reply_to_comment(account, comment_id=target.external_id, text=text)


def reply_to_comment(account: ConnectedAccount, *, comment_id: str, text: str) -> str:
    """Post `text` as the Page under a comment, review story or post; returns its id."""
    body = meta.graph_post(
        f"{comment_id}/comments", access_token=account_token(account), data={"message": text}
    )
    return created_id(body, "id", product="Facebook")


def private_reply_to_comment(account: ConnectedAccount, *, comment_id: str, text: str) -> str:
    """Answer a commenter in Messenger (platforms.md §1.11: one per comment, within 7 days);
    returns the message id."""
    return meta.send_message(
        account.external_account_id,
        access_token=account_token(account),
        recipient={"comment_id": comment_id},
        text=text,
        product="Messenger",
    )


def moderation_refusal(action: str, kind: str) -> str:
    """Why `action` (hide, delete, block) is not possible on an item of `kind`, or ""."""
    if action in ("hide", "delete") and kind != InteractionKind.COMMENT:
        return _("Facebook can hide and delete comments only.")
    return ""


def set_hidden(account: ConnectedAccount, target: ReplyTarget, *, hidden: bool) -> None:
    """Hide or unhide a comment on the Page: the author and their friends still see it."""
    meta.graph_post(
        target.external_id,
        access_token=account_token(account),
        data={"is_hidden": "true" if hidden else "false"},
    )


def delete(account: ConnectedAccount, target: ReplyTarget) -> None:
    meta.graph_call("DELETE", target.external_id, access_token=account_token(account))


def block(account: ConnectedAccount, target: ReplyTarget) -> None:
    """Ban the person from the Page (comments, reactions and messages)."""
    if not target.contact_external_id:
        raise Unsupported(_("The author of this item is not known, so they cannot be blocked."))
    meta.graph_post(
        f"{account.external_account_id}/blocked",
        access_token=account_token(account),
        data={"user": target.contact_external_id},
    )


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    return [
        DiscoveredAccount(
            str(page["id"]),
            str(page.get("name") or page["id"]),
            str(page.get("access_token") or ""),
        )
        for page in meta.discover_pages(access_token)
    ]


RECENT_POSTS = 25


def backfill(account: ConnectedAccount) -> list[SplitEvent]:
    """The comments under the Page's recent posts and the messages of its recent Messenger
    conversations, as the events Meta would have sent for them: same shape and same dedupe
    keys, so a webhook for one of them later changes nothing, and the pipeline reads them
    like any other."""
    return gathered_history(
        functools.partial(_comment_history, account), functools.partial(_message_history, account)
    )


def _comment_history(account: ConnectedAccount) -> list[SplitEvent]:
    body = meta.graph_call(
        "GET",
        f"{account.external_account_id}/feed",
        access_token=account_token(account),
        params={
            "limit": RECENT_POSTS,
            "fields": "id,permalink_url,comments.limit(100)"
            "{id,from,message,created_time,parent{id}}",
        },
    )
    events = []
    for post in objects_in(body.get("data")):
        for comment in objects_in(as_object(post.get("comments")).get("data")):
            events.extend(_feed_event(account.external_account_id, post, comment))
    return events


def _message_history(account: ConnectedAccount) -> list[SplitEvent]:
    return meta.fetched_messages(
        "page",
        account.external_account_id,
        access_token=account_token(account),
        platform="messenger",
        product="Messenger",
    )


def _feed_event(page_id: str, post: dict[str, Any], comment: dict[str, Any]) -> list[SplitEvent]:
    created = parse_rfc3339(comment.get("created_time"), timezone.now())
    if not comment.get("id") or not post.get("id"):
        return []
    value = {
        "from": as_object(comment.get("from")),
        "post": {"id": post["id"], "permalink_url": post.get("permalink_url") or ""},
        "post_id": post["id"],
        "comment_id": comment["id"],
        "created_time": int(created.timestamp()),
        "item": "comment",
        "parent_id": as_object(comment.get("parent")).get("id") or post["id"],
        "verb": "add",
        "message": comment.get("message") or "",
    }
    change = {"field": "feed", "value": value}
    return [meta.fetched_change("page", page_id, value["created_time"], change)]


def after_connect(account: ConnectedAccount) -> None:
    """Ask Meta to send the Page's events to our webhook."""
    meta.subscribe_page(account.external_account_id, account_token(account))


def before_disconnect(account: ConnectedAccount) -> None:
    meta.subscribe_page(account.external_account_id, account_token(account), subscribed=False)
