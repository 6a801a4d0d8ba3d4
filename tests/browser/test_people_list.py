"""The contact list in a real browser, on a 360-pixel phone and a 1280-pixel desktop: a
trainer and a coordinator open it from their group's page, see families as stacked cards
(no sideways scrolling on the phone), open the print version, and axe-core finds no WCAG
2.1 AA violation on either page. The print version prints on A4."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, ViewportSize

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_accessibility import DESKTOP, WCAG_AA, describe
from tests.browser.test_staff_phone import check_page
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)
TRAINER = next(a for a in DEMO_ACCOUNTS if a.role is Role.trainer)


@pytest.fixture
async def open_page(browser: Browser, demo_server: LiveServer) -> AsyncIterator[Any]:
    contexts = []

    async def opened(viewport: ViewportSize) -> Page:
        context = await browser.new_context(
            viewport=viewport,
            is_mobile=viewport == PHONE,
            has_touch=viewport == PHONE,
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


async def group_with_contact_list(page: Page, *, families: bool) -> str:
    """The first group page (of the signed-in person's) that links its contact list and
    has people on it: families of a Rucksack group if `families`, else any."""
    await page.goto("/staff/cohorts/")
    hrefs = await page.eval_on_selector_all(
        "a[href^='/staff/cohorts/']", "links => links.map(a => a.getAttribute('href'))"
    )
    for href in dict.fromkeys(h for h in hrefs if re.fullmatch(r"/staff/cohorts/\d+", h)):
        await page.goto(href)
        link = page.locator(f'a[href="{href}/people"]')
        if await link.count():
            await link.click()
            await page.wait_for_url(f"**{href}/people")
            rows = "table.families tr[data-registration]" if families else "tr[data-registration]"
            if await page.locator(rows).count():
                return href
    pytest.fail(f"no group with a contact list and registrations ({families=}) in the demo")


@pytest.mark.parametrize(
    ("account", "viewport"),
    [
        pytest.param(TRAINER, PHONE, id="trainer-360"),
        pytest.param(COORDINATOR, DESKTOP, id="coordinator-1280"),
    ],
)
async def test_the_contact_list_and_its_print_version(
    open_page: Any, account: Any, viewport: ViewportSize
) -> None:
    page: Page = await open_page(viewport)
    refused: list[str] = []  # the CSP refuses inline styles and scripts: none may be needed
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    await sign_in(page, account.email, account.password)
    # the coordinator opens a Rucksack group's families, the trainer any group they lead
    group = await group_with_contact_list(page, families=account is COORDINATOR)

    assert await page.locator("h1").inner_text() == (
        "Kontaktliste: " + (await page.locator("h1 bdi").inner_text())
    )
    first = page.locator("tr[data-registration]").first
    assert await first.locator("td").nth(1).inner_text() != ""
    contact = page.locator("ul.contacts a[href^='tel:'], ul.contacts a[href^='mailto:']")
    assert await contact.count() > 0  # a phone number or e-mail to tap
    if viewport == PHONE:
        # stacked: one card per registration, every cell under its column's name
        assert await first.evaluate("tr => getComputedStyle(tr).display") == "block"
        label = (
            await first.locator("td")
            .nth(2)
            .evaluate("td => getComputedStyle(td, '::before').content")
        )
        assert "Kontakt" in label
        assert await check_page(page, page.url) == []
    else:
        assert await first.evaluate("tr => getComputedStyle(tr).display") == "table-row"
    results = await Axe().run(page, options=WCAG_AA)
    assert describe(page.url, results.response["violations"]) == []

    await page.click(f'a[href="{group}/people/print"]')
    await page.wait_for_url(f"**{group}/people/print")
    assert await page.locator("[data-print]").is_visible()  # print.js ran
    assert await page.locator("main table tbody[data-registration]").count() > 0
    results = await Axe().run(page, options=WCAG_AA)
    assert describe(page.url, results.response["violations"]) == []
    if viewport != PHONE:
        await page.emulate_media(media="print")
        pdf = await page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) >= 1
        assert await page.locator(".actions").is_hidden()
    assert refused == []
