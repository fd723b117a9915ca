"""The demo's mail catcher: real SMTP in, an escaped page with clickable links out."""

from __future__ import annotations

import socket
import threading

import httpx
from django.core.mail import EmailMessage, get_connection

from clients.simulator.mail import MailStore, make_http_server, start_smtp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_caught_mail_is_listed_escaped_with_clickable_links() -> None:
    store = MailStore()
    smtp = start_smtp(store, "127.0.0.1", free_port())
    page = make_http_server(store, "127.0.0.1", 0)
    threading.Thread(target=page.serve_forever, daemon=True).start()
    try:
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host="127.0.0.1",
            port=smtp.port,
        )
        EmailMessage(
            subject="<script>alert(1)</script> approve",
            body="Approve here: http://127.0.0.1:8000/approvals/a/tok:en/\n<b>bold</b>",
            from_email="parley@localhost",
            to=["cmo@brand.test"],
            connection=connection,
        ).send()
        base = f"http://127.0.0.1:{page.server_address[1]}"

        listing = httpx.get(f"{base}/").text
        messages = httpx.get(f"{base}/messages.json").json()
    finally:
        page.shutdown()
        smtp.stop()

    assert "&lt;script&gt;alert(1)&lt;/script&gt; approve" in listing
    assert "<script>" not in listing
    assert "&lt;b&gt;bold&lt;/b&gt;" in listing
    assert (
        '<a href="http://127.0.0.1:8000/approvals/a/tok:en/">'
        "http://127.0.0.1:8000/approvals/a/tok:en/</a>" in listing
    )
    assert messages[0]["recipients"] == ["cmo@brand.test"]
