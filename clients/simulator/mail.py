"""A local mail catcher for `make run`: an SMTP server that keeps what it receives, and a page
that lists it, so e-mailed links (approvals, password resets) can be followed in the demo."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import threading
import time
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

_URL = re.compile(r"https?://[^\s<>\"]+")
_KEEP = 500


@dataclass(frozen=True)
class CaughtMail:
    received_at: float
    sender: str
    recipients: list[str]
    subject: str
    body: str


class MailStore:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[CaughtMail] = []

    def add(self, message: CaughtMail) -> None:
        with self.lock:
            self.messages.append(message)
            del self.messages[:-_KEEP]

    def newest_first(self) -> list[CaughtMail]:
        with self.lock:
            return list(reversed(self.messages))


class _SmtpHandler:
    def __init__(self, store: MailStore) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""
        self.store.add(
            CaughtMail(
                received_at=time.time(),
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                subject=str(parsed.get("Subject", "")),
                body=str(body),
            )
        )
        return "250 Message accepted"


def _linkify(text: str) -> str:
    """Escape everything, then make the (escaped) URLs clickable."""
    return _URL.sub(lambda m: f'<a href="{m.group()}">{m.group()}</a>', html.escape(text))


def _page(messages: list[CaughtMail]) -> bytes:
    items = "".join(
        f"<article><h2>{html.escape(m.subject)}</h2>"
        f"<p>To {html.escape(', '.join(m.recipients))} · "
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(m.received_at))}</p>"
        f"<pre>{_linkify(m.body)}</pre></article>"
        for m in messages
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Caught e-mail · Parley</title><style>body{font-family:system-ui;max-width:60rem;"
        "margin:1rem auto}article{border:1px solid #d0d7de;border-radius:8px;padding:.5rem 1rem;"
        "margin:.8rem 0}pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>Caught e-mail ({len(messages)})</h1>"
        + (items or "<p>Nothing yet. E-mail sent by Parley appears here.</p>")
        + "</body></html>"
    ).encode()


def make_http_server(store: MailStore, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/messages.json"):
                data = json.dumps([asdict(m) for m in store.newest_first()]).encode()
                content_type = "application/json"
            else:
                data = _page(store.newest_first())
                content_type = "text/html; charset=utf-8"
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return ThreadingHTTPServer((host, port), Handler)


def start_smtp(store: MailStore, host: str, port: int) -> Controller:
    controller = Controller(_SmtpHandler(store), hostname=host, port=port)
    controller.start()
    return controller
