"""LinkedIn organization comments (platforms.md §5): polled per organization page, answered
and deleted through the Community Management API. A connected account is an organization
(`urn:li:organization:{id}`); one LinkedIn-Version is pinned (settings)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

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
    PollResult,
    ReplyTarget,
    SplitEvent,
    as_object,
    created_id,
    from_unix_milliseconds,
    objects_in,
)
from clients.platforms.http import PlatformApi, bearer

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

logger = logging.getLogger(__name__)

PLATFORM = "linkedin"
PRODUCT = "LinkedIn"
RECENT_POSTS = 20
PAGE_SIZE = 50


# --- Poll --------------------------------------------------------------------------------


def poll(account: ConnectedAccount, cursor: dict[str, Any]) -> PollResult:
    """Comments on the organization's recent posts changed since the last poll. LinkedIn has
    no comment webhook for ordinary apps; `lastModified.time` (ms) is the cursor. The API
    does not promise an order for a post's comments, so every page is read (up to
    MAX_COMMENT_PAGES per post)."""
    since = int(cursor.get("modified_since") or 0)
    newest = since
    posts = API.call(
        account,
        "GET",
        "posts",
        params={"q": "author", "author": account.external_account_id, "count": RECENT_POSTS},
    )
    events: list[SplitEvent] = []
    for post in posts.get("elements") or []:
        post_urn = str(as_object(post).get("id") or "")
        if not post_urn:
            continue
        for comment in _comments(account, post_urn):
            modified = int(as_object(comment.get("lastModified")).get("time") or 0)
            urn = comment.get("commentUrn") or comment.get("$URN")
            if not urn or modified <= since:
                continue
            newest = max(newest, modified)
            events.append(
                SplitEvent(
                    platform=PLATFORM,
                    account_external_id=account.external_account_id,
                    dedupe_key=f"{urn}:{modified}",
                    payload={"comment": comment, "post": post_urn},
                )
            )
    return PollResult(events, {"modified_since": newest})


MAX_COMMENT_PAGES = 20  # 1,000 comments per post and poll


def _comments(account: ConnectedAccount, post_urn: str) -> list[dict[str, Any]]:
    """A post's comments, page by page (`start`/`count`, until `paging.total`)."""
    found: list[dict[str, Any]] = []
    for page in range(MAX_COMMENT_PAGES):
        body = API.call(
            account,
            "GET",
            f"socialActions/{quote(post_urn, safe='')}/comments",
            params={"start": page * PAGE_SIZE, "count": PAGE_SIZE},
        )
        elements = objects_in(body.get("elements"))
        found.extend(elements)
        total = as_object(body.get("paging")).get("total")
        read_all = isinstance(total, int) and len(found) >= total
        if len(elements) < PAGE_SIZE or read_all:
            return found
    logger.warning(
        "LinkedIn post %s: more than %d comments, the rest not read", post_urn, len(found)
    )
    return found


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> NormalizedInteraction | None:
    comment = as_object(payload.get("comment"))
    urn = str(comment.get("commentUrn") or comment.get("$URN") or "")
    actor = str(comment.get("actor") or as_object(comment.get("created")).get("actor") or "")
    post = str(payload.get("post") or comment.get("object") or "")
    if not urn or not actor:
        return None
    created = from_unix_milliseconds(as_object(comment.get("created")).get("time"), timezone.now())
    modified = from_unix_milliseconds(as_object(comment.get("lastModified")).get("time"), created)
    parent = str(comment.get("parentComment") or "")
    return NormalizedInteraction(
        platform=PLATFORM,
        kind=InteractionKind.COMMENT,
        action=InteractionAction.EDITED if modified > created else InteractionAction.CREATED,
        direction=Direction.OUTBOUND
        if actor.startswith("urn:li:organization:")
        else Direction.INBOUND,
        external_id=urn,
        thread_key=parent or urn,
        parent_external_id=parent or post,
        post_external_id=post,
        # Member names need permissions most apps lack (§5): the URN is the identity.
        author=NormalizedAuthor(external_id=actor),
        text=str(as_object(comment.get("message")).get("text") or ""),
        occurred_at=modified if modified > created else created,
    )


# --- Outbound ----------------------------------------------------------------------------

REPLYABLE_KINDS = frozenset({InteractionKind.COMMENT})
PRIVATE_REPLIES = False


def _headers(token: str) -> dict[str, str]:
    return {
        **bearer(token),
        "LinkedIn-Version": settings.LINKEDIN_API_VERSION,
        "X-Restli-Protocol-Version": "2.0.0",
    }


API = PlatformApi(product=PRODUCT, base_url_setting="LINKEDIN_BASE_URL", headers=_headers)


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    """Comment as the organization under the comment being answered."""
    post = target.post_external_id
    body = API.call(
        account,
        "POST",
        f"socialActions/{quote(post, safe='')}/comments",
        body={
            "actor": account.external_account_id,
            "object": post,
            "message": {"text": text},
            "parentComment": target.thread_key,
        },
    )
    return created_id(body, "commentUrn", "$URN", "id", product="LinkedIn", what="the comment")


def moderation_refusal(action: str, kind: str) -> str:
    return {
        "hide": _("LinkedIn has no way to hide a comment: delete it instead."),
        "block": _("LinkedIn's API cannot block members: do it on LinkedIn."),
    }.get(action, "")


def delete(account: ConnectedAccount, target: ReplyTarget) -> None:
    comment_id = target.external_id.rstrip(")").rsplit(",", 1)[-1]
    API.call(
        account,
        "DELETE",
        f"socialActions/{quote(target.post_external_id, safe='')}/comments/{comment_id}",
        params={"actor": account.external_account_id},
    )


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    """The organization pages the person administers."""
    acls = API.request(
        access_token,
        "GET",
        "organizationAcls",
        params={"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"},
    )
    found = []
    for acl in objects_in(acls.get("elements")):
        urn = str(acl.get("organization") or "")
        if not urn.startswith("urn:li:organization:"):
            continue
        organization = API.request(access_token, "GET", f"organizations/{urn.rsplit(':', 1)[-1]}")
        found.append(DiscoveredAccount(urn, str(organization.get("localizedName") or urn)))
    return found
