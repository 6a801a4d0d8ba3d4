"""The printables in a real browser: a coordinator opens the demo Rucksack group's
attendance list (filled and blank) and its participation certificates, sees them on
screen (screenshots) and prints them to A4 (Chromium's PDF, as "Print" would): the list is
one A4 page, and there is one page per certificate."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import sign_in
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)


@pytest.fixture
async def desk(browser: Browser, demo_server: LiveServer) -> Any:
    """A coordinator's desktop browser, signed in."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900},
        locale="de-DE",
        timezone_id="Europe/Berlin",
        base_url=demo_server.url,
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    refused: list[str] = []  # the CSP refuses inline styles and scripts: none may be needed
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: refused.append(r.url) if r.status >= 400 else None)
    await sign_in(page, COORDINATOR.email, COORDINATOR.password)
    try:
        yield page
    finally:
        await context.close()
    assert refused == []


async def rucksack_cohort_with_marks(page: Page) -> int:
    """The demo Rucksack group whose trainer has recorded attendance (it meets today)."""
    response = await page.request.get("/api/v1/cohorts")
    assert response.ok, await response.text()
    cohorts = [c for c in json.loads(await response.text()) if c["kind"] == "rucksack"]
    assert cohorts
    for cohort in cohorts:
        await page.goto(f"/staff/cohorts/{cohort['id']}/attendance-list")
        if await page.locator('td.mark:has-text("✓")').count():
            return int(cohort["id"])
    return int(cohorts[0]["id"])


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


async def screenshot(page: Page, path: Path) -> None:
    data = await page.screenshot(path=str(path), full_page=True)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000


async def test_attendance_lists_print_on_one_a4_page(desk: Page, tmp_path: Path) -> None:
    cohort = await rucksack_cohort_with_marks(desk)

    await desk.goto(f"/staff/cohorts/{cohort}/attendance-list")
    assert await desk.locator("table").count() >= 1
    filled_rows = await desk.locator("table tbody tr").count()
    assert filled_rows >= 5  # the demo group's families
    clipped_dates = await desk.evaluate(
        "[...document.querySelectorAll('th.date')]"
        ".filter(e => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight).length"
    )
    assert clipped_dates == 0  # every session's date can be read
    await screenshot(desk, tmp_path / "attendance-list.png")
    await desk.emulate_media(media="print")
    assert pdf_pages(await desk.pdf(format="A4", landscape=True, print_background=True)) == 1
    await desk.emulate_media(media="screen")

    assert await desk.locator('td.mark:has-text("✓")').count() > 0
    await desk.goto(f"/staff/cohorts/{cohort}/attendance-list?blank=1")
    assert await desk.locator("table tbody tr").count() >= filled_rows
    assert await desk.locator('td.mark:has-text("✓")').count() == 0
    await screenshot(desk, tmp_path / "attendance-list-blank.png")
    await desk.emulate_media(media="print")
    assert pdf_pages(await desk.pdf(format="A4", landscape=True)) == 1


async def test_certificates_print_one_a4_page_each(desk: Page, tmp_path: Path) -> None:
    cohort = await rucksack_cohort_with_marks(desk)
    await desk.goto(f"/staff/cohorts/{cohort}/certificates")
    assert await desk.locator("[data-print]").is_visible()  # print.js ran
    font = await desk.locator("h1").first.evaluate("e => getComputedStyle(e).fontFamily")
    assert "Georgia" in font  # the certificate's own style sheet applies
    certificates = await desk.locator("section.certificate").count()
    await screenshot(desk, tmp_path / "certificates.png")
    await desk.emulate_media(media="print")
    pages = pdf_pages(await desk.pdf(format="A4", print_background=True))
    if certificates:
        assert pages == certificates
    else:  # nobody over the threshold yet: one page saying so
        assert pages == 1
