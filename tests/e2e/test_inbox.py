"""An agent's Monday morning in the browser: the agency queue, switching client, searching,
working a conversation with the keyboard, a new comment arriving live, a colleague on the
same conversation, and the whole page in German."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from clients.simulator.generator import encode_like_meta, feed_comment_delivery, sign_meta
from inbox.models import Conversation
from tests.e2e.conftest import SCREENSHOTS
from tests.live import LIVE_AGENT, LIVE_COLLEAGUE, LIVE_PAGE, LiveWorld, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.worker]


def post_comment(web_server: str, *, comment_id: str, author: str, message: str) -> None:
    body = encode_like_meta(
        feed_comment_delivery(
            page_id=LIVE_PAGE,
            author_id=f"60000000{comment_id}",
            author_name=author,
            message=message,
            comment_object_id=comment_id,
        )
    )
    response = httpx.post(
        f"{web_server}/webhooks/meta/",
        content=body,
        headers={"X-Hub-Signature-256": sign_meta(body, settings.META_APP_SECRET)},
    )
    assert response.status_code == 200


def sign_in(page: Any, web_server: str, email: str, password: str, path: str = "/") -> None:
    page.goto(f"{web_server}{path}")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.usefixtures("celery_worker_process")
def test_an_agent_works_the_inbox_live_with_the_keyboard(
    live_world: LiveWorld,
    web_server: str,
    open_browser_page: Any,
    django_db_blocker: Any,
) -> None:
    post_comment(
        web_server, comment_id="900000000001", author="Jane Doe", message="Do you ship to Ireland?"
    )
    post_comment(
        web_server,
        comment_id="900000000002",
        author="Alex Kim",
        message="Where is my order? I paid two weeks ago!",
    )

    def conversations() -> int:
        with django_db_blocker.unblock(), tenant_context(live_world.client):
            return Conversation.objects.filter(needs_reply=True).count()

    wait_until(lambda: conversations() == 2, what="both comments to be ingested")
    page = open_browser_page()

    # The agency queue first: every client the agent works on, oldest waiting first.
    sign_in(page, web_server, LIVE_AGENT, live_world.password)
    assert "Do you ship to Ireland?" in page.locator("table.queue").inner_text()
    page.screenshot(path=SCREENSHOTS / "agency-queue.png")

    # Switch to the client and search.
    page.locator(".client-counts").get_by_role("link", name="Live Client").click()
    page.wait_for_url("**/clients/client-live/inbox/")
    assert page.locator(".conversation-row").count() == 2
    search = page.get_by_placeholder("Search messages and people")
    search.fill("Ireland")
    search.press("Enter")
    page.wait_for_function("document.querySelectorAll('.conversation-row').length === 1")
    assert "Do you ship to Ireland?" in page.locator(".conversation-row").inner_text()
    page.screenshot(path=SCREENSHOTS / "inbox-search.png")

    # Keyboard: j selects, Enter opens, r goes to the reply, e resolves.
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    composer = page.get_by_label("Your reply")
    composer.wait_for()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type("Yes, in 3 to 5 days.")
    page.get_by_role("button", name="Send reply").click()
    page.locator(".status-sent").wait_for()
    page.keyboard.press("Escape")
    page.keyboard.press("e")
    page.get_by_role("button", name="Reopen").wait_for()
    assert "changed the status from New to Resolved" in page.locator(".history").inner_text()
    page.screenshot(path=SCREENSHOTS / "conversation-resolved.png")

    # A new comment appears in the open list without a reload.
    page.goto(f"{web_server}/clients/client-live/inbox/")
    page.locator(".conversation-row").first.wait_for()
    page.evaluate("window.__sameDocument = true")
    post_comment(
        web_server,
        comment_id="900000000003",
        author="Zofia Nowak",
        message="Is the shop open on Sunday?",
    )
    page.locator(".conversation-row", has_text="Is the shop open on Sunday?").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    page.screenshot(path=SCREENSHOTS / "inbox-live-arrival.png")

    # A colleague opens the same conversation: the agent sees them, then sees them typing.
    page.locator(".conversation-row a", has_text="Is the shop open on Sunday?").click()
    page.get_by_label("Your reply").wait_for()
    colleague = open_browser_page()
    sign_in(
        colleague, web_server, LIVE_COLLEAGUE, live_world.password, path=page.url[len(web_server) :]
    )
    colleague.get_by_label("Your reply").wait_for()
    page.locator(".presence", has_text="Cora Colleague is viewing").wait_for(timeout=20_000)
    colleague.get_by_label("Your reply").type("We open at ten")
    page.locator(".presence", has_text="Cora Colleague is typing a reply").wait_for(timeout=20_000)
    page.screenshot(path=SCREENSHOTS / "presence.png")

    # The same page in German, after the agent chooses it.
    page.goto(f"{web_server}/account/preferences/")
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{web_server}/clients/client-live/inbox/")
    assert page.get_by_role("link", name="Posteingang").is_visible()
    assert "Wartet auf uns" in page.locator("select[name=view]").inner_text()
    page.screenshot(path=SCREENSHOTS / "inbox-german.png")

    # On a phone-sized screen the list and the conversation stack.
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(".conversation-row a").first.click()
    page.get_by_label("Ihre Antwort").wait_for()
    listed = page.locator("#pane-list").bounding_box()
    opened = page.locator(".pane-conversation").bounding_box()
    assert listed is not None
    assert opened is not None
    assert opened["y"] >= listed["y"] + listed["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SCREENSHOTS / "inbox-phone.png", full_page=True)
