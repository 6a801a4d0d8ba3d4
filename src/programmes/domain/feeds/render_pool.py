"""Renders large batches of calendar entries in a helper process, at low CPU priority.

icalendar needs ~0.25 s for 1,000 entries. In a thread of the serving process that time is
shared with the event loop through the GIL, which knows no priorities: while a feed was
rebuilt from scratch, `/health` got half of its process's CPU and its p99 grew 2.6-3.9x on
PostgreSQL (bench/feeds.py). The helper renders on another core, at a lower priority than the
process that answers requests (the operating system does know priorities), so the event
loop keeps its own.

Small batches (one changed session) stay in the rebuild's thread: sending them to the helper
would cost more than rendering them. So do batches that come while the helper is still
starting (the first feed after a start does not wait ~0.5 s for it). If the helper dies it
is replaced, and the batch that failed is rendered in the thread: a feed never fails for it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Final

from programmes.domain.feeds.content import Wording, feed_event
from programmes.domain.feeds.scopes import SessionRow
from programmes.ical import FeedEvent, render_event

log = logging.getLogger(__name__)

#: Batches smaller than this are rendered by the caller (~0.25 ms per entry; sending a
#: batch and its answer costs a few milliseconds).
MIN_BATCH: Final = 64
#: The helper's niceness: the serving processes come first when CPUs are short.
NICENESS: Final = 10
#: How often the helper checks that its server still runs.
SERVER_CHECK_SECONDS: Final = 1.0


def render_batch(events: Sequence[FeedEvent], host: str) -> list[bytes]:
    """What the helper runs (and what the caller runs when there is no helper)."""
    return [render_event(event, host=host) for event in events]


def render_row_batch(rows: Sequence[SessionRow], wording: Wording, host: str) -> list[bytes]:
    """The same from session rows: building the entries' texts (~20 ms per 1,000 rows)
    happens in the helper too."""
    return [render_event(feed_event(row, wording), host=host) for row in rows]


def _prepare_helper(server_pid: int) -> None:
    """Low priority; Ctrl-C, which a terminal sends to the whole process group, is left to
    the server, which stops its helper itself; and a helper whose server died without
    stopping it (killed, crashed) ends within a second instead of lingering: it holds both
    ends of its own task pipe, so it would never see the pipe close."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # not permitted here: render at normal priority
        os.nice(NICENESS)
    watch = threading.Thread(target=_end_with_server, args=(server_pid,), daemon=True)
    watch.start()


def _end_with_server(server_pid: int) -> None:
    while True:
        time.sleep(SERVER_CHECK_SECONDS)
        if os.getppid() != server_pid:
            os._exit(0)


class RenderPool:
    """One helper process per serving process, started on demand and replaced if it dies."""

    def __init__(self) -> None:
        self._executor: ProcessPoolExecutor | None = None
        self._ready: Future[list[bytes]] | None = None
        self._lock = threading.Lock()
        self.batches = 0  # batches the helper rendered (tests and benchmarks read it)

    def start(self) -> None:
        """Start the helper and let it import what it needs, without waiting for it."""
        self._current()

    @property
    def ready(self) -> bool:
        """Whether the helper has started (spawning and importing take ~0.5 s)."""
        return self._ready is not None and self._ready.done()

    def render(self, events: Sequence[FeedEvent], host: str) -> list[bytes] | None:
        """The entries' bytes, in order; None if the helper is still starting or failed
        (render them yourself). Blocks its thread (never call it on the event loop)."""
        return self._run(render_batch, list(events), host)

    def render_rows(
        self, rows: Sequence[SessionRow], wording: Wording, host: str
    ) -> list[bytes] | None:
        """The same for session rows (pickled as they are)."""
        return self._run(render_row_batch, list(rows), wording, host)

    def _run(self, function: Callable[..., list[bytes]], *args: Any) -> list[bytes] | None:
        executor = None
        try:
            executor = self._current()
            if not self.ready:
                return None
            blocks = executor.submit(function, *args).result()
        except (BrokenProcessPool, OSError, RuntimeError) as error:
            log.warning("feed render helper failed (%s): rendering in the thread", error)
            if executor is not None:
                self._discard(executor)
            return None
        self.batches += 1
        return blocks

    def wait_ready(self, timeout: float) -> bool:
        """Wait until the helper has started (tests, benchmarks); False on timeout."""
        self.start()
        ready = self._ready
        if ready is None:
            return False
        with contextlib.suppress(Exception):
            ready.result(timeout=timeout)
        return self.ready

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def helper_pids(self) -> list[int]:
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return list(processes)

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=1,
                    # spawn: forking a process that runs threads and an event loop can deadlock it
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_prepare_helper,
                    initargs=(os.getpid(),),
                )
                self._ready = self._executor.submit(render_batch, [], "")
            return self._executor

    def _discard(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False, cancel_futures=True)
