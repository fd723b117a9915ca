"""Google Business Profile reviews (platforms.md §3): Pub/Sub push notifications that name a
review, the review fetched from the API, polling as backfill and safety net, and the owner's
reply.

A connected account is one location: its external id is the location's resource name,
`accounts/{a}/locations/{l}`."""

from __future__ import annotations

import base64
import binascii
import json
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
    objects_in,
    parse_rfc3339,
)
from clients.platforms.http import PlatformApi

if TYPE_CHECKING:
    from clients.models import ConnectedAccount

PLATFORM = "google_business"
PRODUCT = "Google Business Profile"
REVIEW_NOTIFICATIONS = {"NEW_REVIEW", "UPDATED_REVIEW"}
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
PAGE_SIZE = 50
MAX_PAGES_PER_POLL = 10


class MalformedDelivery(ValueError):
    """Not a Pub/Sub push envelope."""


# --- Split -------------------------------------------------------------------------------


def split_push(envelope: Any) -> list[SplitEvent]:
    """The review a push notification names, as one event to fetch; nothing for the other
    notification types (acknowledged, so Pub/Sub stops redelivering them)."""
    message = as_object(as_object(envelope).get("message"))
    message_id = message.get("messageId") or message.get("message_id")
    if not message or not message_id:
        raise MalformedDelivery("expected a 'message' with a 'messageId'")
    try:
        notification = json.loads(base64.b64decode(str(message.get("data") or ""), validate=True))
    except (binascii.Error, ValueError) as error:
        raise MalformedDelivery(f"'message.data' is not base64 JSON ({error})") from error
    notification = as_object(notification)
    # The key names differ between the API's versions and public code (§3.3, §11.1).
    kind = _first(notification, "type", "notificationType", "notification_type")
    review = _first(notification, "reviewName", "review_name", "review")
    location = _first(notification, "locationName", "location_name", "location")
    if kind not in REVIEW_NOTIFICATIONS or not review:
        return []
    location = location or review.split("/reviews/")[0]
    return [
        SplitEvent(
            platform=PLATFORM,
            account_external_id=location,
            dedupe_key=f"pubsub:{message_id}",
            payload={"notification": {"type": kind, "review": review, "location": location}},
        )
    ]


def _first(values: dict[str, Any], *names: str) -> str:
    for name in names:
        if values.get(name):
            return str(values[name])
    return ""


def enrich_event(account: ConnectedAccount, payload: dict[str, Any]) -> dict[str, Any] | None:
    """A notification is only a trigger: fetch the review it names and work from that."""
    review_name = as_object(payload.get("notification")).get("review")
    if "review" in payload or "fetched" in payload or not review_name:
        return None
    return API.call(account, "GET", str(review_name))


# --- Normalize ---------------------------------------------------------------------------


def normalize_event(payload: dict[str, Any]) -> list[NormalizedInteraction]:
    """The review, and our reply to it if it has one (recorded as outbound, never as work)."""
    review = as_object(payload.get("review") or payload.get("fetched"))
    name = str(review.get("name") or "")
    if not name:
        return []
    created = parse_rfc3339(review.get("createTime"), timezone.now())
    updated = parse_rfc3339(review.get("updateTime"), created)
    reviewer = as_object(review.get("reviewer"))
    anonymous = bool(reviewer.get("isAnonymous"))
    # Google gives no reviewer id: each review's author is their own contact.
    author = NormalizedAuthor(
        external_id=f"reviewer:{review.get('reviewId') or name.rsplit('/', 1)[-1]}",
        name="" if anonymous else str(reviewer.get("displayName") or ""),
        avatar_url="" if anonymous else str(reviewer.get("profilePhotoUrl") or ""),
    )
    found = [
        NormalizedInteraction(
            platform=PLATFORM,
            kind=InteractionKind.REVIEW,
            action=InteractionAction.EDITED if updated > created else InteractionAction.CREATED,
            direction=Direction.INBOUND,
            external_id=name,
            thread_key=f"review:{name}",
            parent_external_id="",
            author=author,
            text=str(review.get("comment") or ""),
            occurred_at=updated if updated > created else created,
            rating=STARS.get(str(review.get("starRating") or "")),
        )
    ]
    owner_reply = as_object(review.get("reviewReply"))
    if owner_reply.get("comment"):
        found.append(
            NormalizedInteraction(
                platform=PLATFORM,
                kind=InteractionKind.REVIEW,
                action=InteractionAction.CREATED,
                direction=Direction.OUTBOUND,
                external_id=f"{name}/reply",
                thread_key=f"review:{name}",
                parent_external_id=name,
                author=None,
                text=str(owner_reply["comment"]),
                occurred_at=parse_rfc3339(owner_reply.get("updateTime"), updated),
            )
        )
    return found


# --- Poll --------------------------------------------------------------------------------


def poll(account: ConnectedAccount, cursor: dict[str, Any]) -> PollResult:
    """Reviews updated since the last poll, newest first, page by page (§3.1). The cursor is
    the newest `updateTime` seen; RFC 3339 UTC strings sort as times."""
    since = str(cursor.get("updated_since") or "")
    newest = since
    events: list[SplitEvent] = []
    page_token = ""
    for _page in range(MAX_PAGES_PER_POLL):
        params = {"pageSize": PAGE_SIZE, "orderBy": "updateTime desc"}
        if page_token:
            params["pageToken"] = page_token
        body = API.call(account, "GET", f"{account.external_account_id}/reviews", params=params)
        reviews = objects_in(body.get("reviews"))
        for review in reviews:
            updated = str(review.get("updateTime") or "")
            if since and updated and updated <= since:
                return PollResult(events, {"updated_since": newest})
            newest = max(newest, updated)
            events.append(
                SplitEvent(
                    platform=PLATFORM,
                    account_external_id=account.external_account_id,
                    dedupe_key=f"review:{review.get('name')}:{updated}",
                    payload={"review": review},
                )
            )
        page_token = str(body.get("nextPageToken") or "")
        if not page_token:
            break
    return PollResult(events, {"updated_since": newest})


# --- Outbound ----------------------------------------------------------------------------

REPLYABLE_KINDS = frozenset({InteractionKind.REVIEW})
PRIVATE_REPLIES = False


API = PlatformApi(product=PRODUCT, base_url_setting="GOOGLE_BUSINESS_BASE_URL")


def answer(account: ConnectedAccount, target: ReplyTarget, text: str, *, private: bool) -> str:
    """Publish the owner's reply (the same call replaces an earlier one, §3.2)."""
    API.call(account, "PUT", f"{target.external_id}/reply", body={"comment": text})
    return f"{target.external_id}/reply"


def moderation_refusal(action: str, kind: str) -> str:
    return {
        "hide": _("Google does not let businesses hide reviews: report it in Google."),
        "delete": _("Google does not let businesses delete reviews: report it in Google."),
        "block": _("Google reviews have no way to block a reviewer."),
    }.get(action, "")


# --- Connect -----------------------------------------------------------------------------


def discover_accounts(access_token: str, extra: dict[str, Any]) -> list[DiscoveredAccount]:
    """Every location of every Business Profile account the person manages."""
    found = []
    for account in objects_in(API.request(access_token, "GET", "accounts").get("accounts")):
        locations = API.request(access_token, "GET", f"{account.get('name')}/locations")
        for location in objects_in(locations.get("locations")):
            if location.get("name"):
                title = location.get("locationName") or location.get("title") or location["name"]
                found.append(DiscoveredAccount(str(location["name"]), str(title)))
    return found
