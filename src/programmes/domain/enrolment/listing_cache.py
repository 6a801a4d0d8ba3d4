"""The start page's runs, read once and kept while what the page shows stays the same.

The start page is the page most visitors load, and reading and assembling its runs (two
queries, the titles in the page's language, each run's registration state and free places)
was a fifth to a quarter of a busy worker's time beside calendar polls and registrations
(`bench/mixed.py`). So each process keeps the runs per language and checks, for every
request, three things that together decide whether they are still what the page would show:

* **the catalogue's fingerprint**, the one the public feeds check (`feeds.scopes`): any
  change to a session, run or programme changes it. It is the same `FreshCheck` (one query
  serves the feeds and the start page), with the same rule for late commits (data read
  shortly after a change are read again every 2 s until the change has settled,
  `feeds.cache.needs_recheck`).
* **the free places** in the page's words (`seats.availability`): registrations change
  `seats_taken` but not the catalogue's stamps, so one small query per request reads
  capacity and seats of the kept runs (shared by requests that arrive together, like the
  fingerprint), and the runs are read again only when a run's words would change ("few
  places", "waiting list" ...), not with every seat taken.
* **the time**: a date that starts or ends, a registration period that opens or closes
  changes a run's state or drops it from the page; the runs hold until the first such
  moment after they were read (`public_runs.Upcoming.until`).

Every answer comes from queries that started after the request arrived (or, under load,
from one that ended less than 0.1 s before, `FreshCheck`), in every process, so a change
shows on the next request to either worker. The assembled `Listing` of each filter is
kept with the runs, so the page body reuse (`web.render_thread`) compares the same object.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Protocol

from programmes.db import FreshQuery
from programmes.domain.catalogue.publication import RegistrationState
from programmes.domain.enrolment import public_runs
from programmes.domain.enrolment.public_runs import Listing, Upcoming
from programmes.domain.enrolment.seats import availability
from programmes.domain.feeds.cache import LRU, FreshCheck, needs_recheck
from programmes.domain.feeds.scopes import (
    CATALOGUE_CHECK,
    NOT_INLINE,
    Fingerprint,
    NotInline,
    catalogue_fingerprint,
    catalogue_fingerprint_inline,
)
from programmes.tables import Cohort

#: Filtered listings kept per language (kinds x months x pages a visitor may ask for).
MAX_LISTINGS: Final = 64


class Checks(Protocol):
    """Where the catalogue's fingerprint check lives (`feeds.cache.FeedCache`)."""

    async def check(
        self,
        key: Hashable,
        query: Callable[[], Awaitable[Fingerprint | None]],
        inline: Callable[[], Fingerprint | NotInline | None] | None = None,
    ) -> tuple[int, Fingerprint | None]: ...


Seats = tuple[tuple[int, int | None, int], ...]  # (run, capacity, seats taken)


@dataclass(eq=False)
class _Kept:
    """One language's runs and what they were read under."""

    upcoming: Upcoming
    fingerprint: Fingerprint
    checked_run: int
    seats: _SeatsCheck
    listings: LRU[Hashable, Listing] = field(default_factory=lambda: LRU(MAX_LISTINGS))

    def current(self, fingerprint: Fingerprint, run: int, now: datetime) -> bool:
        return (
            (self.fingerprint == fingerprint or self.checked_run >= run)
            and self.upcoming.holds_at(now)
            and not needs_recheck(self.fingerprint, self.upcoming.read_at, now)
        )

    def shows_seats(self, seats: Seats) -> bool:
        """Whether every kept run would show the same free places with `seats`."""
        found = {run: (capacity, taken) for run, capacity, taken in seats}
        for run in self.upcoming.runs:
            if run.cohort_id not in found:
                return False
            capacity, taken = found[run.cohort_id]
            taking = run.state == RegistrationState.open.value
            words = availability(capacity, taken, taking_registrations=taking)
            if words != run.availability:
                return False
        return True


class _SeatsCheck:
    """Capacity and seats of a fixed set of runs, read fresh for every caller (shared by
    callers that arrive together: `FreshCheck`)."""

    def __init__(self, cohort_ids: Sequence[int]) -> None:
        self._ids = tuple(sorted(cohort_ids))
        marks = ", ".join("{}" for _ in self._ids)
        self._query = FreshQuery(
            Cohort.raw(
                f"SELECT id, capacity, seats_taken FROM cohort WHERE id IN ({marks})",  # noqa: S608 (placeholders only)
                *self._ids,
            )
        )
        self._check: FreshCheck[Seats] = FreshCheck(
            self._read, itertools.count(1).__next__, self._read_inline
        )

    async def seats(self) -> Seats:
        if not self._ids:
            return ()
        return (await self._check.get())[1]

    async def _read(self) -> Seats:
        return _seats(await self._query.rows())

    def _read_inline(self) -> Seats | NotInline:
        rows = self._query.rows_inline()
        return NOT_INLINE if rows is None else _seats(rows)


def _seats(rows: Sequence[Mapping[str, Any]]) -> Seats:
    return tuple(
        (
            int(row["id"]),
            None if row["capacity"] is None else int(row["capacity"]),
            int(row["seats_taken"]),
        )
        for row in rows
    )


class ListingCache:
    """The start page's runs per language for one process (kept in the app's state)."""

    def __init__(self, checks: Checks) -> None:
        self._checks = checks
        self._kept: dict[str, _Kept] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.reads = 0  # how often the runs were read (tests and benchmarks look)

    async def listing(
        self,
        *,
        language: str,
        now: datetime,
        kind: str | None = None,
        month: date | None = None,
        page: int = 1,
    ) -> Listing:
        """`public_runs.listing` of the current runs; the same object while they hold."""
        kept = await self._current(language, now)
        key = (kind, month, page)
        found = kept.listings.get(key)
        if found is None:
            found = public_runs.listing(kept.upcoming, kind=kind, month=month, page=page)
            kept.listings.put(key, found)
        return found

    async def _current(self, language: str, now: datetime) -> _Kept:
        run, fingerprint = await self._checks.check(
            CATALOGUE_CHECK, catalogue_fingerprint, catalogue_fingerprint_inline
        )
        assert fingerprint is not None  # the catalogue always has one
        seen = self._kept.get(language)
        if seen is not None and await self._holds(seen, fingerprint, run, now):
            return seen
        lock = self._locks.setdefault(language, asyncio.Lock())
        async with lock:
            latest = self._kept.get(language)
            if (
                latest is not None
                and latest is not seen
                and await self._holds(latest, fingerprint, run, now)
            ):
                return latest  # read by a request that waited with this one
            kept = await self._read(language, fingerprint, run, now)
            self._kept[language] = kept
            return kept

    @staticmethod
    async def _holds(kept: _Kept, fingerprint: Fingerprint, run: int, now: datetime) -> bool:
        return kept.current(fingerprint, run, now) and kept.shows_seats(await kept.seats.seats())

    async def _read(
        self, language: str, fingerprint: Fingerprint, run: int, now: datetime
    ) -> _Kept:
        upcoming = await public_runs.upcoming_runs(language=language, now=now)
        self.reads += 1
        return _Kept(
            upcoming=upcoming,
            fingerprint=fingerprint,
            checked_run=run,
            seats=_SeatsCheck([run.cohort_id for run in upcoming.runs]),
        )
