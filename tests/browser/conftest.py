"""Browser tests: a real `programmes serve --demo` and Debian's chromium driven by
Playwright (async API, so it shares pytest-asyncio's event loop; the sync API refuses to
run inside one).

The server gets the test database the way the concurrency tests do: a copy of the
migrated SQLite template, or a PostgreSQL database named after the suite's with
`_browser` appended, created afresh. It loads the demo data on start (dated by the real
clock), once per test module.

Chromium is `/usr/bin/chromium` (`apt-get install chromium`; `.ci/run` installs it).
Without it the tests are skipped on a developer's machine and fail in CI (`CI` set).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from tests.conftest import migrated_copy
from tests.live_server import LiveServer, live_server

CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and quiet on the network: the closed network refuses Chromium's background
#: connections (updates, sync, QUIC probes), which would otherwise stall or log errors.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: A common small phone screen (CSS pixels).
PHONE: ViewportSize = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def demo_database_url(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_copy(migrated_template, tmp_path_factory, "browser")


@pytest.fixture(scope="module")
def demo_server(
    demo_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A real server with the demo data set (one worker is plenty for a browser)."""
    with live_server(
        demo_database_url, tmp_path_factory.mktemp("browser-server"), workers=1, args=["--demo"]
    ) as server:
        yield server


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium; skipped without it, except in CI, where it must be there."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def phone(browser: Browser, demo_server: LiveServer) -> AsyncIterator[Page]:
    """A page on a 360×740 touch screen, German, with the demo server as base URL."""
    context: BrowserContext = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        base_url=demo_server.url,
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()


async def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the form, as a person would."""
    await page.goto("/staff/login")
    await page.fill('input[name="email"]', email)
    await page.fill('input[name="password"]', password)
    async with page.expect_navigation():
        await page.click('form[action="/staff/login"] button[type="submit"]')
