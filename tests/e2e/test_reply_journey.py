"""An agent's first minute: a comment arrives through the webhook, the agent signs in, opens
it, inserts a saved reply with the keyboard, sends it, and sees it sent; the simulator holds the
Graph API call."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from clients.simulator.generator import encode_like_meta, feed_comment_delivery, sign_meta
from inbox.models import Interaction, SavedReply
from tests.conftest import Simulator
from tests.e2e.conftest import SCREENSHOTS
from tests.live import LIVE_AGENT, LIVE_PAGE, LiveWorld, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


@pytest.mark.usefixtures("celery_worker_process")
def test_agent_replies_to_a_comment_in_the_browser(
    live_world: LiveWorld,
    web_server: str,
    open_browser_page: Any,
    simulator: Simulator,
    django_db_blocker: Any,
) -> None:
    body = encode_like_meta(
        feed_comment_delivery(
            page_id=LIVE_PAGE,
            author_id="6000000000000042",
            author_name="Jane <b>Doe</b>",
            message="Is this available in blue? <script>alert(1)</script>",
        )
    )
    response = httpx.post(
        f"{web_server}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign_meta(body, settings.META_APP_SECRET)},
    )
    assert response.status_code == 200

    def ingested() -> bool:
        with django_db_blocker.unblock(), tenant_context(live_world.client):
            return Interaction.objects.exists()

    wait_until(ingested, what="the comment to be ingested")
    with django_db_blocker.unblock(), tenant_context(live_world.client):
        SavedReply.objects.create(
            title="In stock", body="Hi {contact.first_name}, navy blue is in stock! {agent.name}"
        )
    page = open_browser_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{web_server}/clients/client-live/inbox/")
    page.get_by_label("E-mail").fill(LIVE_AGENT)
    page.get_by_label("Password").fill(live_world.password)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/clients/client-live/inbox/")
    row = page.locator(".conversation-row").first
    assert "Is this available in blue? <script>alert(1)</script>" in row.inner_text()
    page.screenshot(path=SCREENSHOTS / "inbox-list.png")

    row.locator("a").click()
    page.get_by_label("Your reply").wait_for()  # the conversation opens beside the list
    page.keyboard.press("Alt+s")
    page.keyboard.type("stock")
    page.locator(".picker [data-use-url]").first.wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    composer = page.get_by_label("Your reply")
    page.wait_for_function("document.getElementById('id_text').value.length > 0")
    assert composer.input_value() == "Hi Jane, navy blue is in stock! Live Agent"
    page.get_by_role("button", name="Send reply").click()

    page.locator(".status-sent").wait_for()
    page.screenshot(path=SCREENSHOTS / "reply-sent.png")
    assert dialogs == []  # the <script> in the comment never ran
    [call] = [r for r in simulator.requests if r["path"].endswith("/comments")]
    assert call["body"] == {"message": "Hi Jane, navy blue is in stock! Live Agent"}
