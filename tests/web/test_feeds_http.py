"""Feeds as HTTP resources: validators, 304s, HEAD, gzip, caching headers, and a cache that
follows the database in every process."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from email.utils import format_datetime

import httpx
import pytest
from litestar import Litestar

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.settings import Settings
from programmes.tables import Session
from tests.conftest import FROZEN_NOW, app_client, running
from tests.feed_world import STAMP, World, add_session, berlin, build_world
from tests.web.feed_helpers import IDENTITY, events, fetch

URL = "/feeds/public.ics"


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world()


def http_date(moment: object) -> str:
    from datetime import datetime

    assert isinstance(moment, datetime)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


async def test_strong_etag_is_a_hash_of_the_body(client: httpx.AsyncClient, world: World) -> None:
    response = await fetch(client, URL)
    digest = hashlib.sha256(response.content).hexdigest()[:32]
    assert response.headers["etag"] == f'"{digest}"'
    assert (await fetch(client, URL)).headers["etag"] == response.headers["etag"]
    # the newest change (2026-11-20) is older than the window's last move (Berlin midnight)
    assert response.headers["last-modified"] == "Tue, 24 Nov 2026 23:00:00 GMT"
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "set-cookie" not in response.headers
    # feeds send the security headers themselves (prebuilt), like every other response
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert len(response.headers.get_list("cache-control")) == 1


@pytest.mark.parametrize(
    "if_none_match",
    [
        "{etag}",
        "W/{etag}",
        '"nope", {etag}',
        '"a","b" , W/{etag}',
        "*",
        "{gzip_etag}",
    ],
)
async def test_if_none_match_gives_304_without_body(
    client: httpx.AsyncClient, world: World, if_none_match: str
) -> None:
    etag = (await fetch(client, URL)).headers["etag"]
    gzip_etag = (await client.get(URL, headers={"accept-encoding": "gzip"})).headers["etag"]
    header = if_none_match.format(etag=etag, gzip_etag=gzip_etag)
    response = await fetch(client, URL, **{"if-none-match": header})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "public, max-age=3600"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-length" not in response.headers or response.headers["content-length"] == "0"
    head = await client.head(URL, headers={**IDENTITY, "if-none-match": header})
    assert head.status_code == 304


@pytest.mark.parametrize("if_none_match", ['"other"', 'W/"other"', "", "garbage", '"unterminated'])
async def test_if_none_match_that_does_not_match_gives_the_feed(
    client: httpx.AsyncClient, world: World, if_none_match: str
) -> None:
    response = await fetch(client, URL, **{"if-none-match": if_none_match})
    assert response.status_code == 200
    assert events(response.content)


async def test_if_modified_since(client: httpx.AsyncClient, world: World) -> None:
    first = await fetch(client, URL)
    last_modified = first.headers["last-modified"]
    same = await fetch(client, URL, **{"if-modified-since": last_modified})
    assert same.status_code == 304
    assert same.content == b""
    from programmes.web.conditional import parse_http_date

    moment = parse_http_date(last_modified)
    assert moment is not None
    later = http_date(moment + timedelta(hours=1))
    assert (await fetch(client, URL, **{"if-modified-since": later})).status_code == 304
    earlier = http_date(moment - timedelta(seconds=1))
    assert (await fetch(client, URL, **{"if-modified-since": earlier})).status_code == 200


@pytest.mark.parametrize(
    "value",
    ["yesterday", "", "Fri, 99 Nov 2026 23:00:00 GMT", "0", "Mon, 01 Jan 3000 00:00:00 GMT", "ü"],
)
async def test_if_modified_since_that_is_not_a_usable_date_is_ignored(
    client: httpx.AsyncClient, world: World, value: str
) -> None:
    response = await client.get(
        URL, headers=[(b"accept-encoding", b"identity"), (b"if-modified-since", value.encode())]
    )
    assert response.status_code == 200
    assert events(response.content)


async def test_if_none_match_takes_precedence_over_if_modified_since(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await fetch(client, URL)
    response = await fetch(
        client,
        URL,
        **{"if-none-match": '"stale"', "if-modified-since": first.headers["last-modified"]},
    )
    assert response.status_code == 200


async def test_a_change_gives_a_new_etag_and_a_full_response(
    client: httpx.AsyncClient, world: World
) -> None:
    first = await fetch(client, URL)
    await Session.update({Session.sequence: 1, Session.updated_at: FROZEN_NOW}).where(
        Session.id == world.sessions["info"][0]
    )
    response = await fetch(
        client,
        URL,
        **{"if-none-match": first.headers["etag"], "if-modified-since": "x"},
    )
    assert response.status_code == 200
    assert response.headers["etag"] != first.headers["etag"]
    moved = await fetch(client, URL, **{"if-modified-since": first.headers["last-modified"]})
    assert moved.status_code == 200
    assert moved.headers["last-modified"] == http_date(FROZEN_NOW)


async def test_head_has_the_same_headers_and_no_body(
    client: httpx.AsyncClient, world: World
) -> None:
    for encoding in ("identity", "gzip"):
        get = await client.get(URL, headers={"accept-encoding": encoding})
        head = await client.head(URL, headers={"accept-encoding": encoding})
        assert head.status_code == 200
        assert head.content == b""
        for name in (
            "etag",
            "last-modified",
            "content-type",
            "content-length",
            "cache-control",
            "vary",
        ):
            assert head.headers[name] == get.headers[name], name
        assert head.headers.get("content-encoding") == get.headers.get("content-encoding")


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("identity", False),
        ("deflate, br", False),
        ("", False),
    ],
)
async def test_gzip_when_the_client_accepts_it(
    client: httpx.AsyncClient, world: World, accept_encoding: str, gzipped: bool
) -> None:
    plain = (await fetch(client, URL)).content
    async with client.stream("GET", URL, headers={"accept-encoding": accept_encoding}) as response:
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(raw)
    if gzipped:
        assert response.headers["content-encoding"] == "gzip"
        assert gzip.decompress(raw) == plain
        assert len(raw) < len(plain) / 2
    else:
        assert "content-encoding" not in response.headers
        assert raw == plain


async def test_a_client_without_accept_headers_gets_the_feed(
    client: httpx.AsyncClient, world: World
) -> None:
    del client.headers["accept"]
    del client.headers["accept-encoding"]
    response = await client.get(URL)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert events(response.content)


async def test_the_cache_re_renders_only_what_changed(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    cache = app.state.feed_cache
    await fetch(client, URL)
    rendered = cache.rendered
    await fetch(client, URL)
    assert cache.rendered == rendered  # warm: nothing rendered
    await Session.update({Session.sequence: 1, Session.updated_at: STAMP + timedelta(1)}).where(
        Session.id == world.sessions["training"][0]
    )
    await fetch(client, URL)
    assert cache.rendered == rendered + 1


async def test_a_rebuild_after_shifts_and_changes_equals_a_cold_render(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    """Entries are reused by position from the previous build, or by content: a session
    added before all others shifts every position, and must still cost one render."""
    cache = app.state.feed_cache
    await fetch(client, URL)
    rendered = cache.rendered
    first_run = (
        await Session.select(Session.cohort).where(Session.id == world.sessions["training"][0])
    )[0]["cohort"]
    await add_session(first_run, STAMP + timedelta(days=3))  # earlier than every other
    moved = world.sessions["info"][-1]
    await Session.update(
        {Session.location: "Aula", Session.sequence: 2, Session.updated_at: STAMP + timedelta(2)}
    ).where(Session.id == moved)

    warm = (await fetch(client, URL)).content

    assert cache.rendered == rendered + 2  # the new session and the moved one
    for part in (cache.feeds, cache.events, cache.entries, cache.previous):
        part.clear()
    assert warm == (await fetch(client, URL)).content
    assert "Aula" in str(events(warm)[moved]["LOCATION"])


async def test_a_change_committed_late_with_an_older_stamp_still_reaches_the_feed(
    client: httpx.AsyncClient, world: World, app: Litestar, clock: FrozenClock
) -> None:
    """Two edits at once: the one stamped first commits last, so MAX(updated_at) and the
    fingerprint stay as the other left them. The feed reads its data again for a while
    after a change, so the late edit shows within seconds, not with the next change."""
    first, late = world.sessions["training"][0], world.sessions["info"][0]
    now = clock()
    await Session.update({Session.location: "Raum A", Session.updated_at: now}).where(
        Session.id == first
    )
    assert "Raum A" in str(events((await fetch(client, URL)).content)[first]["LOCATION"])

    await Session.update(
        {Session.location: "Raum B", Session.updated_at: now - timedelta(seconds=1)}
    ).where(Session.id == late)
    clock.advance(timedelta(seconds=3))
    assert "Raum B" in str(events((await fetch(client, URL)).content)[late]["LOCATION"])

    # once the last change is long past, the cached feed is simply served again
    clock.advance(timedelta(minutes=5))
    await fetch(client, URL)
    key = next(iter(app.state.feed_cache.feeds._data))
    settled = app.state.feed_cache.feeds.get(key)
    clock.advance(timedelta(minutes=5))
    await fetch(client, URL)
    assert app.state.feed_cache.feeds.get(key) is settled


async def test_concurrent_requests_share_one_rebuild(
    client: httpx.AsyncClient, world: World, app: Litestar
) -> None:
    cache = app.state.feed_cache
    responses = await asyncio.gather(*(fetch(client, URL) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1
    assert cache.rendered == len(world.session_ids("training", "info"))


@pytest.fixture
async def second_worker(settings: Settings, clock: FrozenClock) -> AsyncIterator[httpx.AsyncClient]:
    """Another app instance on the same database: a second worker process, cache and all."""
    async with running(create_app(settings, clock=clock)) as other, app_client(other) as http:
        yield http


async def test_a_change_is_seen_by_every_worker_at_the_next_request(
    client: httpx.AsyncClient, second_worker: httpx.AsyncClient, world: World
) -> None:
    for http in (client, second_worker):  # both warm
        assert (await fetch(http, URL)).status_code == 200
    added = await add_session(world.info_run, berlin(2026, 12, 20, 11))
    first = await fetch(client, URL)
    second = await fetch(second_worker, URL)
    assert added in events(first.content)
    assert first.content == second.content
    assert first.headers["etag"] == second.headers["etag"]
    await Session.delete().where(Session.id == added)  # a deletion changes the count
    for http in (client, second_worker):
        assert added not in events((await fetch(http, URL)).content)
