"""Every link in every calendar feed of the demo data answers 200: the public feeds (all, each
kind, each language), each programme's feed, each listed event's file, and a private feed per
demo role (its staff links followed by that person, signed in). Then a public run is archived:
its dates and its link leave the public feeds, and every link left still answers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar

from programmes.clock import FrozenClock
from programmes.demo import DEMO_ACCOUNTS, load_demo
from programmes.domain.accounts import staff_accounts
from programmes.domain.catalogue import entries
from programmes.domain.feeds import feed_tokens
from programmes.tables import Cohort, Programme, Session
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, app_client
from tests.web.feed_helpers import HOST, events, fetch, unfolded
from tests.web.helpers import sign_in

_URL = re.compile(r"URL(?:;[^:]*)?:(.*)")
LANGUAGES = ("", "?lang=en")


def urls_in(body: bytes) -> list[str]:
    """The value of every URL property, read from the unfolded lines."""
    lines = unfolded(body).split("\r\n")
    return [match.group(1) for line in lines if (match := _URL.fullmatch(line))]


@asynccontextmanager
async def signed_in(app: Litestar, email: str, password: str) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, address=("203.0.113.8", 50000)) as client:
        await sign_in(client, email, password)
        yield client


async def public_feeds(client: httpx.AsyncClient) -> dict[str, bytes]:
    """Every public feed of the data that exists, by path."""
    paths = [f"/feeds/public.ics{q}" for q in LANGUAGES]
    paths += [f"/feeds/public.ics?kind={kind}" for kind in ("training", "info_event")]
    for row in await Programme.select(Programme.id):
        paths += [f"/feeds/programmes/{row['id']}.ics{q}" for q in LANGUAGES]
    for row in await Cohort.select(Cohort.id):
        paths += [f"/events/{row['id']}.ics{q}" for q in LANGUAGES]
    feeds = {}
    for path in paths:
        response = await fetch(client, path)
        assert response.status_code in (200, 404), path
        if response.status_code == 200:
            feeds[path] = response.content
    return feeds


async def check_links(client: httpx.AsyncClient, feeds: dict[str, bytes]) -> set[str]:
    """Request every URL of `feeds` through the app; each must answer 200."""
    found: set[str] = set()
    for path, body in feeds.items():
        for url in urls_in(body):
            parts = urlsplit(url)
            assert f"{parts.scheme}://{parts.netloc}" == f"http://{HOST}", (path, url)
            found.add(parts.path)
    for link in sorted(found):
        response = await client.get(link)
        assert response.status_code == 200, (link, response.status_code)
    return found


@pytest.fixture
async def demo(client: httpx.AsyncClient) -> None:
    await load_demo(now=FROZEN_NOW)


async def test_every_link_of_every_demo_feed_answers(
    client: httpx.AsyncClient, app: Litestar, demo: None
) -> None:
    feeds = await public_feeds(client)
    listed = [event["id"] for event in (await client.get("/api/v1/events")).json()]
    assert listed and all(f"/events/{cohort}.ics" in feeds for cohort in listed)
    assert sum(path.startswith("/feeds/programmes/") for path in feeds) >= 4
    public_links = await check_links(client, feeds)
    assert public_links == {f"/events/{cohort}" for cohort in listed}

    for account in DEMO_ACCOUNTS:
        staff = await staff_accounts.account_by_email(account.email)
        token = await feed_tokens.create_feed_token(account_id=staff.id, now=FROZEN_NOW)
        private = {
            f"/feeds/private/{token}.ics{q}": (
                await fetch(client, f"/feeds/private/{token}.ics{q}")
            ).content
            for q in LANGUAGES
        }
        assert all(events(body) for body in private.values()), account.role
        async with signed_in(app, account.email, account.password) as own:
            links = await check_links(own, private)
        staff_links = {link for link in links if link.startswith("/staff/cohorts/")}
        if account.role is not Role.coordinator:  # their own Rucksack groups
            assert staff_links, account.role


async def test_an_archived_run_leaves_the_public_feeds(
    client: httpx.AsyncClient, app: Litestar, clock: FrozenClock, demo: None
) -> None:
    coordinator = await staff_accounts.account_by_email(DEMO_ACCOUNTS[0].email)
    run = (await client.get("/api/v1/events")).json()[0]["id"]
    dates = {row["id"] for row in await Session.select(Session.id).where(Session.cohort == run)}
    before = (await fetch(client, "/feeds/public.ics")).content
    assert dates <= set(events(before))
    assert f"http://{HOST}/events/{run}" in urls_in(before)
    token = await feed_tokens.create_feed_token(account_id=coordinator.id, now=FROZEN_NOW)

    clock.advance(timedelta(minutes=5))  # the coordinator archives it a little later
    await entries.change_cohort_status(
        staff=coordinator, cohort_id=run, action="archive", now=clock()
    )

    feeds = await public_feeds(client)
    for path, body in feeds.items():
        assert not dates & set(events(body)), path
        assert f"http://{HOST}/events/{run}" not in urls_in(body), path
    assert f"/events/{run}.ics" not in feeds
    assert (await client.get(f"/events/{run}")).status_code == 404
    await check_links(client, feeds)
    # staff still find the run's dates, linked to its staff page
    private = (await fetch(client, f"/feeds/private/{token}.ics")).content
    assert dates <= set(events(private))
    assert f"http://{HOST}/staff/cohorts/{run}" in urls_in(private)
    async with signed_in(app, DEMO_ACCOUNTS[0].email, DEMO_ACCOUNTS[0].password) as own:
        await check_links(own, {"private": private})
