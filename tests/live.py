"""Fixtures for tests that run the real processes (Celery worker, gunicorn) on committed data.

Unit tests roll back their transaction; a worker or web server in another process cannot see
such data, so these fixtures commit a dedicated client and remove what they made afterwards.
"""

from __future__ import annotations

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

from accounts.models import Agency, Membership, User
from clients.models import Client, ConnectedAccount, InboundEvent
from clients.services import connect_account, create_client
from config.celery import app as celery_app
from inbox.models import Contact, Conversation, Reply
from tests.conftest import PASSWORD, Simulator

ROOT = Path(__file__).resolve().parent.parent
LIVE_PAGE = "105000000000777"
LIVE_AGENT = "live-agent@agency-one.test"


def wait_until(condition: Callable[[], Any], seconds: float = 30, what: str = "it") -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass(frozen=True)
class LiveWorld:
    client: Client
    account: ConnectedAccount
    agent: User
    password: str = PASSWORD


@pytest.fixture
def live_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[LiveWorld]:
    with django_db_blocker.unblock():
        agency, _ = Agency.objects.get_or_create(slug="agency-one", defaults={"name": "Agency One"})
        client = Client.objects.filter(slug="client-live").first() or create_client(
            agency=agency, name="Live Client", slug="client-live"
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
        try:
            yield LiveWorld(client=client, account=account, agent=agent)
        finally:
            connection.set_schema_to_public()
            with tenant_context(client):
                Reply.objects.all().delete()
                Conversation.objects.all().delete()  # cascades to interactions
                Contact.objects.all().delete()
            InboundEvent.objects.filter(account_external_id=LIVE_PAGE).delete()
            Membership.objects.filter(client=client).delete()
            User.objects.filter(email=LIVE_AGENT).delete()
            ConnectedAccount.objects.filter(external_account_id=LIVE_PAGE).delete()


def process_env(simulator: Simulator) -> dict[str, str]:
    """The environment of a child process that works on this test session's database."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PARLEY_DB_NAME": connection.settings_dict["NAME"],
        "PARLEY_CELERY_EAGER": "0",
        "PARLEY_META_GRAPH_BASE_URL": f"{simulator.url}/v21.0",
    }


@pytest.fixture
def celery_worker_process(_simulator_server: Simulator) -> Iterator[None]:
    celery_app.control.purge()
    worker = subprocess.Popen(
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
        env=process_env(_simulator_server),
    )
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def web_server(_simulator_server: Simulator) -> Iterator[str]:
    """gunicorn serving the app as `make run` does; yields its base URL."""
    port = _free_port()
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
        env=process_env(_simulator_server),
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
        server.terminate()
        server.wait(10)
