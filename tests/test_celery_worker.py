"""The real thing once: a Celery worker process, a Redis broker, committed data.

Every other test runs tasks eagerly inside a rolled-back transaction; this one proves the
tenant travels in the task headers and that the webhook -> worker -> reply path works for real.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django_tenants.utils import tenant_context

from clients.simulator.generator import encode_like_meta, feed_comment_delivery, sign_meta
from inbox.models import Interaction, Reply
from tests.conftest import Simulator
from tests.live import LIVE_PAGE, LiveWorld, wait_until

pytestmark = pytest.mark.worker


@pytest.mark.usefixtures("celery_worker_process")
def test_webhook_to_worker_to_platform_with_a_real_worker(
    live_world: LiveWorld, django_db_blocker: Any, simulator: Simulator
) -> None:
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    body = encode_like_meta(
        feed_comment_delivery(
            page_id=LIVE_PAGE,
            author_id="6000000000000099",
            author_name="Zoë Ärger",
            message="Wo bleibt meine Bestellung?",
        )
    )
    http = HttpClient()
    with django_db_blocker.unblock():
        response = http.post(
            "/webhooks/meta/",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign_meta(body, settings.META_APP_SECRET),
        )
        assert response.status_code == 200

        def stored_interaction() -> Interaction | None:
            with tenant_context(live_world.client):
                return Interaction.objects.select_related("contact").first()

        interaction = wait_until(stored_interaction, what="the worker to ingest")
        assert interaction.text == "Wo bleibt meine Bestellung?"
        assert interaction.contact.name == "Zoë Ärger"
        assert interaction.connected_account_id == live_world.account.pk

        http.force_login(live_world.agent)
        response = http.post(
            f"/clients/client-live/inbox/interactions/{interaction.pk}/replies/",
            {"text": "Wir sehen sofort nach!"},
        )
        assert response.status_code == 302

        def sent_reply() -> Reply | None:
            with tenant_context(live_world.client):
                return Reply.objects.filter(status="sent").first()

        reply = wait_until(sent_reply, what="the worker to send")
    [call] = [r for r in simulator.requests if r["path"].endswith("/comments")]
    assert call["path"] == f"/v21.0/{interaction.external_id}/comments"
    assert call["authorization"] == "Bearer live-page-token"
    assert reply.external_id
