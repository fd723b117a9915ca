"""A small HTTP server speaking the platforms' outbound APIs (platforms.md §9).

It records every request (GET /_simulator/requests), answers like the platform, and fails on
demand (POST /_simulator/failures {"path": "<regex>", "status": 429, "count": 1}).
Standard library only, so it starts in milliseconds in tests and in `make run`.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

_GRAPH_COMMENT_REPLY = re.compile(r"^/v\d+\.\d+/(?P<object_id>[\w.-]+)/comments/?$")
_GRAPH_MESSAGES = re.compile(r"^/v\d+\.\d+/(?P<page_id>[\w.-]+)/messages/?$")
_GRAPH_IG_COMMENT_REPLY = re.compile(r"^/v\d+\.\d+/(?P<comment_id>\d+)/replies/?$")
_MAX_RECORDED = 10_000


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


def _new_object_id() -> str:
    return str(secrets.randbelow(9 * 10**14) + 10**14)


def _meta_error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": secrets.token_urlsafe(8),
        }
    }


class SimulatorHandler(BaseHTTPRequestHandler):
    server_version = "ParleySimulator/1"
    state: SimulatorState  # set on the subclass made by make_server

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
        self.state.record(
            {
                "method": method,
                "path": url.path,
                "query": query,
                "body": body,
                "authorization": self.headers.get("Authorization", ""),
                "received_at": time.time(),
            }
        )
        rule = self.state.take_failure(url.path)
        if rule is not None:
            time.sleep(rule.delay_seconds)
            if rule.status < 400:  # a slow but successful answer
                status, payload = self._platform(method, url.path, query, body)
                self._send(status, payload)
                return
            _, error_body = _meta_error(rule.status, 4 if rule.status == 429 else 2, "Injected")
            self._send(rule.status, error_body, rule.headers)
            return
        status, payload = self._platform(method, url.path, query, body)
        self._send(status, payload)

    def _platform(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        token = query.get("access_token") or body.get("access_token")
        authorization = self.headers.get("Authorization", "")
        if not token and not authorization.startswith("Bearer "):
            return _meta_error(400, 190, "An active access token must be used.")
        params = {**query, **body}
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if method == route_method and match:
                return handler(self, match, params)
        return _meta_error(400, 100, f"Unsupported {method} request to {path}")

    def _comment_reply(self, match: re.Match[str], params: dict[str, Any]) -> tuple[int, Any]:
        """Facebook: POST /{comment-id}/comments -> {"id": "<post>_<new>"}."""
        if not str(params.get("message") or "").strip():
            return _meta_error(400, 100, "(#100) The parameter message is required")
        post_object_id = match.group("object_id").split("_")[0]
        return 200, {"id": f"{post_object_id}_{_new_object_id()}"}

    def _instagram_comment_reply(
        self, match: re.Match[str], params: dict[str, Any]
    ) -> tuple[int, Any]:
        """Instagram: POST /{ig-comment-id}/replies -> {"id": "<new>"}."""
        if not str(params.get("message") or "").strip():
            return _meta_error(400, 100, "(#100) The parameter message is required")
        return 200, {"id": str(17 * 10**15 + secrets.randbelow(10**15))}

    def _messages(self, match: re.Match[str], params: dict[str, Any]) -> tuple[int, Any]:
        return self._send_message(params)

    # (method, path pattern, handler): the platforms' outbound routes this simulator speaks.
    routes: ClassVar[list[tuple[str, re.Pattern[str], Any]]] = [
        ("POST", _GRAPH_COMMENT_REPLY, _comment_reply),
        ("POST", _GRAPH_IG_COMMENT_REPLY, _instagram_comment_reply),
        ("POST", _GRAPH_MESSAGES, _messages),
    ]

    def _send_message(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        recipient = _object(body.get("recipient"))
        message = _object(body.get("message"))
        if not str(message.get("text") or "").strip():
            return _meta_error(400, 100, "(#100) The parameter message is required")
        comment_id = recipient.get("comment_id")
        if comment_id:
            with self.state.lock:
                if comment_id in self.state.privately_answered_comments:
                    return _meta_error(400, 10900, "Activity already replied to")
                self.state.privately_answered_comments.add(comment_id)
            return 200, {
                "recipient_id": _new_object_id(),
                "message_id": f"m_{secrets.token_urlsafe(16)}",
            }
        if recipient.get("id"):
            return 200, {
                "recipient_id": str(recipient["id"]),
                "message_id": f"m_{secrets.token_urlsafe(16)}",
            }
        return _meta_error(400, 100, "(#100) The parameter recipient is required")

    def _control(  # noqa: PLR0911 - one return per control route
        self, method: str, path: str, body: dict[str, Any]
    ) -> tuple[int, Any]:
        state = self.state
        if path == "/_simulator/health":
            return 200, {"ok": True}
        if path == "/_simulator/requests":
            if method == "DELETE":
                with state.lock:
                    state.requests.clear()
                    state.privately_answered_comments.clear()
                return 200, {"cleared": True}
            with state.lock:
                return 200, {"requests": list(state.requests)}
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
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """The Graph API takes JSON or form bodies; both become a dict."""
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
