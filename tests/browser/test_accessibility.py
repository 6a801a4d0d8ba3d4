"""WCAG 2.1 AA on every page, checked by axe-core in Chromium: no violation of any impact.

The pages are found, not listed: from the start page (anonymously) and from `/staff/` (as
each demo role) the test follows every link to a page of the service, so a new page is
checked as soon as something links to it. Each kind of page (its path with the ids
blanked) is checked once per viewport, at 360 px (a small phone) and 1280 px; public pages
in German and in Arabic (right to left), staff pages in German (staff pages speak German
and English only).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize

from programmes.demo import DEMO_ACCOUNTS
from programmes.i18n import LANGUAGES
from programmes.vocabulary import Role
from tests.browser.conftest import PHONE, sign_in
from tests.live_server import LiveServer

pytestmark = pytest.mark.slow

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
#: WCAG 2.0 and 2.1, levels A and AA (axe's tags), every impact.
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
#: Not pages: downloads, feeds, the back office (a separate app), the API, sign-out.
SKIPPED = re.compile(r"\.(ics|csv|xlsx|pdf|json)$|^/(admin|api|schema|feeds|static)(/|$)|logout")
#: How many pages one crawl visits at most (the demo has fewer kinds of page).
MAX_PAGES = 60


@dataclass(frozen=True)
class Visitor:
    name: str
    start: str
    account: Any = None


VISITORS = [
    Visitor("public", "/"),
    *(
        Visitor(account.role.value, "/staff/", account)
        for account in DEMO_ACCOUNTS
        if account.role in (Role.coordinator, Role.partner, Role.trainer)
    ),
]


def kind_of_page(url: str) -> str:
    """A page's kind: its path and query with every number and the language blanked (the
    language switch leads to the same page in another language)."""
    parts = urlsplit(url)
    query = re.sub(r"(^|&)lang=[^&]*", "", parts.query)
    return re.sub(r"\d+", "#", parts.path + ("?" + query if query else ""))


async def crawl_and_check(page: Page, start: str, origin: str) -> tuple[list[str], list[str]]:
    """The service's pages reachable from `start` by links, one of each kind, each checked
    by axe once it has loaded: (pages, problems)."""
    axe = Axe()
    seen_kinds: set[str] = set()
    queue, found, problems = [start], list[str](), list[str]()
    while queue and len(found) < MAX_PAGES:
        url = queue.pop(0)
        if kind_of_page(url) in seen_kinds:
            continue
        seen_kinds.add(kind_of_page(url))
        response = await page.goto(url)
        if response is None or not response.ok:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        found.append(url)
        results = await axe.run(page, options=WCAG_AA)
        problems += describe(url, results.response["violations"])
        hrefs = await page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            absolute = urljoin(page.url, href).split("#")[0]
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != origin or SKIPPED.search(parts.path):
                continue
            relative = parts.path + ("?" + parts.query if parts.query else "")
            if kind_of_page(relative) not in seen_kinds:
                queue.append(relative)
    return found, problems


def describe(url: str, violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{url}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in violations
    ]


@pytest.fixture
async def context_factory(browser: Browser, demo_server: LiveServer) -> AsyncIterator[Any]:
    contexts: list[BrowserContext] = []

    async def open_page(viewport: ViewportSize, locale: str) -> Page:
        context = await browser.new_context(
            viewport=viewport,
            locale=locale,
            timezone_id="Europe/Berlin",
            base_url=demo_server.url,
            bypass_csp=True,  # axe is injected as a script; the pages' own CSP forbids that
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return await context.new_page()

    yield open_page
    for context in contexts:
        await context.close()


CASES = [
    pytest.param(visitor, viewport, language, id=f"{visitor.name}-{width}-{language}")
    for visitor in VISITORS
    for width, viewport in (("360", PHONE), ("1280", DESKTOP))
    for language in (["de", "ar"] if visitor.account is None else ["de"])
    if language in LANGUAGES
]


@pytest.mark.parametrize(("visitor", "viewport", "language"), CASES)
async def test_no_page_has_an_accessibility_violation(
    context_factory: Any,
    demo_server: LiveServer,
    visitor: Visitor,
    viewport: ViewportSize,
    language: str,
) -> None:
    page: Page = await context_factory(viewport, language)
    if visitor.account is not None:
        await sign_in(page, visitor.account.email, visitor.account.password)
    pages, problems = await crawl_and_check(page, visitor.start, demo_server.url.rstrip("/"))
    # the public reach the start page, event pages, the privacy notice, the imprint and the
    # sign-in page at least
    assert len(pages) >= (5 if visitor.account is None else 4), pages
    assert problems == [], "\n".join(problems)
