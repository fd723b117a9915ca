"""The real thing once: a Celery worker process, a Redis broker, committed data.

Every other test runs tasks eagerly inside a rolled-back transaction; this one proves the
tenant travels in the task headers and that the webhook -> worker -> reply path works for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from accounts.models import Agency, Membership, User
from clients.models import Client, ConnectedAccount, InboundEvent
from clients.services import connect_account, create_client
from clients.simulator.generator import encode_like_meta, feed_comment_delivery, sign_meta
from config.celery import app as celery_app
from inbox.models import Contact, Conversation, Interaction, Reply
from tests.conftest import Simulator

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parent.parent
PAGE = "105000000000777"


def wait_until(condition: Callable[[], Any], seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError("timed out waiting for the worker")


@pytest.fixture
def committed_client(django_db_setup: None, django_db_blocker: Any) -> Iterator[Client]:
    """A client whose rows are committed (the worker is another process), removed afterwards."""
    with django_db_blocker.unblock():
        agency, _ = Agency.objects.get_or_create(slug="agency-one", defaults={"name": "Agency One"})
        client = Client.objects.filter(slug="client-worker").first() or create_client(
            agency=agency, name="Worker Client", slug="client-worker"
        )
        yield client
        connection.set_schema_to_public()
        with tenant_context(client):
            Reply.objects.all().delete()
            Conversation.objects.all().delete()
            Contact.objects.all().delete()
        InboundEvent.objects.filter(account_external_id=PAGE).delete()
        Membership.objects.filter(client=client).delete()
        User.objects.filter(email="worker-agent@agency-one.test").delete()
        ConnectedAccount.objects.filter(external_account_id=PAGE).delete()


@pytest.fixture
def celery_worker_process(_simulator_server: Simulator) -> Iterator[None]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PARLEY_DB_NAME": connection.settings_dict["NAME"],
        "PARLEY_CELERY_EAGER": "0",
        "PARLEY_META_GRAPH_BASE_URL": f"{_simulator_server.url}/v21.0",
    }
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
        env=env,
    )
    celery_app.conf.task_always_eager = False
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = True
        worker.terminate()
        worker.wait(10)


@pytest.mark.usefixtures("celery_worker_process")
def test_webhook_to_worker_to_platform_with_a_real_worker(
    committed_client: Client, django_db_blocker: Any, simulator: Simulator
) -> None:
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    with django_db_blocker.unblock():
        account = connect_account(
            client=committed_client,
            platform="facebook",
            external_account_id=PAGE,
            name="Worker Page",
            access_token="worker-page-token",
        )
        agent = User.objects.create_user("worker-agent@agency-one.test", "pw")
        Membership.objects.create(user=agent, client=committed_client, role="agent")
        body = encode_like_meta(
            feed_comment_delivery(
                page_id=PAGE,
                author_id="6000000000000099",
                author_name="Zoë Ärger",
                message="Wo bleibt meine Bestellung?",
            )
        )
        http = HttpClient()

        response = http.post(
            "/webhooks/meta/",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign_meta(body, settings.META_APP_SECRET),
        )
        assert response.status_code == 200

        def stored_interaction() -> Interaction | None:
            with tenant_context(committed_client):
                return Interaction.objects.select_related("contact").first()

        interaction = wait_until(stored_interaction)
        assert interaction.text == "Wo bleibt meine Bestellung?"
        assert interaction.contact.name == "Zoë Ärger"
        assert interaction.connected_account_id == account.pk

        http.force_login(agent)
        response = http.post(
            f"/clients/client-worker/inbox/interactions/{interaction.pk}/replies/",
            {"text": "Wir sehen sofort nach!"},
        )
        assert response.status_code == 302

        def sent_reply() -> Reply | None:
            with tenant_context(committed_client):
                return Reply.objects.filter(status="sent").first()

        reply = wait_until(sent_reply)
        [call] = [r for r in simulator.requests if r["path"].endswith("/comments")]
        assert call["path"] == f"/v21.0/{interaction.external_id}/comments"
        assert call["authorization"] == "Bearer worker-page-token"
        assert reply.external_id
