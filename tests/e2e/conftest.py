"""Browser tests: Playwright driving Debian's Chromium (Playwright's own download cannot work
here). Skipped when Chromium is missing, unless PARLEY_REQUIRE_BROWSER=1 (CI), then failed."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def open_browser_page() -> Iterator[Callable[[], Any]]:
    """A factory that starts Chromium and returns a page.

    Call it after the test's own database work: Playwright's sync API runs an event loop in
    this thread, and Django gives ORM calls made inside it a separate connection."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("PARLEY_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required for the browser tests (apt-get install chromium).")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        browsers: list[Any] = []

        def open_page() -> Any:
            """A page in a fresh browser context (its own cookies: its own person)."""
            if not browsers:
                playwright = stack.enter_context(sync_playwright())
                browsers.append(
                    playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
                )
                stack.callback(browsers[0].close)
            context = browsers[0].new_context(viewport={"width": 1280, "height": 800})
            stack.callback(context.close)
            page = context.new_page()
            page.set_default_timeout(15_000)
            return page

        yield open_page
