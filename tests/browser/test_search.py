"""The staff search in a browser, on a 360-pixel phone and a 1280-pixel desktop: a person
opens it from the staff start page, searches, pages through the results, and each page
passes axe-core (WCAG 2.1 AA) and fits the screen without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_accessibility import DESKTOP, WCAG_AA, describe
from tests.browser.test_staff_phone import check_page
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)
PARTNER = next(a for a in DEMO_ACCOUNTS if a.role is Role.partner)  # KiTa Sonnenblume
OpenPage = Callable[[ViewportSize], Awaitable[Page]]


@pytest.fixture
async def open_page(browser: Browser, demo_server: LiveServer) -> AsyncIterator[OpenPage]:
    contexts: list[BrowserContext] = []

    async def new(viewport: ViewportSize) -> Page:
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

    yield new
    for context in contexts:
        await context.close()


async def problems_of(page: Page) -> list[str]:
    results = await Axe().run(page, options=WCAG_AA)
    return describe(page.url, results.response["violations"]) + await check_page(page, page.url)


async def search_for(page: Page, text: str) -> None:
    await page.fill("#q", text)
    async with page.expect_navigation():
        await page.click('form[role="search"] button[type="submit"]')


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360", "1280"])
async def test_a_coordinator_searches_and_pages(
    open_page: OpenPage, viewport: ViewportSize
) -> None:
    page = await open_page(viewport)
    await sign_in(page, COORDINATOR.email, COORDINATOR.password)
    await page.goto("/staff/")
    async with page.expect_navigation():
        await page.click("text=Familien und Anmeldungen suchen")
    problems = await problems_of(page)  # the empty search page

    await search_for(page, "YILMAZ")  # stored as "Ayşe Yılmaz"
    assert await page.locator("table.stacked tbody tr").count() == 1
    assert "Ayşe Yılmaz" in await page.inner_text("main")

    # every public registrant's address ("…@demo.example") and most families have an "a":
    # more than one page of results in the demo data
    await search_for(page, "a")
    heading = await page.inner_text("#results")
    total = int(re.match(r"\d+", heading).group())  # type: ignore[union-attr]
    assert total > 20, heading
    assert await page.locator("table.stacked tbody tr").count() == 20
    assert "Seite 1 von" in await page.inner_text("main")
    problems += await problems_of(page)
    if viewport == PHONE:  # one card per result, the column names beside each value
        display = await page.eval_on_selector(
            "table.stacked tr", "tr => getComputedStyle(tr).display"
        )
        assert display == "block"

    async with page.expect_navigation():
        await page.click("text=Nächste Seite")
    assert "Seite 2 von" in await page.inner_text("main")
    assert await page.locator("table.stacked tbody tr").count() == min(20, total - 20)
    assert await page.input_value("#q") == "a"
    problems += await problems_of(page)
    async with page.expect_navigation():
        await page.click("text=Vorige Seite")
    assert "Seite 1 von" in await page.inner_text("main")

    await search_for(page, "x" * 101)  # the field's maxlength stops at 100 …
    assert await page.input_value("#q") == "x" * 100
    await page.goto("/staff/search/?q=" + "x" * 101)  # … an address typed by hand is refused
    assert "höchstens 100 Zeichen" in await page.inner_text("#error-summary")
    problems += await problems_of(page)
    assert problems == [], "\n".join(problems)


async def test_a_partner_finds_only_their_kitas_families(open_page: OpenPage) -> None:
    page = await open_page(PHONE)
    await sign_in(page, PARTNER.email, PARTNER.password)
    await page.goto("/staff/search/")
    await search_for(page, "Haddad")  # a family of KiTa Sonnenblume
    assert await page.locator("table.stacked tbody tr").count() == 1
    await search_for(page, "Demir")  # a family of Familienzentrum Regenbogen
    assert "Nichts gefunden." in await page.inner_text("main")
    assert "0 Treffer" in await page.inner_text("#results")
    await search_for(page, "Jana Becker")  # a public registration: the coordination's
    assert "Nichts gefunden." in await page.inner_text("main")
    assert await problems_of(page) == []
