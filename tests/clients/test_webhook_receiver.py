"""The webhook receiver (clients/webhooks/receiver.py), run as `make run` runs it: a real
uvicorn process on the test database. Acknowledged means committed, concurrent and repeated
deliveries are stored once and processed by a real worker, every refusal is the Django
view's answer, and a delivery that cannot be stored is never acknowledged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.models import InboundDelivery, InboundEvent
from inbox.models import Interaction
from tests.conftest import Simulator
from tests.live import LIVE_PAGE, ROOT, LiveWorld, log_to, process_env, stop, wait_until

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_receiver(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "clients.webhooks.receiver:app"),
            *("--port", str(port), "--loop", "uvloop", "--http", "httptools"),
        ],
        cwd=ROOT,
        env=env,
        **log_to(log),
    )

    def answers() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            return False

    wait_until(answers, seconds=30, what="the webhook receiver")
    return process, f"http://127.0.0.1:{port}"


@pytest.fixture
def receiver(
    live_world: LiveWorld, simulator: Simulator, django_db_blocker: Any, tmp_path: Path
) -> Iterator[str]:
    name = f"test-receiver-{os.getpid()}"
    process, url = start_receiver(process_env(simulator, name), tmp_path / "receiver.log")
    try:
        yield url
    finally:
        stop(process, name, django_db_blocker)


def meta_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(settings.META_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()


def comments(number: int, count: int = 5) -> bytes:
    changes = [
        {
            "field": "feed",
            "value": {
                "from": {"id": f"64{number:06d}{n:03d}", "name": f"Person {number}-{n}"},
                "post_id": f"{LIVE_PAGE}_88{number:06d}",
                "comment_id": f"88{number:06d}_{n:03d}",
                "created_time": 1717000000 + n,
                "item": "comment",
                "parent_id": f"{LIVE_PAGE}_88{number:06d}",
                "verb": "add",
                "message": f"Where is order {number}-{n}?",
            },
        }
        for n in range(count)
    ]
    entry = {"id": LIVE_PAGE, "time": 1717000000, "changes": changes}
    return json.dumps({"object": "page", "entry": [entry]}).encode()


def post_meta(url: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{url}/webhooks/meta/",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)},
        timeout=30,
    )


def stored() -> int:
    """The page's distinct events committed so far: split into InboundEvents already or still
    in the receiver's InboundDelivery rows (one statement, so one snapshot of both)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(DISTINCT dedupe_key) FROM (
                SELECT dedupe_key FROM {InboundEvent._meta.db_table}
                WHERE account_external_id = %(page)s
                UNION ALL
                SELECT e.dedupe_key FROM {InboundDelivery._meta.db_table},
                    jsonb_to_recordset(events::jsonb) AS e(account text, dedupe_key text)
                WHERE e.account = %(page)s
            ) AS committed
            """,  # noqa: S608 - table names from the models
            {"page": LIVE_PAGE},
        )
        return int(cursor.fetchone()[0])


@pytest.mark.usefixtures("celery_worker_process")
def test_concurrent_and_repeated_deliveries_are_stored_once_and_become_interactions(
    live_world: LiveWorld, receiver: str, django_db_blocker: Any
) -> None:
    deliveries = [comments(number) for number in range(30)]
    with ThreadPoolExecutor(8) as senders:
        # Every delivery twice (a platform's retry), all at once.
        answers = list(senders.map(lambda body: post_meta(receiver, body), deliveries * 2))
    assert {(a.status_code, a.text) for a in answers} == {(200, "EVENT_RECEIVED")}
    with django_db_blocker.unblock():
        assert stored() == 150  # acknowledged means committed: already there
        with tenant_context(live_world.client):
            wait_until(lambda: Interaction.objects.count() == 150, what="every comment ingested")
            assert Interaction.objects.values("external_id").distinct().count() == 150


LONG_ID = comments(4).replace(LIVE_PAGE.encode(), b"1" * 300)
CASES: list[tuple[str, str, dict[str, str], bytes]] = [
    ("POST", "/webhooks/meta/", {"X-Hub-Signature-256": "sha256=" + "0" * 64}, comments(1)),
    ("POST", "/webhooks/meta", {}, comments(2)),
    ("POST", "/webhooks/meta/", {"X-Hub-Signature-256": meta_signature(b"{nope")}, b"{nope"),
    ("PUT", "/webhooks/meta/", {}, b""),
    ("GET", "/webhooks/google/", {}, b""),
    (
        "GET",
        "/webhooks/meta/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=meatyhamhock",
        {},
        b"",
    ),
    ("GET", "/webhooks/meta/?hub.mode=subscribe&hub.challenge=42&hub.verify_token=wrong", {}, b""),
    ("GET", "/webhooks/x/?crc_token=challenge", {}, b""),
    ("GET", "/webhooks/x/", {}, b""),
    ("POST", "/webhooks/x/", {"x-twitter-webhooks-signature": "sha256=AAAA"}, b"{}"),
    ("POST", "/webhooks/google/?token=wrong", {}, b"{}"),
    # Signed, but with a Page id no column can hold.
    ("POST", "/webhooks/meta/", {"X-Hub-Signature-256": meta_signature(LONG_ID)}, LONG_ID),
    ("POST", "/webhooks/google/?token=test_google_push_token", {}, b"not json"),
]


def test_every_refusal_and_handshake_is_the_django_views_answer_and_stores_nothing(
    receiver: str, django_db_blocker: Any
) -> None:
    django_client = HttpClient()
    for method, path, headers, body in CASES:
        ours = httpx.request(method, receiver + path, content=body, headers=headers, timeout=10)
        with django_db_blocker.unblock():
            theirs = django_client.generic(
                method, path, body, content_type="application/json", headers=headers
            )
        assert (ours.status_code, ours.content) == (theirs.status_code, theirs.content), path
        assert ours.headers.get("allow") == theirs.headers.get("Allow"), path
    expected = base64.b64encode(
        hmac.new(settings.X_CONSUMER_SECRET.encode(), b"challenge", hashlib.sha256).digest()
    ).decode()
    crc = httpx.get(f"{receiver}/webhooks/x/?crc_token=challenge", timeout=10)
    assert crc.json() == {"response_token": f"sha256={expected}"}
    assert httpx.post(f"{receiver}/elsewhere/", timeout=10).status_code == 404
    too_long = post_meta(receiver, LONG_ID)
    assert (too_long.status_code, too_long.json()["code"]) == (400, "malformed_payload")
    with django_db_blocker.unblock():
        assert stored() == 0


def test_oversized_delivery_is_refused_before_it_is_read(
    receiver: str, django_db_blocker: Any
) -> None:
    body = b"x" * (settings.WEBHOOK_MAX_BODY_BYTES + 1)
    answer = httpx.post(
        f"{receiver}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": meta_signature(body)},
        timeout=30,
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is counted while reading
        for _ in range(3):
            yield b"x" * (settings.WEBHOOK_MAX_BODY_BYTES // 2)

    streamed = httpx.post(f"{receiver}/webhooks/meta/", content=chunks(), timeout=30)
    assert streamed.status_code == 413
    with django_db_blocker.unblock():
        assert stored() == 0


def test_a_delivery_that_cannot_be_stored_is_not_acknowledged(
    live_world: LiveWorld, simulator: Simulator, django_db_blocker: Any, tmp_path: Path
) -> None:
    """PostgreSQL unreachable: 503, so the platform sends it again."""
    name = f"test-receiver-nodb-{os.getpid()}"
    env = {**process_env(simulator, name), "PARLEY_DB_PORT": str(free_port())}
    process, url = start_receiver(env, tmp_path / "receiver.log")
    try:
        answer = post_meta(url, comments(3))
        assert answer.status_code == 503
        assert answer.json()["code"] == "not_stored"
    finally:
        stop(process, name, django_db_blocker)


def test_a_receiver_started_while_the_broker_is_down_still_acknowledges_what_it_stores(
    live_world: LiveWorld, simulator: Simulator, django_db_blocker: Any, tmp_path: Path
) -> None:
    """Publishing is prepared at start; the broker being unreachable then (or later) costs
    only the task: the delivery is stored, acknowledged, and left for the stale sweep."""
    name = f"test-receiver-nobroker-{os.getpid()}"
    env = {**process_env(simulator, name), "PARLEY_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    log = tmp_path / "receiver.log"
    process, url = start_receiver(env, log)
    try:
        answer = post_meta(url, comments(7, count=3))
        assert answer.status_code == 200
        with django_db_blocker.unblock():
            assert stored() == 3
    finally:
        stop(process, name, django_db_blocker)
    assert "The broker is not reachable yet" in log.read_text()
