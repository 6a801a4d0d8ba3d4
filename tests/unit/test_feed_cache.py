"""The per-process feed cache: fresh checks, the LRU, per-event rendering."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest

from programmes.domain.feeds.cache import BUSY_REUSE, LRU, FeedCache, FreshCheck
from programmes.domain.feeds.scopes import Fingerprint
from programmes.ical import FeedEvent, render_feed


async def settle() -> None:
    """Let every ready task run until it waits."""
    for _ in range(5):
        await asyncio.sleep(0)


class CountingQuery:
    """A fake validation query: it takes a while and counts how often it started."""

    def __init__(self) -> None:
        self.started: list[float] = []
        self.release = asyncio.Event()

    async def __call__(self) -> int:
        self.started.append(asyncio.get_running_loop().time())
        number = len(self.started)
        await self.release.wait()
        return number


async def test_callers_never_get_a_result_that_started_before_they_came() -> None:
    query = CountingQuery()
    fresh = FreshCheck(query, itertools.count(1).__next__)
    first = asyncio.ensure_future(fresh.get())
    await settle()  # the first run starts
    assert len(query.started) == 1
    later = [asyncio.ensure_future(fresh.get()) for _ in range(10)]
    await settle()
    assert len(query.started) == 1  # they wait for the next run instead of joining
    query.release.set()
    results = await asyncio.gather(first, *later)
    assert results[0] == (1, 1)
    assert {r for r in results[1:]} == {(2, 2)}  # one shared run that began after they came
    assert len(query.started) == 2


async def test_a_failing_check_fails_its_callers_and_the_next_call_runs_again() -> None:
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database gone")
        return calls

    fresh = FreshCheck(failing, itertools.count(1).__next__)
    with pytest.raises(RuntimeError):
        await fresh.get()
    assert await fresh.get() == (2, 2)


async def test_sequential_calls_each_run_the_query() -> None:
    calls = 0

    async def query() -> int:
        nonlocal calls
        calls += 1
        return calls

    fresh = FreshCheck(query, itertools.count(1).__next__)
    assert [await fresh.get() for _ in range(3)] == [(1, 1), (2, 2), (3, 3)]


async def test_under_load_a_check_just_finished_answers_callers_who_find_one_running() -> None:
    """Callers who find a run in progress take a result under 0.1 s old instead of waiting
    for the next run; older results, and callers who find nothing running, wait as ever."""
    gates: list[asyncio.Event] = []

    async def query() -> int:
        gate = asyncio.Event()
        gates.append(gate)
        await gate.wait()
        return len(gates)

    fresh = FreshCheck(query, itertools.count(1).__next__)
    first = asyncio.ensure_future(fresh.get())
    await settle()
    gates[0].set()
    assert await first == (1, 1)

    running = asyncio.ensure_future(fresh.get())  # nothing in progress: a new run
    await settle()
    assert len(gates) == 2
    assert await asyncio.wait_for(fresh.get(), 0.05) == (1, 1)  # run 2 running: no wait
    assert len(gates) == 2

    await asyncio.sleep(BUSY_REUSE * 1.5)  # run 1's result is too old now
    waiting = asyncio.ensure_future(fresh.get())
    await settle()
    assert not waiting.done()
    gates[1].set()
    assert await running == (2, 2)
    await settle()
    gates[2].set()
    assert await waiting == (3, 3)  # a run that started after it asked


def test_lru_keeps_the_most_recent() -> None:
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert lru.get("b") is None
    assert (lru.get("a"), lru.get("c"), len(lru)) == (1, 3, 2)


def make_event(session_id: int, summary: str = "Training") -> FeedEvent:
    moment = datetime(2026, 12, 1, 9, tzinfo=UTC)
    return FeedEvent(
        session_id=session_id,
        sequence=0,
        cancelled=False,
        starts_at=moment,
        ends_at=moment,
        updated_at=moment,
        summary=summary,
        location="",
        description="",
        url="https://example.org/events/1",
        category="Training",
    )


def test_assembled_feed_equals_the_cold_render_and_renders_each_event_once() -> None:
    cache = FeedCache()
    fingerprint = Fingerprint(values=(), newest=None)
    events = [make_event(i) for i in range(1, 6)]
    first = cache.assemble(
        name="x", events=events, host="h", fingerprint=fingerprint, run=1, last_modified=None
    )
    assert first.body == render_feed(name="x", events=events, host="h")
    assert cache.rendered == 5
    events[2] = make_event(3, summary="Umbenannt")
    second = cache.assemble(
        name="x", events=events, host="h", fingerprint=fingerprint, run=2, last_modified=None
    )
    assert cache.rendered == 6
    assert second.body == render_feed(name="x", events=events, host="h")
    assert second.etag != first.etag
    assert second.etag.startswith('"')
    assert second.gzip_etag == second.etag[:-1] + '-gz"'


async def test_an_inline_result_serves_exactly_the_requests_scheduled_before_it() -> None:
    """Requests whose tasks were scheduled before the query ran share it; a request whose
    task is scheduled afterwards (read from its socket later) gets a query of its own."""
    calls: list[str] = []

    def inline() -> int:
        calls.append("query")
        return len(calls)

    async def never() -> int:
        raise AssertionError("the inline query always runs here")

    fresh = FreshCheck(never, itertools.count(1).__next__, inline)
    spawned: list[asyncio.Task[tuple[int, int]]] = []

    async def first() -> tuple[int, int]:
        result = await fresh.get()
        spawned.append(asyncio.ensure_future(fresh.get()))  # arrives after the query ran
        return result

    batch = [
        asyncio.ensure_future(first()),
        *(asyncio.ensure_future(fresh.get()) for _ in range(9)),
    ]
    results = await asyncio.gather(*batch)
    assert set(results) == {(1, 1)}  # ten requests, one query
    assert await spawned[0] == (2, 2)  # the late one got its own
    assert await fresh.get() == (3, 3)  # so does the same task asking again
    assert await fresh.get() == (4, 4)
    assert len(calls) == 4


async def test_an_inline_check_that_cannot_run_inline_waits_for_a_run() -> None:
    from programmes.domain.feeds.scopes import NOT_INLINE

    async def query() -> str:
        return "awaited"

    fresh = FreshCheck(query, itertools.count(1).__next__, lambda: NOT_INLINE)
    assert await fresh.get() == (1, "awaited")
