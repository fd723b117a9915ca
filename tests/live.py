"""Fixtures for tests that run the real processes (Celery worker, gunicorn) on committed data.

Unit tests roll back their transaction; a worker or web server in another process cannot see
such data, so these fixtures commit a dedicated client and remove what they made afterwards.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Agency, Membership, Notification, User
from clients.models import (
    ApprovalLink,
    Client,
    ConnectedAccount,
    InboundDelivery,
    InboundEvent,
    WorkItem,
)
from clients.services import connect_account, create_client
from config.celery import app as celery_app
from guidelines.models import GuidelineVersion
from inbox.models import (
    ApprovalPolicy,
    Contact,
    Conversation,
    Reply,
    SavedReply,
    SavedView,
    Tag,
)
from tests.conftest import PASSWORD, Simulator

ROOT = Path(__file__).resolve().parent.parent
LIVE_CLIENT = "client-live"
LIVE_PAGE = "105000000000777"
LIVE_AGENT = "live-agent@agency-live.test"
LIVE_COLLEAGUE = "live-colleague@agency-live.test"


def wait_until(condition: Callable[[], Any], seconds: float = 30, what: str = "it") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes], name: str, django_db_blocker: Any) -> None:
    """Stop a child process and wait until PostgreSQL has closed its sessions (tagged with
    PGAPPNAME by `process_env`), so the test database can be dropped at the end of the run."""
    process.terminate()
    process.wait(10)

    def sessions_closed() -> bool:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "select count(*) from pg_stat_activity where application_name = %s", [name]
            )
            return cursor.fetchone()[0] == 0

    wait_until(sessions_closed, seconds=10, what="the child process's database sessions")


@dataclass(frozen=True)
class LiveWorld:
    client: Client
    account: ConnectedAccount
    agent: User
    colleague: User
    password: str = PASSWORD


def _require_test_database() -> str:
    database = str(connection.settings_dict["NAME"])
    assert database.startswith("test_"), f"refusing to commit test data to {database}"
    return database


@pytest.fixture
def live_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[LiveWorld]:
    _require_test_database()
    with django_db_blocker.unblock():
        _remove_live_data()  # left over by an interrupted run
        # An agency of its own, so the committed client never shows in other tests' lists.
        agency, _ = Agency.objects.get_or_create(slug="agency-live", defaults={"name": "Live"})
        client = Client.objects.filter(slug=LIVE_CLIENT).first() or create_client(
            agency=agency, name="Live Client", slug=LIVE_CLIENT
        )
        account = connect_account(
            client=client,
            platform="facebook",
            external_account_id=LIVE_PAGE,
            name="Live Page",
            access_token="live-page-token",
        )
        agent = User.objects.create_user(LIVE_AGENT, PASSWORD, full_name="Live Agent")
        Membership.objects.create(user=agent, client=client, role="agent")
        colleague = User.objects.create_user(LIVE_COLLEAGUE, PASSWORD, full_name="Cora Colleague")
        Membership.objects.create(user=colleague, client=client, role="agent")
        try:
            yield LiveWorld(client=client, account=account, agent=agent, colleague=colleague)
        finally:
            _remove_live_data()


def _remove_live_data() -> None:
    connection.set_schema_to_public()
    client = Client.objects.filter(slug=LIVE_CLIENT).first()
    if client is not None:
        with tenant_context(client):
            Reply.objects.all().delete()
            Conversation.objects.all().delete()  # cascades to interactions
            Contact.objects.all().delete()
            ApprovalPolicy.objects.all().delete()
            SavedReply.objects.all().delete()
            GuidelineVersion.objects.all().delete()
            Tag.objects.all().delete()
            SavedView.objects.all().delete()
        ApprovalLink.objects.filter(client=client).delete()
        WorkItem.objects.filter(client=client).delete()
        Notification.objects.filter(client=client).delete()
        Membership.objects.filter(client=client).delete()
    InboundEvent.objects.filter(account_external_id=LIVE_PAGE).delete()
    # What a live receiver stored and no live worker took: rows of the live page's events.
    InboundDelivery.objects.filter(events__contains=f'"{LIVE_PAGE}"').delete()
    User.objects.filter(email__in=[LIVE_AGENT, LIVE_COLLEAGUE]).delete()
    ConnectedAccount.objects.filter(external_account_id=LIVE_PAGE).delete()


def process_env(simulator: Simulator, name: str) -> dict[str, str]:
    """The environment of a child process that works on this test session's database.

    Only valid once django_db_setup has switched the connection to the test database: the
    fixtures below depend on live_world, which depends on it."""
    database = _require_test_database()
    return {
        **os.environ,
        "PGAPPNAME": name,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PARLEY_DB_NAME": database,
        "PARLEY_CELERY_EAGER": "0",
        "PARLEY_SIMULATOR_URL": simulator.url,
    }


def start_worker(simulator: Simulator, name: str, log: Path) -> subprocess.Popen[bytes]:
    """A real Celery worker on this test session's database (its sessions tagged `name`)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "solo",
            "-Q",
            "ingest,outbound,scheduled,default",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=process_env(simulator, name),
        **log_to(log),
    )


@pytest.fixture
def celery_worker_process(
    live_world: LiveWorld, _simulator_server: Simulator, django_db_blocker: Any, tmp_path: Path
) -> Iterator[None]:
    celery_app.control.purge()
    worker = start_worker(
        _simulator_server, f"test-worker-{os.getpid()}", tmp_path / "celery-worker.log"
    )
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = True
        stop(worker, f"test-worker-{os.getpid()}", django_db_blocker)


def log_to(path: Path) -> dict[str, Any]:
    """Send a child's output to a file. Never let it inherit our stdout: under xdist that is a
    pipe nobody reads, and a child that fills it blocks forever on its next write."""
    return {"stdout": path.open("wb"), "stderr": subprocess.STDOUT}


def sent_mail(tmp_path: Path) -> str:
    """Everything the live web server has e-mailed so far, as one text."""
    folder = tmp_path / "mail"
    return "\n".join(p.read_text() for p in sorted(folder.glob("*"))) if folder.exists() else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def web_server(
    live_world: LiveWorld, _simulator_server: Simulator, django_db_blocker: Any, tmp_path: Path
) -> Iterator[str]:
    """gunicorn serving the app as `make run` does, with the live-update stream beside it;
    yields its base URL. E-mail it sends lands as files in `tmp_path / "mail"`."""
    stack = contextlib.ExitStack()
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    live_url = stack.enter_context(
        _live_stream_process(base_url=base_url, log=tmp_path / "live.log")
    )
    env = {
        **process_env(_simulator_server, f"test-web-{os.getpid()}"),
        "PARLEY_BASE_URL": base_url,
        "PARLEY_LIVE_URL": live_url,
        "PARLEY_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "PARLEY_EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        **log_to(tmp_path / "gunicorn.log"),
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/accounts/login/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, what="gunicorn")
        yield url
    finally:
        stop(server, f"test-web-{os.getpid()}", django_db_blocker)
        stack.close()


@contextlib.contextmanager
def _live_stream_process(*, base_url: str, log: Path) -> Iterator[str]:
    """uvicorn serving inbox/live/asgi.py as `make run` does; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "inbox.live.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "PARLEY_BASE_URL": base_url,
        },
        **log_to(log),
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{url}/live/", timeout=1).status_code == 404
        except httpx.HTTPError:
            return False

    try:
        wait_until(answers, what="the live stream server")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def live_stream_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One stream server per test process, for tests of the stream itself."""
    log = tmp_path_factory.mktemp("live") / "live.log"
    with _live_stream_process(base_url="http://testserver", log=log) as url:
        yield url
