"""The organisation's closure calendars in a real browser, on a 360-pixel phone and at
1280 pixels: a coordinator of the demo creates "Schulferien NRW", enters the Easter
holidays, makes a mistake (the last day before the first), and each page on the way fits
the screen without sideways scrolling and has no axe-core (WCAG 2.1 AA) violation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_accessibility import DESKTOP, WCAG_AA, describe
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)


@pytest.fixture
async def open_page(browser: Browser, demo_server: LiveServer) -> AsyncIterator[object]:
    contexts = []

    async def opened(viewport: ViewportSize) -> Page:
        context = await browser.new_context(
            viewport=viewport,
            is_mobile=viewport == PHONE,
            has_touch=viewport == PHONE,
            locale="de-DE",
            timezone_id="Europe/Berlin",
            base_url=demo_server.url,
            bypass_csp=True,  # axe is injected as a script
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield opened
    for context in contexts:
        await context.close()


async def problems(page: Page, viewport: ViewportSize) -> list[str]:
    """Sideways scrolling and accessibility violations of the page as shown."""
    found = []
    width = int(await page.evaluate("document.scrollingElement.scrollWidth"))
    if width > viewport["width"]:
        found.append(f"{page.url}: {width} px wide in {viewport['width']} px")
    results = await Axe().run(page, options=WCAG_AA)
    return found + describe(page.url, results.response["violations"])


@pytest.mark.parametrize(
    ("viewport", "name"),
    [(PHONE, "Schulferien NRW (Telefon)"), (DESKTOP, "Schulferien NRW (Bildschirm)")],
    ids=["360", "1280"],
)
async def test_calendar_pages_fit_and_are_accessible(
    open_page: object, viewport: ViewportSize, name: str
) -> None:
    page: Page = await open_page(viewport)  # type: ignore[operator]
    await sign_in(page, COORDINATOR.email, COORDINATOR.password)
    await page.goto("/staff/")
    async with page.expect_navigation():
        await page.click("text=Ferien und Schließzeiten")
    found = await problems(page, viewport)

    await page.fill("#name", name)
    await page.check("#school_holidays")
    async with page.expect_navigation():
        await page.click("text=Kalender anlegen")
    assert "done=org-calendar-created" in page.url
    assert await page.locator("h1", has_text=name).count() == 1
    found += await problems(page, viewport)

    # A mistake: the error summary takes the focus and names the field.
    await page.fill("#first_day", "2027-04-03")
    await page.fill("#last_day", "2027-03-22")
    await page.fill("#reason", "Osterferien")
    async with page.expect_navigation():
        await page.click("text=Schließzeit speichern")
    assert await page.get_attribute("#last_day", "aria-invalid") == "true"
    assert await page.evaluate("document.activeElement.id") == "error-summary"
    found += await problems(page, viewport)

    await page.fill("#first_day", "2027-03-22")
    await page.fill("#last_day", "2027-04-03")
    async with page.expect_navigation():
        await page.click("text=Schließzeit speichern")
    assert "done=org-closure-added" in page.url
    assert await page.locator("li", has_text="Osterferien").count() == 1
    found += await problems(page, viewport)

    async with page.expect_navigation():
        await page.click("button:has-text('Kalender löschen')")
    assert await page.locator("text=Bitte bestätigen").count() >= 1
    found += await problems(page, viewport)

    assert found == []
