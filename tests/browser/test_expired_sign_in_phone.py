"""A trainer's sign-in runs out while they mark attendance on a phone: "Save" leads to the
sign-in page, which says what happened; after signing in the marks are back on the list,
unsaved, to be sent once more."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.slow

TRAINER = next(a for a in DEMO_ACCOUNTS if a.role is Role.trainer)


async def test_marks_come_back_after_signing_in_again(phone: Page) -> None:
    page = phone
    await sign_in(page, TRAINER.email, TRAINER.password)
    async with page.expect_navigation():
        await page.click("ul.day-sessions li.today a")
    sheet = page.url
    assert sheet.endswith("/attendance")
    second = page.locator("ol.participants > li").nth(1)
    await second.locator("label.mark-excused").click()

    # the sign-in ends meanwhile (here: the browser's session cookie no longer works)
    root = sheet.split("/staff/")[0] + "/"
    await page.context.add_cookies([{"name": "id", "value": "expired", "url": root}])
    async with page.expect_navigation():
        await page.click("button.save")
    assert "/staff/login" in page.url
    assert "cal_" not in page.url and "excused" not in page.url
    assert await page.locator("text=Ihre Anmeldung ist abgelaufen").count() == 1

    await page.fill('input[name="email"]', TRAINER.email)
    await page.fill('input[name="password"]', TRAINER.password)
    async with page.expect_navigation():
        await page.click('form[action="/staff/login"] button[type="submit"]')
    assert page.url == sheet
    assert await second.locator('input[value="excused"]').is_checked()
    assert await page.locator("text=Sie wurden abgemeldet").count() == 1
    async with page.expect_navigation():
        await page.click("button.save")
    assert page.url.endswith("?done=attendance-saved")
    await page.reload()
    assert await second.locator('input[value="excused"]').is_checked()
