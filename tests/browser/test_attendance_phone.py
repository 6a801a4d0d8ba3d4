"""A trainer takes today's attendance on a 360-pixel phone screen in the demo: open the
session from the start page, "all present", change one mark, save; the page never
scrolls sideways and the marks are there after a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.slow

TRAINER = next(a for a in DEMO_ACCOUNTS if a.role is Role.trainer)


async def scroll_width(page: Page) -> int:
    return int(await page.evaluate("document.scrollingElement.scrollWidth"))


async def test_trainer_takes_todays_attendance_on_a_phone(phone: Page, tmp_path: Path) -> None:
    page = phone
    await sign_in(page, TRAINER.email, TRAINER.password)
    assert page.url.endswith("/staff/")
    assert await scroll_width(page) <= PHONE["width"]

    async with page.expect_navigation():
        await page.click("ul.day-sessions li.today a")
    assert page.url.endswith("/attendance")
    radios = page.locator('form.attendance input[type="radio"]')
    participants = await page.locator("form.attendance fieldset").count()
    assert participants >= 5
    assert await radios.count() == 3 * participants
    assert await page.locator('input[type="radio"]:checked').count() == 0

    await page.click("[data-all-present]")  # JavaScript fills the list, nothing is sent
    assert page.url.endswith("/attendance")
    assert await page.locator('input[value="present"]:checked').count() == participants
    second = page.locator("ol.participants > li").nth(1)
    await second.locator("label.mark-absent").click()
    assert await second.locator('input[value="absent"]').is_checked()
    assert await scroll_width(page) <= PHONE["width"]

    async with page.expect_navigation():
        await page.click("button.save")
    assert page.url.endswith("?done=attendance-saved")
    assert await page.locator("text=Anwesenheit gespeichert.").count() == 1

    await page.reload()
    rows = page.locator("ol.participants > li")
    shown = [
        await rows.nth(i).locator("input:checked").get_attribute("value")
        for i in range(participants)
    ]
    assert shown[1] == "absent"
    assert shown.count("present") == participants - 1
    assert await scroll_width(page) <= PHONE["width"]

    shot = tmp_path / "attendance.png"
    await page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
