"""Which sessions each calendar feed shows, and the one cheap query that says whether a
cached feed is still current.

The *fingerprint* of the data feeds are built from is a handful of aggregates without joins:
COUNT, MAX(id) and MAX(updated_at) of sessions, runs (cohorts) and programmes. An insert
raises MAX(id), a delete lowers COUNT, and every change sets `updated_at` (the rule the data
model states), so any change anywhere changes it. It is deliberately global: it costs the
same ~0.3 ms for every feed (a per-feed aggregate with joins cost ~2 ms per 1,000 sessions
on SQLite, a third of a busy worker's CPU), all public feeds share one query per round trip,
and a change re-renders only the entries it touches, so rebuilding a feed the change did
not concern costs a data query and a splice, and yields the same bytes and ETag.

Private feeds add the token check (no row: unknown, rotated or revoked token, or an inactive
account), the account's role and KiTa, and the aggregates of registrations (the counts the
entries show) and of trainer assignments, still in one query.

Last-Modified is per feed (`FeedScope.newest_change`): the newest `updated_at` of the
sessions the feed covers and of their runs and programmes (shown or not: a programme taken
offline moves it too), in private feeds also of the runs' registrations, and, for windowed
feeds, the Berlin midnight at which the window last moved. So it is never older than the
feed's content, If-Modified-Since never answers 304 wrongly, and a change to one programme
leaves every other feed's Last-Modified (and ETag) as it was.

The window runs from Berlin midnight `days_back` days ago to Berlin midnight after
`days_ahead` days, so it moves once a day and every worker computes the same one.

Which runs a feed shows is the publication rule (`catalogue.publication`): public feeds the
listed runs (`PUBLIC_FEED`), private feeds also internal and archived ones (`PRIVATE_FEED`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

import anyio.to_thread
import msgspec
from piccolo.columns import Column, Varchar
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Max
from piccolo.query.functions.type_conversion import Cast

from programmes.clock import BERLIN, as_utc
from programmes.db import FreshQuery
from programmes.domain.catalogue.publication import (
    LISTED,
    PRIVATE_FEED,
    PUBLIC_FEED,
    Shown,
)
from programmes.tables import Cohort, CohortTrainer, Programme, Session
from programmes.vocabulary import RegistrationStatus, Role

# Piccolo types a two-step join loosely; these are the joined tables' columns.
_COHORT: Any = Session.cohort
_PROGRAMME: Any = _COHORT.programme
_SESSION_PLACE: Any = Session.place

_CATALOGUE_COLUMNS: Final = ", ".join(
    f"(SELECT {aggregate} FROM {table}) AS {table}_{name}"  # noqa: S608 (constants only)
    for table in ("cohort_session", "cohort", "programme")
    for name, aggregate in (("n", "COUNT(*)"), ("id", "MAX(id)"), ("at", "MAX(updated_at)"))
)
_CATALOGUE_SQL: Final = f"SELECT {_CATALOGUE_COLUMNS}"
_PRIVATE_SQL: Final = (
    f"SELECT {_CATALOGUE_COLUMNS}, "  # noqa: S608 (constants only; statuses and hash are parameters)
    "(SELECT COUNT(*) FROM registration) AS registration_n, "
    "(SELECT MAX(id) FROM registration) AS registration_id, "
    "(SELECT MAX(updated_at) FROM registration) AS registration_at, "
    "(SELECT COUNT(*) FROM registration WHERE status = {}) AS waiting_n, "
    "(SELECT COALESCE(SUM(seats), 0) FROM registration WHERE status = {}) AS seats_n, "
    "(SELECT COUNT(*) FROM cohort_trainer) AS cohort_trainer_n, "
    "(SELECT MAX(id) FROM cohort_trainer) AS cohort_trainer_id, "
    "a.id AS account_id, a.role AS account_role, a.kita AS account_kita, "
    "t.reminder_minutes AS account_reminder "
    "FROM feed_token t JOIN account a ON a.id = t.account "
    "WHERE t.token_hash = {} AND t.revoked_at IS NULL AND a.active = {}"
)
_STAMPS: Final = ("cohort_session_at", "cohort_at", "programme_at", "registration_at")
#: Compiled data queries by `FeedScope.data_key` (the oldest go first).
MAX_PREPARED_READS: Final = 512
_prepared_reads: dict[tuple[Any, ...], FreshQuery] = {}


@functools.lru_cache(maxsize=1)
def _catalogue() -> FreshQuery:
    """Prepared on first use (preparing needs the configured engine)."""
    return FreshQuery(Session.raw(_CATALOGUE_SQL))


class NotInline:
    """What an inline query returns when it cannot run synchronously right now."""


NOT_INLINE: Final = NotInline()
#: The key of the catalogue's fingerprint check: every public feed and the start page
#: share one `FreshCheck` under it (`FeedCache.check`).
CATALOGUE_CHECK: Final = ("catalogue",)


async def catalogue_fingerprint() -> Fingerprint:
    """The fingerprint of sessions, runs and programmes (see the module's docstring)."""
    return Fingerprint.of((await _catalogue().rows())[0])


def catalogue_fingerprint_inline() -> Fingerprint | NotInline:
    """The same, read synchronously when the engine allows it (SQLite); else NOT_INLINE."""
    rows = _catalogue().rows_inline()
    return NOT_INLINE if rows is None else Fingerprint.of(rows[0])


@dataclass(frozen=True)
class Window:
    """The stretch of time a windowed feed covers (UTC instants on Berlin midnights)."""

    starts: datetime
    ends: datetime
    moved_at: datetime  # the midnight at which it last moved (a lower bound of Last-Modified)


def _berlin_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


#: The last window per (days_back, days_ahead) and the instant until which it holds.
_windows: dict[tuple[int, int], tuple[Window, datetime]] = {}


def feed_window(now: datetime, *, days_back: int, days_ahead: int) -> Window:
    """The window for `now` (the same object all day: it is part of every cache key)."""
    cached = _windows.get((days_back, days_ahead))
    if cached is not None and cached[0].moved_at <= now < cached[1]:
        return cached[0]
    today = now.astimezone(BERLIN).date()
    window = Window(
        starts=_berlin_midnight(today - timedelta(days=days_back)),
        ends=_berlin_midnight(today + timedelta(days=days_ahead + 1)),
        moved_at=_berlin_midnight(today),
    )
    _windows[(days_back, days_ahead)] = (window, _berlin_midnight(today + timedelta(days=1)))
    return window


def _as_text(column: Column, alias: str) -> Cast:
    """A timestamp read as the text the database writes it in. Decoding 5,000 timestamps
    into datetimes took asyncpg 2.6 ms of the event loop per 1,000-session rebuild; text
    costs a fifth of that and is parsed (`as_utc`, cached) only for entries that are
    rendered, in the rebuild's worker thread. SQLite stores timestamps as text anyway."""
    return Cast(column, Varchar(), alias=alias)


def _in_window(window: Window) -> Combinable:
    condition: Combinable = (Session.ends_at > window.starts) & (Session.starts_at < window.ends)
    return condition


class SessionRow(msgspec.Struct, frozen=True):
    """One session with its run (cohort) and programme, as every calendar feed reads it:
    what the feeds' modules (scopes, content, cache, render helper) hand each other.

    Timestamps are the text the database writes them in (see `_as_text`); SQLite hands
    back `programme_is_public` as 0/1. Frozen and hashable: an entry's cache key is its row.
    The fields are named and ordered like the columns of `FeedScope.data_query`."""

    id: int
    sequence: int
    status: str
    starts_at: str
    ends_at: str
    location: str
    theme: str | None
    cancel_reason: str
    public_cancel_note: str
    substitute: int | None
    updated_at: str
    cohort_id: int
    cohort_title: str
    cohort_location: str
    cohort_language: str
    cohort_status: str
    cohort_capacity: int | None
    cohort_updated_at: str
    programme_id: int
    programme_kind: str
    programme_title: str
    programme_title_en: str
    programme_status: str
    programme_is_public: bool
    programme_updated_at: str
    #: Titles in further languages, as stored (JSON; `catalogue/translations.py`).
    programme_translations: str = "{}"
    cohort_translations: str = "{}"
    # the session's place and the run's (`catalogue.places`; None: none, or free text only)
    place_name: str | None = None
    place_street: str | None = None
    place_postcode: str | None = None
    place_town: str | None = None
    place_latitude: float | None = None
    place_longitude: float | None = None
    cohort_place_name: str | None = None
    cohort_place_street: str | None = None
    cohort_place_postcode: str | None = None
    cohort_place_town: str | None = None
    cohort_place_latitude: float | None = None
    cohort_place_longitude: float | None = None


_ROW_FIELDS: Final = SessionRow.__struct_fields__
#: Rows converted in a worker thread from this many on (~1-2 µs each), off the event loop.
_CONVERT_IN_THREAD: Final = 200


def _session_rows(rows: Sequence[Mapping[str, Any]]) -> list[SessionRow]:
    """The data query's rows as `SessionRow`s (by position once the names are checked)."""
    if not rows or tuple(rows[0].keys()) != _ROW_FIELDS:
        return [SessionRow(**row) for row in rows]  # a mismatch fails loudly here
    return [SessionRow(*row.values()) for row in rows]


class Titles(msgspec.Struct, frozen=True):
    """A programme's titles, for a feed's name."""

    title: str
    title_en: str
    translations: str = "{}"


@dataclass(frozen=True)
class Account:
    """The owner of a private feed, as the fingerprint query found them."""

    id: int
    role: str
    kita_id: int | None
    reminder_minutes: int | None = None  # the feed's reminder (`FeedToken`)


@dataclass(frozen=True)
class Fingerprint:
    """What a cached feed was built from; equal fingerprints mean equal data."""

    values: tuple[Any, ...]
    newest: datetime | None  # the newest updated_at among them
    account: Account | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Fingerprint:
        names = set(row.keys())  # asyncpg records: `in` would look at the values
        stamps = [as_utc(row[name]) for name in _STAMPS if name in names]
        account = None
        if "account_id" in names:
            kita = row["account_kita"]
            account = Account(
                id=int(row["account_id"]),
                role=str(row["account_role"]),
                kita_id=int(kita) if kita is not None else None,
                reminder_minutes=(
                    int(row["account_reminder"]) if row["account_reminder"] is not None else None
                ),
            )
        return cls(
            values=tuple(row.values()),
            newest=max((s for s in stamps if s is not None), default=None),
            account=account,
        )


class FeedScope:
    """What one feed covers: `where()` over sessions, the fingerprint query that validates
    it (shared by every scope with the same `check_key`), and its date window."""

    #: Which runs the feed may show (the publication rule of its audience).
    shown: Shown = PUBLIC_FEED
    check_key: tuple[Any, ...] = CATALOGUE_CHECK

    def __init__(self, key: tuple[Any, ...], window: Window | None) -> None:
        self.key = key
        self.window = window

    def where(self) -> Combinable:
        raise NotImplementedError

    async def fingerprint(self) -> Fingerprint | None:
        """The current fingerprint; None when the feed cannot exist (a bad token)."""
        rows = await self._fresh_query().rows()
        return self._fingerprint(rows)

    def fingerprint_inline(self) -> Fingerprint | NotInline | None:
        """The same, read synchronously when the engine allows it (SQLite)."""
        rows = self._fresh_query().rows_inline()
        return NOT_INLINE if rows is None else self._fingerprint(rows)

    def _fresh_query(self) -> FreshQuery:
        return _catalogue()

    def _fingerprint(self, rows: list[Mapping[str, Any]]) -> Fingerprint | None:
        return Fingerprint.of(rows[0])

    def last_modified(self, *stamps: datetime | None) -> datetime | None:
        """The newest of `stamps` (the feed's own changes, see `newest_change`) and the
        midnight at which the window last moved."""
        every = [*stamps, self.window.moved_at if self.window else None]
        return max((s for s in every if s is not None), default=None)

    async def newest_change(self) -> datetime | None:
        """The newest `updated_at` of the sessions this feed covers and of their runs and
        programmes, whether the publication rule shows them or not (one aggregate query,
        run only when the feed is rebuilt).

        Per feed, so that a change elsewhere leaves this feed's Last-Modified alone (its
        ETag too: its bytes do not change). The rows the rule hides count as well: a run
        or programme taken offline leaves the feed, and its stamp, newer than anything the
        feed's client holds, moves Last-Modified forward, so If-Modified-Since never
        answers 304 to a client holding the run."""
        row = await (
            Session.select(
                Max(Session.updated_at, alias="session_at"),
                Max(_COHORT.updated_at, alias="cohort_at"),
                Max(_PROGRAMME.updated_at, alias="programme_at"),
            )
            .where(self.where())
            .first()
        )
        if row is None:
            return None
        stamps = [as_utc(value) for value in row.values()]
        return max((s for s in stamps if s is not None), default=None)

    @property
    def data_key(self) -> tuple[Any, ...]:
        """What the data query depends on."""
        return self.key

    async def rows(self) -> list[SessionRow]:
        """The rows of the feed (one query, joined, ordered: no N+1). Timestamps come as
        text (see `_as_text`), booleans may come as SQLite stores them (`db.FreshQuery`).
        The compiled query is kept per feed: building and compiling it cost ~6 ms, as much
        as running it."""
        prepared = _prepared_reads.get(self.data_key)
        if prepared is None:
            prepared = FreshQuery(self.data_query(), bulk=True)
            _prepared_reads[self.data_key] = prepared
            while len(_prepared_reads) > MAX_PREPARED_READS:
                _prepared_reads.pop(next(iter(_prepared_reads)))
        rows = await prepared.rows()
        if len(rows) >= _CONVERT_IN_THREAD:
            return await anyio.to_thread.run_sync(_session_rows, rows)
        return _session_rows(rows)

    def data_query(self) -> Any:
        return (
            Session.select(
                Session.id,
                Session.sequence,
                Session.status,
                _as_text(Session.starts_at, "starts_at"),
                _as_text(Session.ends_at, "ends_at"),
                Session.location,
                Session.theme,
                Session.cancel_reason,
                Session.public_cancel_note,
                Session.substitute,
                _as_text(Session.updated_at, "updated_at"),
                _COHORT.id.as_alias("cohort_id"),
                _COHORT.title.as_alias("cohort_title"),
                _COHORT.location.as_alias("cohort_location"),
                _COHORT.language.as_alias("cohort_language"),
                _COHORT.status.as_alias("cohort_status"),
                _COHORT.capacity.as_alias("cohort_capacity"),
                _as_text(_COHORT.updated_at, "cohort_updated_at"),
                _PROGRAMME.id.as_alias("programme_id"),
                _PROGRAMME.kind.as_alias("programme_kind"),
                _PROGRAMME.title.as_alias("programme_title"),
                _PROGRAMME.title_en.as_alias("programme_title_en"),
                _PROGRAMME.status.as_alias("programme_status"),
                _PROGRAMME.is_public.as_alias("programme_is_public"),
                _as_text(_PROGRAMME.updated_at, "programme_updated_at"),
                _PROGRAMME.translations.as_alias("programme_translations"),
                _COHORT.translations.as_alias("cohort_translations"),
                _SESSION_PLACE.name.as_alias("place_name"),
                _SESSION_PLACE.street.as_alias("place_street"),
                _SESSION_PLACE.postcode.as_alias("place_postcode"),
                _SESSION_PLACE.town.as_alias("place_town"),
                _SESSION_PLACE.latitude.as_alias("place_latitude"),
                _SESSION_PLACE.longitude.as_alias("place_longitude"),
                _COHORT.place.name.as_alias("cohort_place_name"),
                _COHORT.place.street.as_alias("cohort_place_street"),
                _COHORT.place.postcode.as_alias("cohort_place_postcode"),
                _COHORT.place.town.as_alias("cohort_place_town"),
                _COHORT.place.latitude.as_alias("cohort_place_latitude"),
                _COHORT.place.longitude.as_alias("cohort_place_longitude"),
            )
            .where(self.where() & self.shown.where(_COHORT))
            .order_by(Session.starts_at, Session.id)
        )


class PublicScope(FeedScope):
    """All public trainings and info events (or one kind) in the window."""

    def __init__(self, kind: str | None, window: Window) -> None:
        super().__init__(("public", kind, window), window)
        self.kind = kind

    def where(self) -> Combinable:
        assert self.window is not None
        condition: Combinable = _in_window(self.window)
        if self.kind:  # else every public kind (the rule admits no other)
            condition = condition & (_PROGRAMME.kind == self.kind)
        return condition


class ProgrammeScope(FeedScope):
    """One public programme in the window."""

    def __init__(self, programme_id: int, window: Window) -> None:
        super().__init__(("programme", programme_id, window), window)
        self.programme_id = programme_id

    def where(self) -> Combinable:
        assert self.window is not None
        condition: Combinable = _in_window(self.window) & (_PROGRAMME.id == self.programme_id)
        return condition

    async def titles(self) -> Titles | None:
        """The programme's titles while its own feed exists (public, published or
        cancelled: `PUBLIC_FEED.shows_programme`); else None."""
        row = await (
            Programme.select(Programme.title, Programme.title_en, Programme.translations)
            .where((Programme.id == self.programme_id) & self.shown.where_programme(Programme))
            .first()
        )
        return Titles(**row) if row else None


class RunScope(FeedScope):
    """Every date of one run (a cohort), without a window: of a listed run (the event's
    "add to calendar" file), or with `shown=ENROLLED` of any run (the file a Rucksack
    family's confirmation mail carries)."""

    def __init__(self, cohort_id: int, *, shown: Shown = LISTED) -> None:
        super().__init__(("run", cohort_id, shown.name), None)
        self.cohort_id = cohort_id
        self.shown = shown

    def where(self) -> Combinable:
        condition: Combinable = _COHORT.id == self.cohort_id
        return condition

    async def titles(self) -> Titles | None:
        """The run's programme titles when the rule shows the run; else None."""
        programme: Any = Cohort.programme
        row = await (
            Cohort.select(
                programme.title.as_alias("title"),
                programme.title_en.as_alias("title_en"),
                programme.translations.as_alias("translations"),
            )
            .where((Cohort.id == self.cohort_id) & self.shown.where(Cohort))
            .first()
        )
        return Titles(**row) if row else None


class PrivateScope(FeedScope):
    """A person's own sessions, found through their feed token's hash.

    Coordinators see everything; others the cohorts of their KiTa (partners), the cohorts
    they lead (CohortTrainer) and the sessions where they are the substitute. Internal
    programmes (Rucksack KiTa) are included.
    """

    shown = PRIVATE_FEED

    def __init__(self, token_hash: str, window: Window) -> None:
        super().__init__(("private", token_hash, window), window)
        self.check_key = ("private", token_hash)
        self.token_hash = token_hash
        self.account: Account | None = None
        self._query = FreshQuery(
            Session.raw(
                _PRIVATE_SQL,
                RegistrationStatus.waiting.value,
                RegistrationStatus.confirmed.value,
                token_hash,
                True,
            )
        )

    def _fresh_query(self) -> FreshQuery:
        return self._query

    @property
    def data_key(self) -> tuple[Any, ...]:
        return (*self.key, self.account)

    def _fingerprint(self, rows: list[Mapping[str, Any]]) -> Fingerprint | None:
        return Fingerprint.of(rows[0]) if rows else None

    def where(self) -> Combinable:
        assert self.window is not None
        assert self.account is not None
        account = self.account
        condition: Combinable = _in_window(self.window)
        if account.role == Role.coordinator.value:
            return condition
        mine: Combinable = _COHORT.id.is_in(
            CohortTrainer.select(CohortTrainer.cohort).where(CohortTrainer.trainer == account.id)
        ) | (Session.substitute == account.id)
        if account.kita_id is not None:
            mine = mine | (_COHORT.kita == account.kita_id)
        return condition & mine


__all__ = [
    "Account",
    "FeedScope",
    "Fingerprint",
    "PrivateScope",
    "ProgrammeScope",
    "PublicScope",
    "RunScope",
    "SessionRow",
    "Titles",
    "Window",
    "feed_window",
]
