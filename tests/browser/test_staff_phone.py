"""Every staff page fits a 360-pixel phone: signed in as each demo role, the test follows
every link from /staff/ to the service's pages (one of each kind, as the accessibility
crawl does) and checks that the page never scrolls sideways and that no button's label
breaks over two lines."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from programmes.demo import DEMO_ACCOUNTS
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.browser.test_accessibility import MAX_PAGES, SKIPPED, kind_of_page
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

ROLES = [a for a in DEMO_ACCOUNTS if a.role in (Role.coordinator, Role.partner, Role.trainer)]

#: Buttons (links styled as buttons, attendance marks) whose label breaks badly: inside a
#: word, or at all although it would fit on one line of the space it has. (A label longer
#: than the screen may wrap between words.) Visually hidden text is not looked at.
WRAPPED_BUTTONS = """
() => {
  const lines = range => new Set([...range.getClientRects()]
    .filter(r => r.width > 0 && r.height > 0).map(r => Math.round(r.top))).size;
  const textNodes = el => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, {acceptNode: n =>
      n.parentElement.closest('.visually-hidden') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
    const found = [];
    while (walker.nextNode()) found.push(walker.currentNode);
    return found;
  };
  const bad = [];
  for (const el of document.querySelectorAll('button, .button, label.mark span')) {
    if (el.offsetParent === null) continue;
    let splitWord = false, width = 0, rows = new Set();
    for (const node of textNodes(el)) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        if (lines(range) > 1) splitWord = true;
        for (const r of range.getClientRects()) rows.add(Math.round(r.top));
      }
      const whole = document.createRange();  // words and the spaces between them
      whole.selectNodeContents(node);
      for (const r of whole.getClientRects()) width += r.width;
    }
    const style = getComputedStyle(el);
    const padding = parseFloat(style.paddingInlineStart) + parseFloat(style.paddingInlineEnd);
    let box = el.parentElement;  // the block the label lines up in (forms may be inline)
    while (box.parentElement && getComputedStyle(box).display.startsWith('inline')) {
      box = box.parentElement;
    }
    const boxStyle = getComputedStyle(box);
    const room = box.clientWidth - parseFloat(boxStyle.paddingInlineStart)
      - parseFloat(boxStyle.paddingInlineEnd);
    const wouldFit = width + padding + 6 * rows.size <= room;  // a space per break
    if (splitWord || (rows.size > 1 && wouldFit)) {
      bad.push(el.textContent.trim().replace(/\\s+/g, " ") + (splitWord ? ' (inside a word)' : ''));
    }
  }
  return bad;
}
"""
#: Boxes that scroll sideways inside the page (a wide table in a scrolling wrapper).
SCROLLING_BOXES = """
() => [...document.querySelectorAll('body *')]
  .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
             && el.scrollWidth > el.clientWidth + 1)
  .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
             + ' holds ' + el.scrollWidth + ' px in ' + el.clientWidth + ' px')
"""
#: Tables wider than the screen (even when something clips or scrolls them).
WIDE_TABLES = """
() => [...document.querySelectorAll('table')]
  .filter(el => el.offsetParent !== null && el.scrollWidth > window.innerWidth)
  .map(el => 'table.' + el.className + ' ' + el.scrollWidth + ' px')
"""
#: Elements that reach past the right edge of the screen (to name the culprit).
WIDE_ELEMENTS = """
() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1
             || el.getBoundingClientRect().left < -1)
  .filter(el => !el.closest('.visually-hidden, .skip'))
  .slice(0, 3)
  .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
             + ' ' + Math.round(el.getBoundingClientRect().width) + 'px')
"""


@pytest.fixture
async def phone_page(browser: Browser, demo_server: LiveServer) -> AsyncIterator[Page]:
    context: BrowserContext = await browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        base_url=demo_server.url,
    )
    context.set_default_timeout(15_000)
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def check_page(page: Page, url: str) -> list[str]:
    problems = []
    sizes: dict[str, Any] = await page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    if sizes["scroll"] > sizes["inner"]:
        wide = await page.evaluate(WIDE_ELEMENTS)
        problems.append(f"{url}: {sizes['scroll']} px wide on a {sizes['inner']} px screen {wide}")
    for box in [*await page.evaluate(SCROLLING_BOXES), *await page.evaluate(WIDE_TABLES)]:
        problems.append(f"{url}: {box}")
    for label in await page.evaluate(WRAPPED_BUTTONS):
        problems.append(f"{url}: the button {label!r} wraps")
    return problems


async def crawl(page: Page, origin: str, language: str) -> tuple[list[str], list[str]]:
    seen: set[str] = set()
    queue, found, problems = [f"/staff/?lang={language}"], list[str](), list[str]()
    while queue and len(found) < MAX_PAGES:
        url = queue.pop(0)
        if kind_of_page(url) in seen:
            continue
        seen.add(kind_of_page(url))
        response = await page.goto(url)
        if response is None or not response.ok:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        found.append(url)
        problems += await check_page(page, url)
        excused = page.locator("label.mark-excused")
        if await excused.count():  # a chosen mark is bold: check it still fits
            for i in range(await excused.count()):
                await excused.nth(i).click()
            problems += await check_page(page, url + " (all excused)")
        hrefs = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            absolute = urljoin(page.url, href).split("#")[0]
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != origin or SKIPPED.search(parts.path):
                continue
            if not parts.path.startswith("/staff") or "lang=" in parts.query:
                continue  # staff pages, in one language (the language switch is not followed)
            relative = parts.path + ("?" + parts.query if parts.query else "")
            if kind_of_page(relative) not in seen:
                queue.append(relative)
    return found, problems


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("account", ROLES, ids=[a.role.value for a in ROLES])
async def test_every_staff_page_fits_a_phone(
    phone_page: Page, demo_server: LiveServer, account: Any, language: str
) -> None:
    await sign_in(phone_page, account.email, account.password)
    pages, problems = await crawl(phone_page, demo_server.url.rstrip("/"), language)
    assert len(pages) >= 4, pages
    assert problems == [], "\n".join(problems)
