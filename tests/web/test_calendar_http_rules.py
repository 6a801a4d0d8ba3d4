"""What a calendar app or a shared cache sees of every calendar answer: no cookie, a
Last-Modified of the feed's own data, and a cache lifetime that agrees with the refresh
interval the feed names."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from programmes.db import write_transaction
from programmes.domain.feeds import feed_tokens
from programmes.ical import REFRESH
from programmes.tables import Cohort, Programme
from tests.conftest import FROZEN_NOW
from tests.feed_world import World, build_world
from tests.web.feed_helpers import fetch, unfolded


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world()


async def _private_url(world: World) -> str:
    token = await feed_tokens.create_feed_token(account_id=world.trainer.id, now=FROZEN_NOW)
    return f"/feeds/private/{token}.ics"


async def _every_calendar_url(world: World) -> list[str]:
    return [
        "/feeds/public.ics",
        "/feeds/public.ics?kind=training",
        f"/feeds/programmes/{world.training}.ics",
        f"/events/{world.training_run}.ics",
        f"/events/{world.training_run}.ics?lang=en",
        await _private_url(world),
    ]


async def test_no_calendar_answer_sets_a_cookie(client: httpx.AsyncClient, world: World) -> None:
    for url in await _every_calendar_url(world):
        client.cookies.clear()
        first = await fetch(client, url)
        assert first.status_code == 200, url
        assert "set-cookie" not in first.headers, url
        head = await client.head(url)
        assert head.status_code == 200, url
        assert "set-cookie" not in head.headers, url
        again = await fetch(client, url, **{"if-none-match": first.headers["etag"]})
        assert again.status_code == 304, url
        assert "set-cookie" not in again.headers, url
        assert not client.cookies, url


async def test_the_event_page_still_sets_its_csrf_cookie(
    client: httpx.AsyncClient, world: World
) -> None:
    client.cookies.clear()
    page = await client.get(f"/events/{world.training_run}")
    assert page.status_code == 200
    assert "programmes_csrf" in page.headers.get("set-cookie", "")


async def test_cache_lifetime_agrees_with_the_refresh_interval(
    client: httpx.AsyncClient, world: World
) -> None:
    seconds = int(REFRESH.total_seconds())
    hours = seconds // 3600
    for url in await _every_calendar_url(world):
        response = await fetch(client, url)
        body = unfolded(response.content)
        assert f"REFRESH-INTERVAL;VALUE=DURATION:PT{hours}H\r\n" in body, url
        assert f"X-PUBLISHED-TTL:PT{hours}H\r\n" in body, url
        if "/private/" in url:
            assert response.headers["cache-control"] == "private, no-cache"
        else:
            assert response.headers["cache-control"] == f"public, max-age={seconds}", url


async def test_a_change_to_one_programme_leaves_other_feeds_alone(
    client: httpx.AsyncClient, world: World
) -> None:
    training_feed = f"/feeds/programmes/{world.training}.ics"
    info_feed = f"/feeds/programmes/{world.info_event}.ics"
    info_file = f"/events/{world.info_run}.ics"
    before = {url: await fetch(client, url) for url in (training_feed, info_feed, info_file)}

    later = FROZEN_NOW - timedelta(minutes=5)
    async with write_transaction():
        await Programme.update(
            {Programme.title: "Diskriminierung erkennen und handeln", Programme.updated_at: later}
        ).where(Programme.id == world.training)

    changed = await fetch(client, training_feed)
    assert changed.headers["etag"] != before[training_feed].headers["etag"]
    assert changed.headers["last-modified"] != before[training_feed].headers["last-modified"]
    for url in (info_feed, info_file):
        after = await fetch(client, url)
        assert after.headers["etag"] == before[url].headers["etag"], url
        assert after.headers["last-modified"] == before[url].headers["last-modified"], url
        conditional = await fetch(
            client, url, **{"if-modified-since": before[url].headers["last-modified"]}
        )
        assert conditional.status_code == 304, url


async def test_a_run_taken_offline_moves_last_modified_forward(
    client: httpx.AsyncClient, world: World
) -> None:
    """Its dates leave the programme's feed; a client holding them must not get a 304."""
    url = f"/feeds/programmes/{world.training}.ics"
    before = await fetch(client, url)
    async with write_transaction():
        await Cohort.update(
            {Cohort.status: "draft", Cohort.updated_at: FROZEN_NOW - timedelta(minutes=1)}
        ).where(Cohort.id == world.training_run)
    conditional = await fetch(client, url, **{"if-modified-since": before.headers["last-modified"]})
    assert conditional.status_code == 200
    assert "BEGIN:VEVENT" not in conditional.text


@pytest.mark.parametrize("lang", ["xx", "", "fr", "pt-BR", "%FF"])
async def test_a_language_that_does_not_exist_falls_back_to_german(
    client: httpx.AsyncClient, world: World, lang: str
) -> None:
    german = await fetch(client, f"/events/{world.training_run}.ics")
    other = await fetch(client, f"/events/{world.training_run}.ics?lang={lang}")
    assert other.status_code == 200
    assert other.content == german.content
