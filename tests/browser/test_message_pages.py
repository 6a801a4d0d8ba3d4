"""A KiTa partner writes a message to their group in the demo, on a 360-pixel phone and at
1280 pixels: the form, the confirmation saying who gets it and who has no address, and the
notice after sending. No page scrolls sideways, no button label breaks, and axe-core finds
no WCAG 2.1 AA violation on the form (also with its errors) and the confirmation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_accessibility import DESKTOP, WCAG_AA, describe
from tests.browser.test_staff_phone import WRAPPED_BUTTONS
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

PARTNER = next(a for a in DEMO_ACCOUNTS if a.role is Role.partner)


@pytest.fixture
async def open_page(browser: Browser, demo_server: LiveServer) -> AsyncIterator[Any]:
    contexts: list[BrowserContext] = []

    async def opened(viewport: ViewportSize) -> Page:
        context = await browser.new_context(
            viewport=viewport,
            locale="de-DE",
            timezone_id="Europe/Berlin",
            base_url=demo_server.url,
            bypass_csp=True,  # axe is injected as a script; the pages' own CSP forbids that
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield opened
    for context in contexts:
        await context.close()


async def problems_on(page: Page, width: int) -> list[str]:
    """Sideways scrolling, broken button labels and axe's violations on the page shown."""
    found = []
    scroll = int(await page.evaluate("document.scrollingElement.scrollWidth"))
    if scroll > width:
        found.append(f"{page.url}: scrolls sideways ({scroll} px)")
    found += [
        f"{page.url}: button breaks: {label}" for label in await page.evaluate(WRAPPED_BUTTONS)
    ]
    results = await Axe().run(page, options=WCAG_AA)
    return found + describe(page.url, results.response["violations"])


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_a_partner_previews_and_sends_a_message(
    open_page: Any, viewport: ViewportSize
) -> None:
    page: Page = await open_page(viewport)
    width = viewport["width"]
    await sign_in(page, PARTNER.email, PARTNER.password)
    await page.goto("/staff/cohorts")
    group = page.locator("a[href^='/staff/cohorts/']").filter(has_not_text="Neu").first
    href = await group.get_attribute("href")
    assert href and re.fullmatch(r"/staff/cohorts/\d+", href), href
    await page.goto(href)
    async with page.expect_navigation():
        await page.click("text=Nachricht an alle")
    assert page.url.endswith("/message")
    problems = await problems_on(page, width)

    # sent empty: the errors, in German, with the summary focused
    async with page.expect_navigation():
        await page.evaluate(
            "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
        )
        await page.click("text=Zeigen, wer sie bekommt")
    assert await page.locator("#error-summary").count() == 1
    assert await page.locator("#error-summary >> text=Betreff (Deutsch)").count() == 1
    assert await page.get_attribute("#subject", "aria-invalid") == "true"
    problems += await problems_on(page, width)

    await page.fill("#subject", "Elterncafé am Freitag")
    await page.fill("#text", "Liebe Eltern,\nam Freitag gibt es Kuchen.\nBis bald!")
    await page.click("text=Übersetzungen (freiwillig)")
    await page.fill("#subject_tr", "Cuma günü veli kafesi")
    await page.fill("#text_tr", "Sevgili veliler,\nCuma günü kek var.")
    async with page.expect_navigation():
        await page.click("text=Zeigen, wer sie bekommt")
    assert await page.locator("text=Bitte bestätigen").count() >= 1
    summary = await page.locator(".notice li").first.inner_text()
    assert re.search(r"\d+ (Person bekommt|Personen bekommen) diese Mail: auf \w+ \d+", summary), (
        summary
    )
    problems += await problems_on(page, width)

    async with page.expect_navigation():
        await page.click("button:has-text('Ja')")
    assert "done=message-queued" in page.url
    assert await page.locator("text=in den Postausgang gelegt").count() == 1
    problems += await problems_on(page, width)
    assert problems == [], "\n".join(problems)
