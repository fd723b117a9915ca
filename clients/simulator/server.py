"""A small HTTP server speaking the platforms' APIs (platforms.md §9), for tests and `make run`.

- It answers every outbound route of §9 like the platform does, including each platform's
  error body, and records every request (GET /_simulator/requests).
- It serves the polling endpoints (Google reviews, YouTube comment threads, LinkedIn posts and
  comments, TikTok videos and comments) and Instagram's mention enrichment from collections
  that tests and the traffic generator fill (POST /_simulator/data).
- It fails on demand: POST /_simulator/failures {"path": "<regex>", "status": 429,
  "count": 1, "headers": {...}, "delay_seconds": 0}; status < 400 with a delay is a slow
  success. A 429 carries the platform's own rate-limit headers unless the rule gives some.
- It implements the OAuth 2 authorize and token endpoints (see clients/simulator/oauth.py).

Standard library only, so it starts in milliseconds in tests and in `make run`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

_MAX_RECORDED = 10_000
_V = r"^/v\d+\.\d+"
_NO_CONTENT = object()  # a handler's answer meaning "204, no body"


@dataclass
class FailureRule:
    path: re.Pattern[str]
    status: int
    remaining: int
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0


class SimulatorState:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.failures: list[FailureRule] = []
        # Meta allows one private reply per comment.
        self.privately_answered_comments: set[str] = set()
        # Named collections the read endpoints serve, one per kind and owner: reviews of a
        # location, YouTube threads of a channel, LinkedIn posts of an organization and
        # comments of a post, TikTok videos and comments, Instagram mentions by id.
        self.data: dict[str, list[dict[str, Any]]] = {}
        # Authorization codes and tokens the OAuth endpoints issued.
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.oauth_tokens: dict[str, dict[str, Any]] = {}
        # The Pages that /me/accounts handed out, by their Page token: with a Page's token,
        # `me` is that Page.
        self.pages_by_token: dict[str, dict[str, Any]] = {}

    def record(self, entry: dict[str, Any]) -> None:
        with self.lock:
            self.requests.append(entry)
            del self.requests[:-_MAX_RECORDED]

    def take_failure(self, path: str) -> FailureRule | None:
        with self.lock:
            for rule in self.failures:
                if rule.remaining > 0 and rule.path.search(path):
                    rule.remaining -= 1
                    return rule
        return None

    def collection(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.data.get(name, []))

    def add(self, name: str, items: list[dict[str, Any]]) -> None:
        with self.lock:
            self.data.setdefault(name, []).extend(items)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.failures.clear()
            self.privately_answered_comments.clear()
            self.data.clear()
            self.oauth_codes.clear()
            self.oauth_tokens.clear()


def new_object_id(digits: int = 15) -> str:
    return str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))


def platform_of(path: str) -> str:
    """Which platform a path belongs to (the simulator serves them all on one port)."""
    if path.startswith("/2/"):
        return "x"
    if path.startswith("/v4/"):
        return "google_business"
    if path.startswith("/youtube/"):
        return "youtube"
    if path.startswith("/rest/"):
        return "linkedin"
    if path.startswith("/open_api/"):
        return "tiktok"
    return "meta"


def error_answer(platform: str, status: int, message: str) -> tuple[int, dict[str, Any]]:
    """The platform's own error body for `status` (platforms.md §1.12, §2.4, §3.2, §4.2, §6)."""
    if platform == "x":
        return status, {
            "title": "Error",
            "type": "about:blank",
            "status": status,
            "detail": message,
        }
    if platform in ("google_business", "youtube"):
        reason = "rateLimitExceeded" if status == 429 else "backendError"
        return status, {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
            }
        }
    if platform == "linkedin":
        return status, {"status": status, "message": message}
    if platform == "tiktok":
        return status, {"code": 40100 if status == 429 else 50000, "message": message}
    code = 4 if status == 429 else (190 if status == 401 else (100 if status < 500 else 2))
    return status, {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": secrets.token_urlsafe(8),
        }
    }


def rate_limit_headers(platform: str) -> dict[str, str]:
    """What each platform sends with a 429 (the connectors honour these)."""
    if platform == "x":
        return {
            "x-rate-limit-limit": "300",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(time.time()) + 1),
        }
    if platform == "meta":
        usage = {"0": [{"type": "pages", "call_count": 100, "estimated_time_to_regain_access": 0}]}
        return {"X-Business-Use-Case-Usage": json.dumps(usage), "Retry-After": "1"}
    return {"Retry-After": "1"}


Answer = tuple[int, Any]
Handler = Callable[["SimulatorHandler", re.Match[str], dict[str, Any]], Answer]


class SimulatorHandler(BaseHTTPRequestHandler):
    server_version = "ParleySimulator/2"
    state: SimulatorState  # set on the subclass made by make_server
    request_token = ""  # the access token of the request being answered

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # requests are recorded, not logged

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = _parse_body(raw, self.headers.get("Content-Type", ""))
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        if url.path.startswith("/_simulator/"):
            status, payload = self._control(method, url.path, body)
            self._send(status, payload)
            return
        if url.path.startswith("/oauth/"):
            from clients.simulator.oauth import oauth_route

            status, payload, headers = oauth_route(
                self.state,
                method,
                url.path,
                query,
                body,
                {k.lower(): v for k, v in self.headers.items()},
            )
            self._send(status, payload, headers)
            return
        self.state.record(
            {
                "method": method,
                "path": url.path,
                "query": query,
                "body": body,
                "authorization": self.headers.get("Authorization", ""),
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "received_at": time.time(),
            }
        )
        platform = platform_of(url.path)
        rule = self.state.take_failure(url.path)
        if rule is not None:
            time.sleep(rule.delay_seconds)
            if rule.status >= 400:
                status, error_body = error_answer(platform, rule.status, "Injected failure")
                headers = rule.headers or (
                    rate_limit_headers(platform) if rule.status == 429 else {}
                )
                self._send(status, error_body, headers)
                return
        status, payload = self._platform(method, url.path, query, body, platform)
        self._send(status, payload)

    def _platform(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any], platform: str
    ) -> Answer:
        token = (
            query.get("access_token")
            or body.get("access_token")
            or self.headers.get("Access-Token")
            or self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        )
        if not token:
            return error_answer(platform, 401, "An active access token must be used.")
        self.request_token = token
        params = {**query, **body}
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if method == route_method and match:
                return handler(self, match, params)
        return error_answer(platform, 400, f"Unsupported {method} request to {path}")

    # --- Meta (§1.11) ------------------------------------------------------------------

    def _comment_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """Facebook: POST /{comment-id}/comments -> {"id": "<post>_<new>"}."""
        if not str(params.get("message") or "").strip():
            return error_answer("meta", 400, "(#100) The parameter message is required")
        post_object_id = match.group("object_id").split("_")[0]
        return 200, {"id": f"{post_object_id}_{new_object_id()}"}

    def _instagram_comment_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """Instagram: POST /{ig-comment-id}/replies -> {"id": "<new>"}."""
        if not str(params.get("message") or "").strip():
            return error_answer("meta", 400, "(#100) The parameter message is required")
        return 200, {"id": new_object_id(17)}

    def _instagram_mention_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if not str(params.get("message") or "").strip() or not params.get("media_id"):
            return error_answer("meta", 400, "(#100) media_id and message are required")
        return 200, {"id": new_object_id(17)}

    def _moderate_object(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """POST /{comment-id}?is_hidden=true (Facebook) or ?hide=true (Instagram)."""
        if "is_hidden" not in params and "hide" not in params:
            return error_answer("meta", 400, "(#100) Nothing to update")
        return 200, {"success": True}

    def _delete_object(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        return 200, {"success": True}

    def _block(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        ids = [str(params[k]) for k in ("psid", "asid", "uid", "user") if params.get(k)]
        if not ids:
            return error_answer("meta", 400, "(#100) One of psid, asid, uid or user is required")
        return 200, dict.fromkeys(ids, True)

    def _messages(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        recipient = _object(params.get("recipient"))
        message = _object(params.get("message"))
        if not str(message.get("text") or "").strip():
            return error_answer("meta", 400, "(#100) The parameter message is required")
        comment_id = recipient.get("comment_id")
        if comment_id:
            with self.state.lock:
                if comment_id in self.state.privately_answered_comments:
                    return error_answer("meta", 400, "Activity already replied to")
                self.state.privately_answered_comments.add(comment_id)
            return 200, {"recipient_id": new_object_id(), "message_id": _mid()}
        if recipient.get("id"):
            return 200, {"recipient_id": str(recipient["id"]), "message_id": _mid()}
        return error_answer("meta", 400, "(#100) The parameter recipient is required")

    def _graph_object(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """GET /{ig-user-id}?fields=mentioned_comment.comment_id(X){...} or
        mentioned_media.media_id(Y){...}: the mention's text and author (§1.8)."""
        fields = str(params.get("fields") or "")
        found = re.match(
            r"(mentioned_comment)\.comment_id\((\w+)\)|(mentioned_media)\.media_id\((\w+)\)", fields
        )
        object_id = match.group("object_id")
        if not found:
            return 200, {"id": object_id}
        key = found.group(1) or found.group(3)
        mention_id = found.group(2) or found.group(4)
        seeded = self.state.collection(f"ig-mentions:{mention_id}")
        if seeded:
            return 200, {key: seeded[-1], "id": object_id}
        return error_answer("meta", 400, f"(#100) Mention {mention_id} does not exist")

    def _my_pages(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """GET /me/accounts: the Pages the token's person manages, with Page tokens."""
        pages = self._listed_pages()
        with self.state.lock:
            for page in pages:
                self.state.pages_by_token[str(page.get("access_token"))] = page
        return 200, {"data": pages}

    def _listed_pages(self) -> list[dict[str, Any]]:
        return self.state.collection("meta-pages") or [
            {
                "id": "105000000000009",
                "name": "Simulated Page",
                "access_token": f"page-token-{secrets.token_urlsafe(8)}",
                "instagram_business_account": {
                    "id": "17841400000000009",
                    "username": "simulated.page",
                },
            }
        ]

    def _long_lived_token(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if params.get("grant_type") != "fb_exchange_token" or not params.get("fb_exchange_token"):
            return error_answer("meta", 400, "(#100) grant_type and fb_exchange_token are required")
        return 200, {
            "access_token": f"long-lived-{secrets.token_urlsafe(12)}",
            "token_type": "bearer",
            "expires_in": 5_184_000,
        }

    def _page_feed(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """GET /{page-id}/feed with comments: the Page's recent posts (history backfill)."""
        posts = self.state.collection(f"meta-feed:{match.group('page_id')}")
        return 200, {"data": posts[: int(params.get("limit") or 25)]}

    def _conversations(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """GET /{page-id}/conversations?platform=messenger|instagram, with messages (history
        backfill): the Page's Messenger conversations, or those of its Instagram account.
        Seeded per owner: `meta-conversations:{page-id}` or `...:{ig-user-id}`."""
        platform = params.get("platform", "messenger")
        if platform not in ("messenger", "instagram"):
            return error_answer("meta", 400, "(#100) platform must be messenger or instagram")
        owner = match.group("account_id")
        if owner == "me":
            with self.state.lock:
                page = self.state.pages_by_token.get(self.request_token)
            if page is None:
                return error_answer("meta", 400, "(#190) Invalid OAuth access token for a Page")
            instagram = _object(page.get("instagram_business_account"))
            owner = str(instagram.get("id") if platform == "instagram" else page.get("id"))
        conversations = self.state.collection(f"meta-conversations:{owner}")
        return 200, {"data": conversations[: int(params.get("limit") or 25)]}

    def _instagram_media(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """GET /{ig-user-id}/media with comments and replies (history backfill)."""
        media = self.state.collection(f"meta-media:{match.group('account_id')}")
        return 200, {"data": media[: int(params.get("limit") or 25)]}

    def _subscribed_apps(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        return 200, {"success": True}

    # --- X (§2.4) ------------------------------------------------------------------------

    def _x_me(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        users = self.state.collection("x-me") or [
            {"id": "2244994949", "username": "SimulatedBrand", "name": "Simulated Brand"}
        ]
        return 200, {"data": users[-1]}

    def _tweet(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        text = str(params.get("text") or "")
        if not text.strip():
            return error_answer("x", 400, "One or more parameters to your request was invalid.")
        if len(text) > 280:
            return error_answer("x", 400, "Tweet text is too long.")
        new_id = new_object_id(19)
        return 201, {"data": {"id": new_id, "text": text, "edit_history_tweet_ids": [new_id]}}

    def _x_dm(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if not str(params.get("text") or "").strip():
            return error_answer("x", 400, "One or more parameters to your request was invalid.")
        return 201, {
            "data": {
                "dm_conversation_id": f"1-{match.group('user_id')}",
                "dm_event_id": new_object_id(19),
            }
        }

    def _x_hide(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        return 200, {"data": {"hidden": bool(params.get("hidden"))}}

    def _x_block(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if not params.get("target_user_id"):
            return error_answer("x", 400, "target_user_id is required.")
        return 200, {"data": {"blocking": True}}

    def _x_dm_block(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        return 200, {"data": {"blocked": True}}

    # --- Google Business Profile (§3) ------------------------------------------------------

    def _reviews(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        location = match.group("location")
        reviews = sorted(
            self.state.collection(f"reviews:{location}"),
            key=lambda review: str(review.get("updateTime") or ""),
            reverse=True,
        )
        page, next_token = _page(reviews, params, size_key="pageSize", default_size=50)
        body: dict[str, Any] = {"reviews": page, "totalReviewCount": len(reviews)}
        if next_token:
            body["nextPageToken"] = next_token
        return 200, body

    def _review(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        review = self._find_review(match)
        if review is None:
            return error_answer("google_business", 404, "Requested entity was not found.")
        return 200, review

    def _review_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        comment = str(params.get("comment") or "")
        if not comment.strip() or len(comment.encode()) > 4096:
            return error_answer("google_business", 400, "Request contains an invalid argument.")
        review = self._find_review(match)
        if review is None:
            return error_answer("google_business", 404, "Requested entity was not found.")
        reply = {"comment": comment, "updateTime": _rfc3339(time.time())}
        with self.state.lock:
            review["reviewReply"] = reply
        return 200, reply

    def _delete_review_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        review = self._find_review(match)
        if review is None:
            return error_answer("google_business", 404, "Requested entity was not found.")
        with self.state.lock:
            review.pop("reviewReply", None)
        return 200, {}

    def _find_review(self, match: re.Match[str]) -> dict[str, Any] | None:
        name = f"{match.group('location')}/reviews/{match.group('review')}"
        with self.state.lock:
            for review in self.state.data.get(f"reviews:{match.group('location')}", []):
                if review.get("name") == name:
                    return review
        return None

    def _google_accounts(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        accounts = self.state.collection("google-accounts") or [
            {"name": "accounts/112233445566778899009", "accountName": "Simulated Brand"}
        ]
        return 200, {"accounts": accounts}

    def _google_locations(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        account = match.group("account")
        locations = self.state.collection(f"google-locations:{account}") or [
            {"name": f"{account}/locations/9988776655443322119", "title": "Simulated Shop"}
        ]
        return 200, {"locations": locations}

    # --- YouTube (§4) ----------------------------------------------------------------------

    def _youtube_channels(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        channels = self.state.collection("youtube-channels") or [
            {"id": "UCsimulatedChannel000009", "snippet": {"title": "Simulated Channel"}}
        ]
        return 200, {"kind": "youtube#channelListResponse", "items": channels}

    def _comment_threads(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if params.get("id"):  # threads by id, whichever channel holds them
            wanted = set(str(params["id"]).split(","))
            with self.state.lock:
                found = [
                    thread
                    for name, threads in self.state.data.items()
                    if name.startswith("youtube:")
                    for thread in threads
                    if thread.get("id") in wanted
                ]
            return 200, {"kind": "youtube#commentThreadListResponse", "items": found}
        channel = str(params.get("allThreadsRelatedToChannelId") or "")
        threads = sorted(
            self.state.collection(f"youtube:{channel}"),
            key=lambda thread: str(
                thread["snippet"]["topLevelComment"]["snippet"].get("publishedAt") or ""
            ),
            reverse=True,
        )
        page, next_token = _page(threads, params, size_key="maxResults", default_size=20)
        body: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(threads), "resultsPerPage": len(page)},
            "items": page,
        }
        if next_token:
            body["nextPageToken"] = next_token
        return 200, body

    def _youtube_replies(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        """GET comments?parentId=: every reply of a thread, oldest first."""
        parent = str(params.get("parentId") or "")
        if not parent:
            return error_answer("youtube", 400, "parentId is required")
        replies = self.state.collection(f"youtube-replies:{parent}")
        page, next_token = _page(replies, params, size_key="maxResults", default_size=20)
        body: dict[str, Any] = {"kind": "youtube#commentListResponse", "items": page}
        if next_token:
            body["nextPageToken"] = next_token
        return 200, body

    def _youtube_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        snippet = _object(params.get("snippet"))
        parent = str(snippet.get("parentId") or "")
        text = str(snippet.get("textOriginal") or "")
        if not parent or not text.strip():
            return error_answer("youtube", 400, "The comment text and parentId are required.")
        return 200, {
            "kind": "youtube#comment",
            "id": f"{parent}.{secrets.token_urlsafe(12)}",
            "snippet": {
                "parentId": parent,
                "textOriginal": text,
                "publishedAt": _rfc3339(time.time()),
            },
        }

    def _youtube_moderate(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        status = params.get("moderationStatus")
        if not params.get("id") or status not in ("heldForReview", "published", "rejected"):
            return error_answer("youtube", 400, "processingFailure")
        if params.get("banAuthor") == "true" and status != "rejected":
            return error_answer("youtube", 400, "banWithoutReject")
        return 204, _NO_CONTENT

    # --- LinkedIn (§5) ---------------------------------------------------------------------

    def _linkedin_acls(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        organizations = self.state.collection("linkedin-organizations") or [
            {"id": "2414189", "localizedName": "Simulated Brand"}
        ]
        return 200, {
            "elements": [
                {
                    "organization": f"urn:li:organization:{o['id']}",
                    "role": "ADMINISTRATOR",
                    "state": "APPROVED",
                }
                for o in organizations
            ]
        }

    def _linkedin_organization(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        for organization in self.state.collection("linkedin-organizations") or [
            {"id": "2414189", "localizedName": "Simulated Brand"}
        ]:
            if organization["id"] == match.group("organization_id"):
                return 200, organization
        return error_answer("linkedin", 404, "Organization not found")

    def _linkedin_posts(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        posts = self.state.collection(f"linkedin-posts:{params.get('author')}")
        return 200, {"paging": {"start": 0, "count": len(posts)}, "elements": posts}

    def _linkedin_comments(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        post = unquote(match.group("urn"))
        comments = self.state.collection(f"linkedin-comments:{post}")
        page, _ = _page(comments, params, size_key="count", default_size=10, offset_key="start")
        return 200, {
            "paging": {
                "start": int(params.get("start") or 0),
                "count": len(page),
                "total": len(comments),
            },
            "elements": page,
        }

    def _linkedin_comment(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        post = unquote(match.group("urn"))
        text = str(_object(params.get("message")).get("text") or "")
        if not text.strip() or not params.get("actor"):
            return error_answer("linkedin", 422, "actor and message.text are required")
        comment_id = new_object_id(19)
        activity = post.replace("urn:li:share:", "urn:li:activity:").replace(
            "urn:li:ugcPost:", "urn:li:activity:"
        )
        urn = f"urn:li:comment:({activity},{comment_id})"
        now_ms = int(time.time() * 1000)
        return 201, {
            "actor": params["actor"],
            "commentUrn": urn,
            "$URN": urn,
            "id": comment_id,
            "object": post,
            "message": {"text": text},
            "created": {"actor": params["actor"], "time": now_ms},
            "lastModified": {"actor": params["actor"], "time": now_ms},
        }

    def _linkedin_delete(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if not params.get("actor"):
            return error_answer("linkedin", 422, "actor is required")
        return 204, _NO_CONTENT

    # --- TikTok (§6) -----------------------------------------------------------------------

    def _tiktok_videos(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        videos = self.state.collection(f"tiktok-videos:{params.get('business_id')}")
        return 200, _tiktok_ok({"videos": videos, "has_more": False, "cursor": len(videos)})

    def _tiktok_comments(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        comments = sorted(
            self.state.collection(f"tiktok-comments:{params.get('video_id')}"),
            key=lambda comment: int(comment.get("create_time") or 0),
            reverse=True,
        )
        limit = min(int(params.get("max_count") or 30), 30)
        start = int(params.get("cursor") or 0)
        page = comments[start : start + limit]
        return 200, _tiktok_ok(
            {
                "comments": page,
                "cursor": start + len(page),
                "has_more": start + limit < len(comments),
            }
        )

    def _tiktok_business(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        business_id = str(params.get("business_id") or "")
        if not business_id:
            return 200, {"code": 40002, "message": "business_id is required", "data": {}}
        return 200, _tiktok_ok(
            {"username": f"brand_{business_id[-4:]}", "display_name": "Simulated Brand"}
        )

    def _tiktok_reply(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        text = str(params.get("text") or "")
        if not text.strip() or len(text) > 150 or not params.get("comment_id"):
            return 200, {"code": 40002, "message": "Invalid text or comment_id", "data": {}}
        return 200, _tiktok_ok(
            {"comment_id": new_object_id(19), "video_id": params.get("video_id"), "text": text}
        )

    def _tiktok_hide(self, match: re.Match[str], params: dict[str, Any]) -> Answer:
        if params.get("action") not in ("HIDE", "UNHIDE"):
            return 200, {"code": 40002, "message": "action must be HIDE or UNHIDE", "data": {}}
        return 200, _tiktok_ok({})

    # (method, path pattern, handler): the platform routes this simulator speaks.
    routes: ClassVar[list[tuple[str, re.Pattern[str], Handler]]] = [
        ("POST", re.compile(_V + r"/(?P<object_id>[\w.-]+)/comments/?$"), _comment_reply),
        ("POST", re.compile(_V + r"/(?P<comment_id>\d+)/replies/?$"), _instagram_comment_reply),
        (
            "POST",
            re.compile(_V + r"/(?P<account_id>[\w.-]+)/mentions/?$"),
            _instagram_mention_reply,
        ),
        ("POST", re.compile(_V + r"/(?P<page_id>[\w.-]+)/messages/?$"), _messages),
        ("POST", re.compile(_V + r"/(?P<page_id>[\w.-]+)/blocked/?$"), _block),
        ("GET", re.compile(_V + r"/me/accounts/?$"), _my_pages),
        ("GET", re.compile(_V + r"/(?P<page_id>[\w.-]+)/feed/?$"), _page_feed),
        ("GET", re.compile(_V + r"/(?P<account_id>[\w.-]+)/media/?$"), _instagram_media),
        ("GET", re.compile(_V + r"/(?P<account_id>[\w.-]+)/conversations/?$"), _conversations),
        ("GET", re.compile(_V + r"/oauth/access_token/?$"), _long_lived_token),
        ("POST", re.compile(_V + r"/(?P<page_id>[\w.-]+)/subscribed_apps/?$"), _subscribed_apps),
        ("DELETE", re.compile(_V + r"/(?P<page_id>[\w.-]+)/subscribed_apps/?$"), _subscribed_apps),
        ("POST", re.compile(_V + r"/(?P<object_id>[\w.-]+)/?$"), _moderate_object),
        ("DELETE", re.compile(_V + r"/(?P<object_id>[\w.-]+)/?$"), _delete_object),
        ("GET", re.compile(_V + r"/(?P<object_id>[\w.-]+)/?$"), _graph_object),
        ("GET", re.compile(r"^/2/users/me/?$"), _x_me),
        ("POST", re.compile(r"^/2/tweets/?$"), _tweet),
        ("POST", re.compile(r"^/2/dm_conversations/with/(?P<user_id>\w+)/messages/?$"), _x_dm),
        ("PUT", re.compile(r"^/2/tweets/(?P<tweet_id>\w+)/hidden/?$"), _x_hide),
        ("POST", re.compile(r"^/2/users/(?P<user_id>\w+)/blocking/?$"), _x_block),
        ("POST", re.compile(r"^/2/users/(?P<user_id>\w+)/dm/block/?$"), _x_dm_block),
        ("GET", re.compile(r"^/v4/accounts/?$"), _google_accounts),
        ("GET", re.compile(r"^/v4/(?P<account>accounts/[\w-]+)/locations/?$"), _google_locations),
        (
            "GET",
            re.compile(r"^/v4/(?P<location>accounts/[\w-]+/locations/[\w-]+)/reviews/?$"),
            _reviews,
        ),
        (
            "GET",
            re.compile(
                r"^/v4/(?P<location>accounts/[\w-]+/locations/[\w-]+)/reviews/(?P<review>[\w-]+)/?$"
            ),
            _review,
        ),
        (
            "PUT",
            re.compile(
                r"^/v4/(?P<location>accounts/[\w-]+/locations/[\w-]+)/reviews/(?P<review>[\w-]+)/reply/?$"
            ),
            _review_reply,
        ),
        (
            "DELETE",
            re.compile(
                r"^/v4/(?P<location>accounts/[\w-]+/locations/[\w-]+)/reviews/(?P<review>[\w-]+)/reply/?$"
            ),
            _delete_review_reply,
        ),
        ("GET", re.compile(r"^/youtube/v3/channels/?$"), _youtube_channels),
        ("GET", re.compile(r"^/youtube/v3/commentThreads/?$"), _comment_threads),
        ("GET", re.compile(r"^/youtube/v3/comments/?$"), _youtube_replies),
        ("POST", re.compile(r"^/youtube/v3/comments/?$"), _youtube_reply),
        ("POST", re.compile(r"^/youtube/v3/comments/setModerationStatus/?$"), _youtube_moderate),
        ("GET", re.compile(r"^/rest/organizationAcls/?$"), _linkedin_acls),
        (
            "GET",
            re.compile(r"^/rest/organizations/(?P<organization_id>\d+)/?$"),
            _linkedin_organization,
        ),
        ("GET", re.compile(r"^/rest/posts/?$"), _linkedin_posts),
        ("GET", re.compile(r"^/rest/socialActions/(?P<urn>[^/]+)/comments/?$"), _linkedin_comments),
        ("POST", re.compile(r"^/rest/socialActions/(?P<urn>[^/]+)/comments/?$"), _linkedin_comment),
        (
            "DELETE",
            re.compile(r"^/rest/socialActions/(?P<urn>[^/]+)/comments/(?P<comment_id>\w+)/?$"),
            _linkedin_delete,
        ),
        ("GET", re.compile(r"^/open_api/v1\.3/business/get/?$"), _tiktok_business),
        ("GET", re.compile(r"^/open_api/v1\.3/business/video/list/?$"), _tiktok_videos),
        ("GET", re.compile(r"^/open_api/v1\.3/business/comment/list/?$"), _tiktok_comments),
        ("POST", re.compile(r"^/open_api/v1\.3/business/comment/reply/create/?$"), _tiktok_reply),
        ("POST", re.compile(r"^/open_api/v1\.3/business/comment/hide/?$"), _tiktok_hide),
    ]

    def _control(  # noqa: PLR0911 - one return per control route
        self, method: str, path: str, body: dict[str, Any]
    ) -> Answer:
        state = self.state
        if path == "/_simulator/health":
            return 200, {"ok": True}
        if path == "/_simulator/requests":
            if method == "DELETE":
                state.reset()
                return 200, {"cleared": True}
            with state.lock:
                return 200, {"requests": list(state.requests)}
        if path == "/_simulator/data" and method == "POST":
            items = body.get("items")
            if not isinstance(body.get("collection"), str) or not isinstance(items, list):
                return 400, {"error": "expected {'collection': str, 'items': [objects]}"}
            state.add(body["collection"], [item for item in items if isinstance(item, dict)])
            return 201, {"added": len(items)}
        if path == "/_simulator/failures":
            if method == "DELETE":
                with state.lock:
                    state.failures.clear()
                return 200, {"cleared": True}
            if method == "POST":
                try:
                    rule = FailureRule(
                        path=re.compile(str(body["path"])),
                        status=int(body.get("status", 500)),
                        remaining=int(body.get("count", 1)),
                        headers={str(k): str(v) for k, v in (body.get("headers") or {}).items()},
                        delay_seconds=float(body.get("delay_seconds", 0)),
                    )
                except (KeyError, ValueError, re.error) as error:
                    return 400, {"error": f"bad failure rule: {error}"}
                with state.lock:
                    state.failures.append(rule)
                return 201, {"added": True}
        return 404, {"error": "unknown simulator control route"}

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if payload is _NO_CONTENT else json.dumps(payload).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _mid() -> str:
    return f"m_{secrets.token_urlsafe(16)}"


def _tiktok_ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "message": "OK", "request_id": new_object_id(20), "data": data}


def _rfc3339(timestamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp))


def _page(
    items: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    size_key: str,
    default_size: int,
    offset_key: str = "pageToken",
) -> tuple[list[dict[str, Any]], str]:
    """A page of `items` and the token of the next one (the offset, as the platforms' tokens
    are opaque anyway)."""
    try:
        size = max(1, min(int(params.get(size_key) or default_size), 100))
        start = int(params.get(offset_key) or 0)
    except ValueError:
        size, start = default_size, 0
    page = items[start : start + size]
    return page, str(start + size) if start + size < len(items) else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The platforms take JSON or form bodies; both become a dict."""
    if not raw:
        return {}
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            return {"_unparsed": text}
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    return {key: values[-1] for key, values in parse_qs(text, keep_blank_values=True).items()}


def make_server(host: str = "127.0.0.1", port: int = 8100) -> ThreadingHTTPServer:
    """A server with its own state; port 0 picks a free port (see server.server_address)."""
    handler = type("BoundSimulatorHandler", (SimulatorHandler,), {"state": SimulatorState()})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server
