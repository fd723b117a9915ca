"""A manager connects an X account in the browser: the Channels page, the platform's sign-in
(the simulator's authorize endpoint, which consents at once), back to Parley, choosing the
account, and the account listed as active."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from django.db import connection

from accounts.models import Membership
from clients.models import ConnectedAccount
from tests.e2e.conftest import SCREENSHOTS
from tests.e2e.test_inbox import sign_in
from tests.live import LIVE_AGENT, LiveWorld

pytestmark = [pytest.mark.e2e]

SIMULATED_X_ACCOUNT = "2244994949"
T = TypeVar("T")  # what the simulator's /2/users/me answers


def test_a_manager_connects_an_x_account_through_its_sign_in(
    live_world: LiveWorld, web_server: str, open_browser_page: Any, django_db_blocker: Any
) -> None:
    with django_db_blocker.unblock():
        Membership.objects.filter(user=live_world.agent).update(role="manager")
    try:
        page = open_browser_page()
        sign_in(page, web_server, LIVE_AGENT, live_world.password, "/clients/client-live/channels/")
        assert page.get_by_role("heading", name="Channels").is_visible()
        page.get_by_role("button", name="Connect X").click()
        # Off to the platform and straight back (the simulator consents), then the choice.
        page.wait_for_url("**/channels/choose/**")
        page.get_by_label("@SimulatedBrand").check()
        page.screenshot(path=SCREENSHOTS / "channels-choose.png")
        page.get_by_role("button", name="Connect", exact=True).click()
        page.wait_for_url("**/channels/")
        assert page.get_by_text("Connected: @SimulatedBrand.").is_visible()
        assert page.locator("tr.channel-active", has_text="@SimulatedBrand").is_visible()
        page.screenshot(path=SCREENSHOTS / "channels.png")
        account = outside_the_browser_loop(
            django_db_blocker,
            lambda: ConnectedAccount.objects.get(external_account_id=SIMULATED_X_ACCOUNT),
        )
        assert (account.platform, account.client_id, account.status) == (
            "x",
            live_world.client.pk,
            "active",
        )
        assert account.refresh_token_encrypted
    finally:
        outside_the_browser_loop(
            django_db_blocker,
            lambda: ConnectedAccount.objects.filter(
                external_account_id=SIMULATED_X_ACCOUNT
            ).delete(),
        )


def outside_the_browser_loop(django_db_blocker: Any, query: Callable[[], T]) -> T:
    """Run an ORM call in a thread of its own: Playwright's sync API keeps an event loop in
    this one, where Django refuses database calls."""

    def run() -> T:
        with django_db_blocker.unblock():
            try:
                return query()
            finally:
                connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
