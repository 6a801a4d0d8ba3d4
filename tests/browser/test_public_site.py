"""The public site as families use it: from the start page to a registration in one tap
on a phone in Arabic, the confirmation mail's cancel link, the waiting list of a full
event, every form error at once, a registration by keyboard alone, and the language
switch that keeps the page.

One real `programmes serve --demo` per module, delivering its mail to a real SMTP
server on 127.0.0.1: the cancel link exists only in the sent mail (the outbox holds a
slot), so the test reads it from there as the family would.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator, Iterator
from itertools import count

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from programmes.i18n import gettext, ngettext
from tests.browser.conftest import PHONE
from tests.live_server import LiveServer, live_server
from tests.smtp_server import PATIENCE, Received, SmtpServer, running_smtp_server

pytestmark = pytest.mark.slow

#: Demo info events: one with room for 30, one with room for 20 (up to 4 seats each).
EVENT = "Infoabend: Ehrenamt im Haus der Kulturen"
EVENT_EN = "Info evening: volunteering at the Haus der Kulturen"
FULL_EVENT = "Beratungsabend: Was tun bei Diskriminierung?"
_addresses = count(1)


def new_address() -> str:
    """A fresh e-mail address (the same address registers only once per event)."""
    return f"family{next(_addresses)}@example.org"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def site(
    demo_database_url: str, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(
        demo_database_url,
        tmp_path_factory.mktemp("public-site"),
        workers=1,
        args=["--demo"],
        PROGRAMMES_SMTP_URL=smtp.url,
        PROGRAMMES_MAIL_FROM="programme@hdk.example",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def event_ids(site: LiveServer) -> dict[str, int]:
    """The demo's public events by German title, as the start page links them."""
    page = httpx.get(site.url + "/?lang=de", timeout=30).text
    found = {
        html.unescape(title): int(cohort)
        for cohort, title in re.findall(r'<a href="/events/(\d+)"><bdi>([^<]+)</bdi></a>', page)
    }
    assert EVENT in found and FULL_EVENT in found, found
    return found


async def new_page(browser: Browser, site: LiveServer, *, locale: str) -> Page:
    context: BrowserContext = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        timezone_id="Europe/Berlin",
        base_url=site.url,
    )
    context.set_default_timeout(15_000)
    return await context.new_page()


@pytest.fixture
async def arabic_phone(browser: Browser, site: LiveServer) -> AsyncIterator[Page]:
    page = await new_page(browser, site, locale="ar")
    yield page
    await page.context.close()


@pytest.fixture
async def german_phone(browser: Browser, site: LiveServer) -> AsyncIterator[Page]:
    page = await new_page(browser, site, locale="de-DE")
    yield page
    await page.context.close()


async def mail_to(smtp: SmtpServer, address: str) -> Received:
    """The first mail delivered to `address` (the server sends from its outbox loop)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while loop.time() < deadline:
        for received in list(smtp.handler.received):
            if received.rcpt_tos == (address,):
                return received
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail to {address} arrived")


async def active_id(page: Page) -> str:
    return str(await page.evaluate("document.activeElement && document.activeElement.id"))


async def takes_focus(page: Page, element_id: str) -> bool:
    """Whether `element_id` has the focus once the page has settled (the page's script
    sets it again after the browser has handled the address's #fragment)."""
    try:
        await page.wait_for_function(
            "(id) => document.activeElement && document.activeElement.id === id",
            arg=element_id,
            timeout=5_000,
        )
    except PlaywrightTimeout:
        return False
    return True


async def in_viewport(page: Page, selector: str) -> bool:
    return bool(
        await page.evaluate(
            """(selector) => {
                const box = document.querySelector(selector).getBoundingClientRect();
                // a scrolled-to element may sit a fraction of a pixel above the top
                return box.top > -1 && box.top < window.innerHeight && box.bottom > 0
                    && box.left > -1 && box.right < window.innerWidth + 1;
            }""",
            selector,
        )
    )


async def test_arabic_parent_registers_in_one_tap_and_cancels_from_the_mail(
    arabic_phone: Page, site: LiveServer, smtp: SmtpServer, event_ids: dict[str, int]
) -> None:
    page = arabic_phone
    cohort = event_ids[EVENT]
    await page.goto("/")
    assert await page.get_attribute("html", "lang") == "ar"
    assert await page.get_attribute("html", "dir") == "rtl"
    card = page.locator("li.run", has=page.locator(f'h3 a[href="/events/{cohort}"]'))
    register = card.locator(f'a.button[href="/events/{cohort}#register"]')
    assert gettext("ar", "Register") in await register.inner_text()
    async with page.expect_navigation():
        await register.tap()
    assert page.url == f"{site.url}/events/{cohort}#register"
    assert await page.get_attribute("html", "dir") == "rtl"
    # the jump lands at the form: its heading is on screen
    assert await in_viewport(page, "#register")

    address = new_address()
    await page.fill("#name", "ليلى حسن")
    await page.fill("#email", address)
    await page.locator("#consent").tap()
    async with page.expect_navigation():
        await page.locator('form[action$="/register#register"] button[type="submit"]').tap()

    confirmation = page.locator("#confirmation")
    await confirmation.wait_for()
    assert gettext("ar", "You are registered.") in await confirmation.inner_text()
    assert await takes_focus(page, "confirmation")
    assert await in_viewport(page, "#confirmation")

    mail = (await mail_to(smtp, address)).message
    assert mail["Content-Language"] == "ar"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    link = re.search(re.escape(site.url) + r"(/events/cancel/\S+)", body.get_content())
    assert link, body.get_content()
    await page.goto(link.group(1))
    assert await page.get_attribute("html", "dir") == "rtl"
    cancel = page.locator(f'form[action="{link.group(1)}"] button[type="submit"]')
    async with page.expect_navigation():
        await cancel.tap()
    done = gettext(
        "ar",
        "Your registration is cancelled. Thank you for letting us know: your place goes to "
        "the next person on the waiting list.",
    )
    # said once, and nothing else said with it
    assert await page.locator('main [role="status"]').all_inner_texts() == [done]
    # the link is used up
    again = await page.goto(link.group(1))
    assert again is not None and again.status == 404


async def test_a_full_event_puts_the_parent_on_the_waiting_list(
    german_phone: Page, site: LiveServer, event_ids: dict[str, int]
) -> None:
    cohort = event_ids[FULL_EVENT]
    waiting = 0
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        for _ in range(10):  # 20 places, 4 seats a registration
            response = await client.post(
                f"/api/v1/events/{cohort}/registrations",
                json={
                    "name": "Vorher",
                    "email": new_address(),
                    "seats": 4,
                    "consent": True,
                    "language": "de",
                },
            )
            assert response.status_code == 201, response.text
            if response.json()["status"] == "waiting":
                waiting = int(response.json()["waiting_position"])
                break
    assert waiting, "the event never filled up"

    page = german_phone
    await page.goto(f"/events/{cohort}")
    assert (
        gettext("de", "All places are taken. If you register now, you are put on the waiting list.")
        in await page.locator("#register-section").inner_text()
    )
    submit = page.locator('form[action$="/register#register"] button[type="submit"]')
    assert await submit.inner_text() == gettext("de", "Join the waiting list")
    await page.fill("#name", "Aylin Demir")
    await page.fill("#email", new_address())
    await page.check("#consent")
    async with page.expect_navigation():
        await submit.tap()
    expected = gettext(
        "de",
        "The event is fully booked. You are on the waiting list, in place %(rank)s.",
        rank=waiting + 1,
    )
    assert expected in await page.locator("#confirmation").inner_text()
    assert await takes_focus(page, "confirmation")


async def error_links(page: Page) -> dict[str, str]:
    """The error summary's links: target field id → the summary's text for it."""
    links = page.locator("#error-summary a")
    found: dict[str, str] = {}
    for index in range(await links.count()):
        link = links.nth(index)
        href = await link.get_attribute("href")
        assert href and href.startswith("#")
        found[href[1:]] = await link.inner_text()
    return found


async def assert_links_lead_to_fields(page: Page, fields: dict[str, str]) -> None:
    for field in fields:
        target = page.locator(f"#{field}")
        assert await target.count() == 1, field
        assert await target.evaluate("e => ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName)")
        assert await target.get_attribute("aria-invalid") == "true", field
        described = await target.get_attribute("aria-describedby")
        assert described and await page.locator(f"#{described}").is_visible(), field


async def test_every_error_is_shown_at_once_with_the_summary_focused(
    german_phone: Page, event_ids: dict[str, int]
) -> None:
    page = german_phone
    cohort = event_ids[EVENT]
    await page.goto(f"/events/{cohort}")
    submit = page.locator('form[action$="/register#register"] button[type="submit"]')
    async with page.expect_navigation():
        await submit.tap()
    assert await takes_focus(page, "error-summary")
    assert await in_viewport(page, "#error-summary")
    empty = await error_links(page)
    assert set(empty) == {"name", "email", "consent"}, empty
    await assert_links_lead_to_fields(page, empty)

    await page.fill("#name", "Aylin Demir")
    await page.fill("#email", "aylin.example.org")
    await page.fill("#seats", "9")
    async with page.expect_navigation():
        await submit.tap()
    assert await takes_focus(page, "error-summary")
    half = await error_links(page)
    assert set(half) == {"email", "seats", "consent"}, half
    await assert_links_lead_to_fields(page, half)
    # what was right is kept, nothing to type twice
    assert await page.input_value("#name") == "Aylin Demir"
    assert await page.input_value("#email") == "aylin.example.org"
    # a link takes the family to its field
    await page.locator('#error-summary a[href="#email"]').tap()
    assert page.url.endswith("#email")
    assert await in_viewport(page, "#email")
    # corrected, the same form goes through (its token still works)
    await page.fill("#email", new_address())
    await page.fill("#seats", "1")
    await page.check("#consent")
    async with page.expect_navigation():
        await submit.tap()
    assert await takes_focus(page, "confirmation")
    assert gettext("de", "You are registered.") in await page.locator("#confirmation").inner_text()


async def tab_to(page: Page, check: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies the JavaScript test `check` (`e`)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate(f"(e => Boolean({check}))(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {check}")


async def test_registration_by_keyboard_alone(
    browser: Browser, site: LiveServer, event_ids: dict[str, int]
) -> None:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="de-DE", base_url=site.url
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        cohort = event_ids[EVENT]
        await page.goto("/")
        await tab_to(page, f"e.getAttribute('href') === '/events/{cohort}#register'")
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        await tab_to(page, "e.id === 'name'")
        await page.keyboard.type("Olena Koval")
        await page.keyboard.press("Tab")
        assert await active_id(page) == "email"
        await page.keyboard.type(new_address())
        await tab_to(page, "e.id === 'consent'")
        await page.keyboard.press("Space")
        assert await page.is_checked("#consent")
        await tab_to(
            page, "e.type === 'submit' && e.form && e.form.action.endsWith('/register#register')"
        )
        async with page.expect_navigation():
            await page.keyboard.press("Enter")
        assert await takes_focus(page, "confirmation")
        text = await page.locator("#confirmation").inner_text()
        assert gettext("de", "You are registered.") in text
        assert ngettext("de", "%(num)s seat is reserved for you.", "", 1) in text
    finally:
        await context.close()


async def test_switching_the_language_keeps_the_event(
    german_phone: Page, site: LiveServer, event_ids: dict[str, int]
) -> None:
    page = german_phone
    cohort = event_ids[EVENT]
    await page.goto(f"/events/{cohort}")
    assert await page.get_attribute("html", "dir") == "ltr"
    assert await page.locator("h1").inner_text() == EVENT
    async with page.expect_navigation():
        await page.locator('nav.languages a[hreflang="en"]').tap()
    assert page.url.startswith(f"{site.url}/events/{cohort}")
    assert await page.get_attribute("html", "lang") == "en"
    assert await page.get_attribute("html", "dir") == "ltr"
    assert await page.locator("h1").inner_text() == EVENT_EN
    async with page.expect_navigation():
        await page.locator('nav.languages a[hreflang="ar"]').tap()
    assert page.url.startswith(f"{site.url}/events/{cohort}")
    assert await page.get_attribute("html", "lang") == "ar"
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.locator("#register").inner_text() == gettext("ar", "Registration")
    # the choice stays: the start page now comes in Arabic too, and so does the privacy page
    await page.goto("/datenschutz")
    assert await page.get_attribute("html", "dir") == "rtl"
    async with page.expect_navigation():
        await page.locator('nav.languages a[hreflang="de"]').tap()
    assert page.url.startswith(f"{site.url}/datenschutz")
    assert await page.get_attribute("html", "dir") == "ltr"
