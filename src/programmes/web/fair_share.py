"""Each kind of request gets its share of a worker's event loop.

A worker runs one event loop, and the loop runs whatever is ready, first come, first
served, one step at a time. A start page takes about 0.9 ms of loop time in one step, a
registration 1.5 ms in two to five, a cached calendar feed 0.1 ms in one. Beside a stream
of page views and registrations, each feed request waited behind every step queued before
it; with clients that send their next request when the last is answered (calendar apps,
browsers, wrk) the feed got a tenth of its rate alone (bench/mixed.py).

So requests are told apart by kind (`kind_of`: calendar files, changes, pages), and the
loop time of every step a request's coroutine takes is charged to its kind (`_Metered`).
A request starts at once unless its kind has used more loop time than another busy kind
by more than `SLACK`; then it waits for its turn, which comes

* when the other kinds have caught up (checked whenever a request ends),
* when the loop has nothing else to do (`_when_idle`: a turn is never left unused, so a
  kind that wants little, such as calendar apps polling with 304s, holds nobody back),
* or after `MAX_WAIT` at the latest.

A kind is busy while a request of it is in progress or waiting, or ended less than `IDLE`
ago (the pause between one client's requests). A kind that comes back after being idle
starts level with the least-served busy kind: no credit is saved up while idle, so it
cannot then lock the others out.

Only the start of a request is decided here. Once started it runs to its end as before:
no transaction, lock or pool connection is ever held while a request waits its turn.

Besides loop time, a kind is charged the time its write transactions held the write path
(`work_charges`: SQLite's write lock, or a PostgreSQL connection in a transaction), which
all workers share; the lifespan's background work (mail rounds, daily jobs) is charged to
changes. Other time in worker threads or in the database is not charged.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Generator
from typing import Any, Final, cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Receive, Scope, Send

from programmes import work_charges

#: A kind may lead the least-served busy kind by this much loop time and still start.
SLACK: Final = 0.002
#: No request waits longer than this for its turn.
MAX_WAIT: Final = 0.05
#: A kind with nothing in progress for this long no longer holds others back.
IDLE: Final = 0.005

CALENDAR: Final = "calendar"
CHANGE: Final = "change"
PAGE: Final = "page"
KINDS: Final = (CALENDAR, CHANGE, PAGE)
_READS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


def kind_of(scope: Scope) -> str:
    """Calendar files (feeds and event files), changes (any other method than a read),
    pages (every other read: pages, API reads, assets)."""
    path: str = scope["path"]
    if path.startswith("/feeds/") or path.endswith(".ics"):
        return CALENDAR
    if cast("HTTPScope", scope)["method"] not in _READS:
        return CHANGE
    return PAGE


class _Kind:
    __slots__ = ("ended", "running", "used", "waiting")

    def __init__(self) -> None:
        #: Loop seconds charged (plus the levelling after idle spells).
        self.used = 0.0
        self.running = 0
        self.waiting: deque[asyncio.Future[None]] = deque()
        self.ended = float("-inf")

    def charge(self, seconds: float) -> None:
        """Work done elsewhere for this kind (`work_charges`): the write path it held."""
        self.used += seconds

    def busy(self, now: float) -> bool:
        return self.running > 0 or bool(self.waiting) or now - self.ended < IDLE


class _Metered:
    """Awaits an awaitable, charging the time each of its steps takes to its kind.

    It drives the awaitable as `await` would (`send`, `throw`, `close`), within the same
    task, so context variables, cancellation and exceptions reach it unchanged."""

    __slots__ = ("_awaitable", "_kind", "_share")

    def __init__(self, awaitable: Awaitable[None], kind: _Kind, share: FairShare) -> None:
        self._awaitable = awaitable
        self._kind = kind
        self._share = share

    def __await__(self) -> Generator[Any, Any, None]:
        coro = self._awaitable.__await__()
        kind, share = self._kind, self._share
        clock = share.clock
        value: Any = None
        error: BaseException | None = None
        while True:
            share.steps += 1
            start = clock()
            try:
                yielded = coro.send(value) if error is None else coro.throw(error)
            except StopIteration:  # its end (re-raised here it would become a RuntimeError)
                kind.used += clock() - start
                return
            except BaseException:
                kind.used += clock() - start
                raise
            kind.used += clock() - start
            try:
                value, error = (yield yielded), None
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as thrown:  # e.g. cancellation: the request handles it
                value, error = None, thrown


class FairShare:
    """ASGI middleware: see the module docstring. `clock` is for tests."""

    def __init__(self, app: ASGIApp, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.app = app
        self.clock = clock
        self.kinds = {name: _Kind() for name in KINDS}
        #: Steps taken by all requests: `_when_idle` compares it from one loop turn to the next.
        self.steps = 0
        self._watching = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            # the lifespan starts the background work (mail rounds, daily jobs): changes
            with work_charges.charged_to(self.kinds[CHANGE].charge):
                await self.app(scope, receive, send)
            return
        kind = self.kinds[kind_of(scope)]
        await self._turn(kind)
        kind.running += 1
        try:
            with work_charges.charged_to(kind.charge):
                await _Metered(self.app(scope, receive, send), kind, self)
        finally:
            kind.running -= 1
            kind.ended = self.clock()
            self._wake()

    def _floor(self, kind: _Kind, now: float) -> float | None:
        """The least loop time used by another busy kind; None if no other is busy."""
        floor: float | None = None
        for other in self.kinds.values():
            if other is not kind and other.busy(now) and (floor is None or other.used < floor):
                floor = other.used
        return floor

    async def _turn(self, kind: _Kind) -> None:
        now = self.clock()
        floor = self._floor(kind, now)
        if floor is None:
            return
        if not kind.busy(now) and kind.used < floor:
            kind.used = floor  # back from an idle spell: level, with no credit saved up
        if kind.used <= floor + SLACK and not kind.waiting:
            return
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        kind.waiting.append(turn)
        timer = loop.call_later(MAX_WAIT, self._give_turn, kind, turn)
        if not self._watching:
            self._watching = True
            loop.call_soon(self._when_idle, self.steps)
        try:
            await turn
        finally:
            timer.cancel()
            if turn in kind.waiting:
                kind.waiting.remove(turn)

    @staticmethod
    def _give_turn(kind: _Kind, turn: asyncio.Future[None]) -> None:
        if turn in kind.waiting:
            kind.waiting.remove(turn)
        if not turn.done():
            turn.set_result(None)

    def _wake(self) -> None:
        """Start the waiting requests whose kind is no longer ahead."""
        now = self.clock()
        for kind in self.kinds.values():
            while kind.waiting:
                floor = self._floor(kind, now)
                if floor is not None and kind.used > floor + SLACK:
                    break
                self._give_turn(kind, kind.waiting[0])

    def _when_idle(self, seen: int) -> None:
        """Runs once per loop turn while requests wait. If no request took a step since the
        last turn, the loop has nothing else to do: the least-served waiting kind starts
        one request."""
        waiting = [kind for kind in self.kinds.values() if kind.waiting]
        if not waiting:
            self._watching = False
            return
        if self.steps == seen:
            least = min(waiting, key=lambda kind: kind.used)
            self._give_turn(least, least.waiting[0])
        asyncio.get_running_loop().call_soon(self._when_idle, self.steps)
