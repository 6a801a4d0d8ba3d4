"""The screenshots in `docs/screenshots/` (shown in the README), taken from the demo:

    PROGRAMMES_SCREENSHOTS=docs/screenshots ./dev test tests/browser/test_screenshots.py

Without that variable the test is skipped. The public pages (start page, an event's
form, the confirmation, the privacy notice) in German and Arabic at 360 and 1280 px; the
staff start page and a trainer's attendance list in German at 360 px. Each file is the
viewport only, at one device pixel per CSS pixel, to stay small. Every page is checked
on the way: in its language and direction, and no wider than the screen.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
EVENT = "Infoabend: Ehrenamt im Haus der Kulturen"
COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)
TRAINER = next(a for a in DEMO_ACCOUNTS if a.role is Role.trainer)


@pytest.fixture
def folder() -> Path:
    target = os.environ.get("PROGRAMMES_SCREENSHOTS")
    if not target:
        pytest.skip("set PROGRAMMES_SCREENSHOTS=docs/screenshots to take the screenshots")
    path = Path(target)
    path.mkdir(parents=True, exist_ok=True)
    return path


async def shoot(page: Page, folder: Path, name: str, *, lang: str) -> None:
    """Check the page as a person would see it, then save its viewport."""
    assert await page.get_attribute("html", "lang") == lang, name
    assert await page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr"), name
    width = int(await page.evaluate("document.scrollingElement.scrollWidth"))
    viewport = page.viewport_size
    assert viewport and width <= viewport["width"], f"{name} scrolls sideways: {width}px"
    await page.screenshot(path=str(folder / f"{name}.png"))


async def new_page(browser: Browser, server: LiveServer, viewport: ViewportSize, lang: str) -> Page:
    phone = viewport["width"] < 600
    context = await browser.new_context(
        viewport=viewport,
        device_scale_factor=1,
        is_mobile=phone,
        has_touch=phone,
        locale="ar" if lang == "ar" else "de-DE",
        timezone_id="Europe/Berlin",
        base_url=server.url,
    )
    context.set_default_timeout(15_000)
    return await context.new_page()


@pytest.mark.parametrize("lang", ["de", "ar"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_public_pages(
    browser: Browser, demo_server: LiveServer, folder: Path, lang: str, viewport: ViewportSize
) -> None:
    page = await new_page(browser, demo_server, viewport, lang)
    suffix = f"{lang}-{viewport['width']}"
    try:
        await page.goto("/?lang=de")
        href = await page.locator("h3 a", has_text=EVENT).get_attribute("href")
        assert href and re.fullmatch(r"/events/\d+", href)
        await page.goto(f"/?lang={lang}")
        await shoot(page, folder, f"start-{suffix}", lang=lang)
        await page.goto(f"{href}#register")
        await shoot(page, folder, f"event-form-{suffix}", lang=lang)
        await page.fill("#name", "ليلى حسن" if lang == "ar" else "Jana Becker")
        await page.fill("#email", f"screenshot-{suffix}@example.org")
        await page.check("#consent")
        async with page.expect_navigation():
            await page.click(f'form[action="{href}/register#register"] button[type="submit"]')
        await page.locator("#confirmation").wait_for()
        await page.wait_for_function("document.activeElement.id === 'confirmation'")
        await shoot(page, folder, f"confirmation-{suffix}", lang=lang)
        await page.goto("/datenschutz")
        await shoot(page, folder, f"privacy-{suffix}", lang=lang)
    finally:
        await page.context.close()


async def test_staff_pages_on_a_phone(
    browser: Browser, demo_server: LiveServer, folder: Path
) -> None:
    page = await new_page(browser, demo_server, PHONE, "de")
    try:
        await sign_in(page, COORDINATOR.email, COORDINATOR.password)
        await shoot(page, folder, "staff-home-de-360", lang="de")
        await page.context.clear_cookies()
        await sign_in(page, TRAINER.email, TRAINER.password)
        async with page.expect_navigation():
            await page.click("ul.day-sessions li.today a")
        assert page.url.endswith("/attendance")
        await shoot(page, folder, "attendance-de-360", lang="de")
    finally:
        await page.context.close()
