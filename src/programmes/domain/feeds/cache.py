"""The per-process cache that keeps icalendar off the request path.

Layers, all bounded (least recently used entries go first):

* **checks**: one `FreshCheck` per fingerprint query (one for all public feeds, one per
  private token). A request never uses the result of a query that started before the
  request arrived, so a change committed by any process is seen by the next request
  everywhere; but requests that arrive together share one query, and under load (a check
  already running) a check that ended less than 0.1 s ago answers (`BUSY_REUSE`).
* **feeds**: the finished feed per (scope, language): body, gzip body, ETags, Last-Modified,
  and the fingerprint and check run it was built from (or the fact that it does not exist).
* **entries**: the VEVENT bytes per session row (all its values, the wording, the host): an
  unchanged row costs one lookup. **events**: the same bytes by the whole `FeedEvent` value
  (session id, sequence, effective updated_at and every text) plus the host, so a change
  re-renders only the entries it touches, and feeds share entries that are equal.

Rebuilds of one feed run one at a time (an asyncio lock; requests that wait for it get its
result), and the CPU part (building entries, rendering, gzip, hashing) runs in a worker
thread, so the event loop keeps answering other requests meanwhile. Large batches of entries
(a cold start, a renamed programme) are rendered by a helper process at low priority when
the app has one (`render_pool`), so they do not take the event loop's share of the GIL.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from programmes.domain.feeds.content import Wording, feed_event
from programmes.domain.feeds.render_pool import MIN_BATCH, RenderPool, render_batch
from programmes.domain.feeds.scopes import Fingerprint, NotInline, SessionRow
from programmes.ical import CalendarInfo, FeedEvent, render_calendar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

#: How long a write transaction may take from stamping its rows to committing (SQLite waits
#: up to 30 s for the write lock), and how often feeds are read again meanwhile.
SETTLE = timedelta(minutes=2)
RECHECK = timedelta(seconds=2)

#: zlib level 3, deflate's fast mode: a 1,000-session feed (470 KB) compresses in 0.8 ms to
#: 21 KB; level 6 took 2.1 ms for 17 KB. The gzip body is rebuilt with every change, and
#: the extra 4 KB per full download matter less than the CPU taken from other requests.
GZIP_LEVEL = 3

#: Seconds a finished fingerprint check may answer callers who find the next one running
#: (see `FreshCheck`).
BUSY_REUSE = 0.1


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class FreshCheck(Generic[T]):
    """Run `query` for many concurrent callers without ever handing out a stale answer.

    A caller joins the next run that has not started yet, or schedules one: so every answer
    comes from a query that started after the caller asked. At most one run is in progress
    and one waits behind it; everybody who arrives meanwhile shares the waiting one.

    Under load, one exception (`BUSY_REUSE`): a caller who finds a run already in progress
    and a result less than 0.1 s old takes that result instead of waiting for the next run.
    Where the query is a round trip to PostgreSQL, every calendar request otherwise waited
    for one and a half queries, which on a busy server took 5-20 ms each: the feed got 2-13 %
    of its rate alone beside registrations and page views (bench/mixed.py). A tenth of a
    second behind the database is nothing to calendar apps that refresh hourly. A caller who
    finds no run in progress (any single request, every test that writes and then reads)
    still gets a query that starts after it asked.

    When the query can run synchronously (`inline`, SQLite's reader: well under a
    millisecond, on the event loop) and no run is in flight, it runs right away and its
    result serves every check until a callback scheduled right after it runs. The event
    loop runs callbacks first in, first out, so exactly the requests whose tasks were
    scheduled before that moment share it, and a request read from its socket later (its
    task is scheduled later) gets a new query. Nobody waits, nothing is stale. (The task
    that ran the query never reuses it: a server runs each request in a task of its own,
    but an in-process client may send its next request from the same task.)
    """

    def __init__(
        self,
        query: Callable[[], Awaitable[T]],
        runs: Callable[[], int],
        inline: Callable[[], T | NotInline] | None = None,
    ) -> None:
        self._query = query
        self._runs = runs
        self._inline = inline
        self._fresh: tuple[int, T] | None = None  # an inline result, until _expire runs
        self._fresh_task: asyncio.Task[Any] | None = None  # the task that ran it
        self._current: asyncio.Task[None] | None = None
        self._next: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Future[tuple[int, T]]] = []  # of the next run
        self._last: tuple[float, tuple[int, T]] | None = None  # (loop time it ended, result)

    async def get(self) -> tuple[int, T]:
        """(run number, result); run numbers grow with the start time of the query."""
        task = asyncio.current_task()
        if self._fresh is not None and task is not self._fresh_task:
            return self._fresh
        loop = asyncio.get_running_loop()
        if self._inline is not None and self._next is None and self._current is None:
            value = self._inline()
            if not isinstance(value, NotInline):
                if self._fresh is None:
                    loop.call_soon(self._expire)
                fresh = self._fresh = (self._runs(), value)
                self._fresh_task = task
                return fresh
        if self._current is not None and self._last is not None:
            ended, last = self._last
            if loop.time() - ended < BUSY_REUSE:
                return last
        if self._next is None:
            self._waiters = []
            self._next = loop.create_task(self._run(self._current))
        waiter: asyncio.Future[tuple[int, T]] = loop.create_future()
        self._waiters.append(waiter)
        return await waiter  # a cancelled caller cancels only its own future

    def _expire(self) -> None:
        self._fresh = None
        self._fresh_task = None

    async def _run(self, previous: asyncio.Task[None] | None) -> None:
        if previous is not None and not previous.done():
            await asyncio.wait([previous])
        # From here on nobody may join this run: its query starts now.
        me = asyncio.current_task()
        waiters, self._waiters = self._waiters, []
        self._next = None
        self._current = me  # type: ignore[assignment]
        try:
            result = (self._runs(), await self._query())
        except Exception as exc:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        finally:
            if self._current is me:
                self._current = None
        self._last = (asyncio.get_running_loop().time(), result)
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)


@dataclass(frozen=True, eq=False)
class RenderedFeed:
    """A finished feed: both encodings, their validators, and what it was built from.
    `missing` marks a feed found not to exist (unknown or internal programme or run)."""

    body: bytes
    gzipped: bytes
    etag: str  # strong, quoted: a hash of `body`
    gzip_etag: str  # the gzip representation is a different representation, with its own tag
    last_modified: datetime | None
    fingerprint: Fingerprint
    checked_run: int
    events: int
    missing: bool = False
    read_at: datetime | None = None  # when its data were read (the app's clock)

    @classmethod
    def absent(cls, fingerprint: Fingerprint, run: int, read_at: datetime) -> RenderedFeed:
        return cls(
            body=b"",
            gzipped=b"",
            etag='""',
            gzip_etag='""',
            last_modified=None,
            fingerprint=fingerprint,
            checked_run=run,
            events=0,
            missing=True,
            read_at=read_at,
        )

    def is_current(self, fingerprint: Fingerprint, run: int) -> bool:
        """Built from the same data, or validated by a query that started no earlier."""
        return self.fingerprint == fingerprint or self.checked_run >= run

    def needs_recheck(self, now: datetime) -> bool:
        """Whether to read the data again although the fingerprint has not changed.

        A transaction stamps its rows with `updated_at` before it may wait for a lock, so
        it can commit after a transaction with a newer stamp: MAX(updated_at) then stays
        as it was, and the fingerprint misses that change. Such a commit carries a stamp
        no older than SETTLE before it lands, so a feed whose data were read less than
        SETTLE after its newest stamp is read again every RECHECK until one read comes
        later than that: a late change shows within seconds, and settled feeds cost
        nothing extra."""
        return needs_recheck(self.fingerprint, self.read_at, now)


def needs_recheck(fingerprint: Fingerprint, read_at: datetime | None, now: datetime) -> bool:
    """Whether data read at `read_at` under `fingerprint` must be read again although the
    fingerprint has not changed (`RenderedFeed.needs_recheck` says why)."""
    newest = fingerprint.newest
    if newest is None or read_at is None:
        return False
    return read_at < newest + SETTLE and now >= read_at + RECHECK


@dataclass(frozen=True)
class _Previous:
    """A feed's last build: its rows and their entries, in order."""

    rows: tuple[SessionRow, ...]
    blocks: tuple[bytes, ...]
    wording: Wording
    host: str


class FeedCache:
    """The per-process cache of one application instance (kept in the app's state)."""

    def __init__(
        self, *, max_feeds: int = 512, max_events: int = 200_000, max_previous: int = 32
    ) -> None:
        self.feeds: LRU[Hashable, RenderedFeed] = LRU(max_feeds)
        self.events: LRU[tuple[FeedEvent, str], bytes] = LRU(max_events)
        self.entries: LRU[tuple[Any, ...], bytes] = LRU(max_events)
        #: The last build of the busiest feeds (their rows are kept: a few, not all).
        self.previous: LRU[Hashable, _Previous] = LRU(max_previous)
        self._checks: LRU[Hashable, FreshCheck[Fingerprint | None]] = LRU(max_feeds * 4)
        self._locks: LRU[Hashable, asyncio.Lock] = LRU(max_feeds * 4)
        self._run_numbers = itertools.count(1)
        self.rendered = 0  # events rendered by this process (tests and benchmarks read it)
        #: Renders large batches in a helper process (set by the app when it starts).
        self.render_pool: RenderPool | None = None

    def _next_run(self) -> int:
        return next(self._run_numbers)

    async def check(
        self,
        key: Hashable,
        query: Callable[[], Awaitable[Fingerprint | None]],
        inline: Callable[[], Fingerprint | NotInline | None] | None = None,
    ) -> tuple[int, Fingerprint | None]:
        fresh = self._checks.get(key)
        if fresh is None:
            fresh = FreshCheck(query, self._next_run, inline)
            self._checks.put(key, fresh)
        return await fresh.get()

    def lock(self, key: Hashable) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks.put(key, lock)
        return lock

    def render_blocks(
        self, events: Sequence[FeedEvent], host: str, *, helper: bool = True
    ) -> list[bytes]:
        """Each event's VEVENT bytes, from the cache or freshly rendered: in the calling
        worker thread (the app hands the GIL over every 0.1 ms, see `app.tuned_runtime`),
        or, for large batches, by the render helper process when there is one (and
        `helper` allows it: a caller whose batch the helper just refused renders here)."""
        blocks: list[bytes | None] = []
        missing: list[int] = []
        for event in events:
            block = self.events.get((event, host))
            if block is None:
                missing.append(len(blocks))
            blocks.append(block)
        if missing:
            todo = [events[index] for index in missing]
            rendered = None
            if helper and self.render_pool is not None and len(todo) >= MIN_BATCH:
                rendered = self.render_pool.render(todo, host)
            if rendered is None:
                rendered = render_batch(todo, host)
            for index, event, block in zip(missing, todo, rendered, strict=True):
                self.events.put((event, host), block)
                blocks[index] = block
            self.rendered += len(todo)
        return blocks  # type: ignore[return-value]  # every None was filled

    def blocks_for_rows(
        self,
        rows: Sequence[SessionRow],
        wording: Wording,
        host: str,
        reuse: Hashable | None = None,
    ) -> list[bytes]:
        """Each session row's VEVENT bytes. An entry depends only on its row, the wording
        and the host, so an unchanged row costs one lookup (building the FeedEvents of a
        1,000-session feed anew cost ~20 ms, a lookup per row ~1 ms). Cheaper still, a row
        equal to the one at the same place in the feed's previous build (`reuse`: the
        feed's key) takes that build's entry: one comparison, no hashing (~0.25 ms per
        1,000 rows, and most rebuilds change one row)."""
        previous = self.previous.get(reuse) if reuse is not None else None
        if previous is None or previous.wording != wording or previous.host != host:
            previous = _Previous((), (), wording, host)
        before, before_blocks = previous.rows, previous.blocks
        blocks: list[bytes] = []
        missing: list[tuple[int, tuple[Any, ...], SessionRow]] = []
        common = (wording.base_url, wording.language, wording.viewer, wording.reminder, host)
        for position, row in enumerate(rows):
            if position < len(before) and before[position] == row:
                blocks.append(before_blocks[position])
                continue
            counts = wording.counts.get(row.cohort_id) if wording.counts else None
            key = (row, counts, common)
            block = self.entries.get(key)
            if block is None:
                missing.append((len(blocks), key, row))
                block = b""
            blocks.append(block)
        rendered = None
        if self.render_pool is not None and len(missing) >= MIN_BATCH:
            rendered = self.render_pool.render_rows([row for *_, row in missing], wording, host)
            if rendered is not None:
                self.rendered += len(rendered)
        if rendered is None:  # a small batch, or the helper is starting or failed
            events = [feed_event(row, wording) for *_, row in missing]
            rendered = self.render_blocks(events, host, helper=False)
        for (index, key, _), block in zip(missing, rendered, strict=True):
            blocks[index] = block
            self.entries.put(key, block)
        if reuse is not None:
            self.previous.put(reuse, _Previous(tuple(rows), tuple(blocks), wording, host))
        return blocks

    def assemble(
        self,
        *,
        name: str | CalendarInfo,
        events: Sequence[FeedEvent] | None = None,
        rows: tuple[Sequence[SessionRow], Wording] | None = None,
        host: str,
        fingerprint: Fingerprint,
        run: int,
        last_modified: datetime | None,
        method_publish: bool = False,
        reuse: Hashable | None = None,
        read_at: datetime | None = None,
    ) -> RenderedFeed:
        """Render what is missing, splice, compress and hash (in a worker thread). The
        entries come from `events`, or from session `rows` with their wording (and the
        previous build of the feed with key `reuse`)."""
        if rows is not None:
            blocks = self.blocks_for_rows(rows[0], rows[1], host, reuse)
        else:
            blocks = self.render_blocks(events or (), host)
        body = render_calendar(name=name, events=blocks, method_publish=method_publish)
        digest = hashlib.sha256(body).hexdigest()[:32]
        return RenderedFeed(
            body=body,
            gzipped=gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0),
            etag=f'"{digest}"',
            gzip_etag=f'"{digest}-gz"',
            last_modified=last_modified,
            fingerprint=fingerprint,
            checked_run=run,
            events=len(blocks),
            read_at=read_at,
        )
