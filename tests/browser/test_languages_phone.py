"""Arabic pages mirror on a 360-pixel phone, and long titles (200 Arabic letters with
vowel marks, a 110-letter compound) wrap instead of making the page scroll sideways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Page

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.slow

COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)
EVENT = "Infoabend: Ehrenamt im Haus der Kulturen"
#: 200 characters: Arabic letters with their vowel marks (combining characters).
LONG_ARABIC = ("تَعَلُّمُ " * 25)[:200]
LONG_COMPOUND = (
    "Elternbegleiterinnenqualifizierungs"
    "fortbildungsveranstaltungsanmeldungsbestätigungsschreibenzustellungsnachweis"
)


async def scroll_width(page: Page) -> int:
    return int(await page.evaluate("document.scrollingElement.scrollWidth"))


async def test_arabic_pages_mirror_and_long_titles_wrap(phone: Page, tmp_path: Path) -> None:
    page = phone
    await sign_in(page, COORDINATOR.email, COORDINATOR.password)
    await page.goto("/staff/programmes/")
    href = await page.locator(f'a:has-text("{EVENT}")').first.get_attribute("href")
    assert href and re.fullmatch(r"/staff/programmes/\d+", href)
    await page.goto(href)
    await page.fill('input[name="title_en"]', LONG_COMPOUND)
    await page.fill('input[name="title_ar"]', LONG_ARABIC)
    async with page.expect_navigation():
        await page.click(f'form[action="{href}"] button[type="submit"]')
    await page.context.clear_cookies()

    await page.goto("/?lang=ar")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.locator(f'h3:has-text("{LONG_ARABIC.strip()}")').count() == 1
    assert await scroll_width(page) <= PHONE["width"]
    # mirrored: the brand starts at the right edge, the language switch sits to its left
    brand = await page.locator("a.brand").bounding_box()
    switch = await page.locator("nav.languages").bounding_box()
    assert brand and switch
    assert brand["x"] + brand["width"] > PHONE["width"] - 40
    assert switch["x"] < brand["x"]
    await page.screenshot(path=str(tmp_path / "home-ar.png"), full_page=True)

    run = page.locator("li.run", has=page.locator("h3", has_text=LONG_ARABIC.strip()))
    calendar_file = await run.locator("a.calendar-add").get_attribute("href")
    cohort = re.fullmatch(r"/events/(\d+)\.ics\?lang=ar", calendar_file or "")
    assert cohort
    await page.goto(f"/events/{cohort.group(1)}?lang=ar")
    assert await page.locator("h1").inner_text() == LONG_ARABIC.strip()
    assert await scroll_width(page) <= PHONE["width"]
    heading = await page.locator("h1").bounding_box()
    assert heading and heading["width"] <= PHONE["width"]

    await page.goto(f"/events/{cohort.group(1)}?lang=en")
    assert await page.locator("h1").inner_text() == LONG_COMPOUND
    assert await scroll_width(page) <= PHONE["width"]
    await page.goto("/?lang=en")
    assert await scroll_width(page) <= PHONE["width"]
