"""A client stakeholder without an account approves a reply from the e-mailed link, and the
agent sees it sent."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from clients.simulator.generator import encode_like_meta, feed_comment_delivery, sign_meta
from inbox.approvals import get_approval_policy
from inbox.models import Interaction
from tests.conftest import Simulator
from tests.e2e.conftest import SCREENSHOTS
from tests.live import LIVE_AGENT, LIVE_PAGE, LiveWorld, sent_mail, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


@pytest.mark.usefixtures("celery_worker_process")
def test_stakeholder_approves_from_the_emailed_link(
    live_world: LiveWorld,
    web_server: str,
    open_browser_page: Any,
    simulator: Simulator,
    django_db_blocker: Any,
    tmp_path: Path,
) -> None:
    with django_db_blocker.unblock(), tenant_context(live_world.client):
        policy = get_approval_policy()
        policy.mode = "all"
        policy.approver_emails = ["cmo@live-brand.test"]
        policy.save()
    body = encode_like_meta(
        feed_comment_delivery(
            page_id=LIVE_PAGE,
            author_id="6000000000000077",
            author_name="Ola Nowak",
            message="Do you deliver on Saturdays?",
        )
    )
    httpx.post(
        f"{web_server}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign_meta(body, settings.META_APP_SECRET)},
    ).raise_for_status()

    def ingested() -> bool:
        with django_db_blocker.unblock(), tenant_context(live_world.client):
            return Interaction.objects.exists()

    wait_until(ingested, what="the comment to be ingested")

    agent = open_browser_page()
    agent.goto(f"{web_server}/accounts/login/?next=/clients/client-live/inbox/")
    agent.get_by_label("E-mail").fill(LIVE_AGENT)
    agent.get_by_label("Password").fill(live_world.password)
    agent.get_by_role("button", name="Sign in").click()
    agent.locator(".conversation-row a").first.click()
    agent.get_by_label("Your reply").fill("Yes, every Saturday until 2 pm.")
    agent.get_by_role("button", name="Send reply").click()
    agent.locator(".status-pending_approval").wait_for()
    agent.screenshot(path=SCREENSHOTS / "reply-waiting-for-approval.png")

    link = wait_until(
        lambda: re.search(
            rf"{re.escape(web_server)}/approvals/client-live/\S+/", sent_mail(tmp_path)
        ),
        what="the approval e-mail",
    ).group()
    stakeholder = open_browser_page()
    stakeholder.goto(link)
    stakeholder.screenshot(path=SCREENSHOTS / "approval-link.png")
    stakeholder.get_by_role("button", name="Approve").click()
    stakeholder.get_by_text("Thank you, your decision is saved.").wait_for()

    agent.reload()
    agent.locator(".status-sent").wait_for()
    assert "Decided by cmo@live-brand.test." in agent.content()
    agent.screenshot(path=SCREENSHOTS / "reply-approved-and-sent.png")
    [call] = [r for r in simulator.requests if r["path"].endswith("/comments")]
    assert call["body"] == {"message": "Yes, every Saturday until 2 pm."}
