"""The render helper process: same bytes as rendering in the thread, and a feed never fails
because the helper died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from programmes.app import create_app
from programmes.domain.feeds.cache import FeedCache
from programmes.domain.feeds.content import RunCounts, Viewer, Wording
from programmes.domain.feeds.render_pool import MIN_BATCH, RenderPool
from programmes.domain.feeds.scopes import Fingerprint, SessionRow
from programmes.ical import FeedEvent, render_feed
from programmes.settings import SettingsError, load_settings
from tests.conftest import app_client, environment_for_tests, running

FINGERPRINT = Fingerprint(values=(), newest=None)


def make_events(count: int, *, summary: str = "Vielfalt – Sprache im Alltag") -> list[FeedEvent]:
    first = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)
    return [
        FeedEvent(
            session_id=number,
            sequence=number % 3,
            cancelled=number % 7 == 0,
            starts_at=first + timedelta(days=number),
            ends_at=first + timedelta(days=number, hours=2),
            updated_at=first,
            summary=f"{summary} {number}; Ünïcödé, \\ line\nbreak",
            location="Haus der Kulturen, Raum 2",
            description="Thema: Sprache",
            url=f"https://example.org/events/{number}",
            category="Training",
        )
        for number in range(1, count + 1)
    ]


@pytest.fixture(scope="module")
def pool() -> Iterator[RenderPool]:
    helper = RenderPool()
    assert helper.wait_ready(timeout=30)
    yield helper
    helper.close()


def assemble(cache: FeedCache, events: list[FeedEvent], run: int = 1) -> bytes:
    feed = cache.assemble(
        name="Alle", events=events, host="h", fingerprint=FINGERPRINT, run=run, last_modified=None
    )
    return feed.body


def test_batches_wait_for_no_helper_that_is_still_starting() -> None:
    helper = RenderPool()
    try:
        events = make_events(MIN_BATCH)
        cache = FeedCache()
        cache.render_pool = helper
        helper.start()
        assert not helper.ready  # spawning and importing take a while
        assert assemble(cache, events) == render_feed(name="Alle", events=events, host="h")
        assert helper.batches == 0
    finally:
        helper.close()


def test_a_large_batch_is_rendered_by_the_helper_with_the_same_bytes(pool: RenderPool) -> None:
    events = make_events(MIN_BATCH + 10)
    cache = FeedCache()
    cache.render_pool = pool
    before = pool.batches

    body = assemble(cache, events)

    assert body == render_feed(name="Alle", events=events, host="h")
    assert pool.batches == before + 1
    assert cache.rendered == len(events)


def make_rows(count: int) -> list[SessionRow]:
    """Session rows as the feeds' data query returns them on SQLite (text timestamps)."""
    return [
        SessionRow(
            id=number,
            sequence=number % 2,
            status="cancelled" if number % 9 == 0 else "scheduled",
            starts_at=f"2027-03-{1 + number % 28:02d} 17:00:00+00:00",
            ends_at=f"2027-03-{1 + number % 28:02d} 19:00:00+00:00",
            location="" if number % 2 else "Raum 2; Eingang B",
            theme="Sprache im Alltag" if number % 3 == 0 else None,
            cancel_reason="Krankheit",
            public_cancel_note="Fällt leider aus" if number % 2 else "",
            substitute=None,
            updated_at="2026-11-20 08:30:00+00:00",
            cohort_id=1 + number % 4,
            cohort_title="Gruppe, Herbst",
            cohort_location="Haus der Kulturen",
            cohort_language="Türkçe",
            cohort_status="published",
            cohort_capacity=12,
            cohort_updated_at="2026-11-20 08:30:00+00:00",
            programme_id=1,
            programme_kind="training",
            programme_title="Vielfalt im Team",
            programme_title_en="Diversity at work",
            programme_status="published",
            programme_is_public=True,
            programme_updated_at="2026-11-20 08:30:00+00:00",
        )
        for number in range(1, count + 1)
    ]


PRIVATE = {
    "viewer": Viewer(account_id=7),
    "counts": {1: RunCounts(confirmed_seats=5, confirmed=3, waiting=2), 2: RunCounts()},
}


@pytest.mark.parametrize(
    ("language", "private"), [("de", False), ("en", False), ("de", True), ("en", True)]
)
def test_session_rows_are_rendered_by_the_helper_with_the_same_bytes(
    pool: RenderPool, language: str, private: bool
) -> None:
    rows = make_rows(MIN_BATCH + 5)
    extra: dict[str, Any] = PRIVATE if private else {}
    wording = Wording(base_url="https://example.org", language=language, **extra)
    alone = FeedCache().blocks_for_rows(rows, wording, "h")
    helped = FeedCache()
    helped.render_pool = pool
    before = pool.batches

    assert helped.blocks_for_rows(rows, wording, "h") == alone
    assert pool.batches == before + 1
    assert helped.rendered == len(rows)


def test_a_small_change_is_rendered_in_the_thread(pool: RenderPool) -> None:
    events = make_events(MIN_BATCH + 10)
    cache = FeedCache()
    cache.render_pool = pool
    assemble(cache, events)
    batches = pool.batches
    events[5] = make_events(6, summary="Umbenannt")[5]

    body = assemble(cache, events, run=2)

    assert body == render_feed(name="Alle", events=events, host="h")
    assert pool.batches == batches  # one entry: not worth sending
    assert cache.rendered == len(events) + 1


def test_a_dead_helper_costs_no_feed_and_is_replaced() -> None:
    helper = RenderPool()
    try:
        assert helper.wait_ready(timeout=30)
        events = make_events(MIN_BATCH)
        cache = FeedCache()
        cache.render_pool = helper
        assemble(cache, events)
        assert helper.batches == 1
        (pid,) = helper.helper_pids()
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)

        renamed = make_events(MIN_BATCH, summary="Neu")
        assert assemble(cache, renamed, run=2) == render_feed(name="Alle", events=renamed, host="h")
        batches = helper.batches
        assert helper.wait_ready(timeout=30)
        again = make_events(MIN_BATCH, summary="Noch einmal neu")
        assert assemble(cache, again, run=3) == render_feed(name="Alle", events=again, host="h")
        assert helper.batches == batches + 1  # a new helper took over
        assert helper.helper_pids() != [pid]
    finally:
        helper.close()


ORPHAN_SCRIPT = """
import os, signal, sys
from programmes.domain.feeds.render_pool import RenderPool
pool = RenderPool()
assert pool.wait_ready(timeout=30)
print(pool.helper_pids()[0], flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # a server killed without stopping its helper
"""


def test_a_helper_ends_when_its_server_is_killed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ORPHAN_SCRIPT], capture_output=True, text=True, timeout=60
    )
    helper = int(done.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(helper):
        time.sleep(0.1)
    assert not _alive(helper)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_renderer_setting_is_checked(tmp_path: Path) -> None:
    assert load_settings({}, workdir=tmp_path).feed_renderer == "process"
    thread = load_settings({"PROGRAMMES_FEED_RENDERER": "Thread"}, workdir=tmp_path)
    assert thread.feed_renderer == "thread"
    with pytest.raises(SettingsError, match="PROGRAMMES_FEED_RENDERER: must be one of"):
        load_settings({"PROGRAMMES_FEED_RENDERER": "gpu"}, workdir=tmp_path)


async def test_the_app_starts_and_stops_its_helper(database_url: str, tmp_path: Path) -> None:
    environment = environment_for_tests(database_url, PROGRAMMES_FEED_RENDERER="process")
    app = create_app(load_settings(environment, workdir=tmp_path), send_mail=False)
    async with running(app):
        helper = app.state.feed_cache.render_pool
        assert isinstance(helper, RenderPool)
        async with app_client(app) as http:
            response = await http.get("/feeds/public.ics")
        assert response.status_code == 200
        pids = helper.helper_pids()
        assert pids
    assert app.state.feed_cache.render_pool is None
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
