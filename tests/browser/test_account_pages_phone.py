"""The account pages on a 360-pixel phone screen in the demo: a coordinator invites a
person with a long address, opens the account and the deactivation question, and anybody
opens the password pages; no page scrolls sideways, and an error shows next to its field."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in

pytestmark = pytest.mark.slow

COORDINATOR = next(a for a in DEMO_ACCOUNTS if a.role is Role.coordinator)
LONG_ADDRESS = "eine.sehr.lange.adresse.fuer.den.test.am.telefon@kita-sonnenblume-herten.example"


async def scroll_width(page: Page) -> int:
    return int(await page.evaluate("document.scrollingElement.scrollWidth"))


async def test_account_pages_fit_a_phone(phone: Page) -> None:
    page = phone
    await page.goto("/staff/password/forgot")
    assert await scroll_width(page) <= PHONE["width"]
    await page.goto("/staff/password/set?token=" + "x" * 43)
    assert await page.locator("text=Dieser Link ist nicht gültig.").count() == 1
    assert await scroll_width(page) <= PHONE["width"]

    await sign_in(page, COORDINATOR.email, COORDINATOR.password)
    await page.goto("/staff/accounts")
    assert await scroll_width(page) <= PHONE["width"]
    await page.fill("#name", "Lena Lang")
    await page.fill("#email", LONG_ADDRESS)
    await page.select_option("#role", "partner")
    async with page.expect_navigation():
        await page.click('form[action="/staff/accounts"] button[type="submit"]')
    # a partner without a KiTa: the error is next to the field and in the summary
    assert await page.locator("#kita-error").count() == 1
    assert await page.get_attribute("#kita", "aria-invalid") == "true"
    assert await scroll_width(page) <= PHONE["width"]
    await page.select_option("#kita", index=1)
    async with page.expect_navigation():
        await page.click('form[action="/staff/accounts"] button[type="submit"]')
    assert "?done=account-invited" in page.url
    assert await scroll_width(page) <= PHONE["width"]

    async with page.expect_navigation():
        await page.click("text=Konto deaktivieren …")
    assert page.url.endswith("/deactivate")
    assert await page.locator("text=Bitte bestätigen").count() >= 1
    assert await page.locator("text=sofort abgemeldet").count() == 1
    assert await scroll_width(page) <= PHONE["width"]

    await page.goto("/staff/accounts")
    assert await page.locator(f"text={LONG_ADDRESS}").count() == 1
    assert await scroll_width(page) <= PHONE["width"]
    await page.goto("/staff/password")
    assert await page.locator('label[for="new_password_repeat"]').count() == 1
    assert await scroll_width(page) <= PHONE["width"]
