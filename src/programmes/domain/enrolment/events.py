"""What the public sees of a run: title, description, dates, place and how many places are
free. Never a name, never a count per KiTa; only listed runs (`publication.LISTED`).

`PublicRun` is the run as the enrolment modules hand it to each other (the event page, the
registration, its mail); `EventView` is what the page and the API show of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from programmes.db import fetch
from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.publication import (
    LISTED,
    RegistrationState,
    is_cancelled,
    registration_state,
)
from programmes.domain.catalogue.translations import Localised
from programmes.domain.enrolment.seats import Availability, availability
from programmes.domain.errors import N_, NotFound
from programmes.vocabulary import SessionStatus


class RunDate(msgspec.Struct, frozen=True):
    """One date of a run. `cancelled`: this date does not take place."""

    session_id: int
    starts_at: datetime
    ends_at: datetime
    location: str  # the session's own place ("" when it meets at the run's)
    cancelled: bool


class PublicRun(msgspec.Struct, frozen=True):
    """A listed run with its publication facts (`publication.RunFacts`) and all its dates
    in order."""

    cohort_id: int
    programme_id: int
    cohort_status: str
    programme_status: str
    programme_kind: str
    programme_is_public: bool
    title: str  # the run's title
    title_en: str  # the programme's English title
    summary: str
    summary_en: str
    audience: str
    cost: str
    location: str
    language: str
    capacity: int | None
    seats_taken: int
    max_seats_per_registration: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    dates: list[RunDate]
    programme_title: str = ""
    #: The run's own titles and the programme's texts in other languages (parsed).
    translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)
    programme_translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return is_cancelled(self.cohort_status, self.programme_status)

    def titles(self) -> dict[str, str]:
        """The run's title in each language it has (`translations.run_variants`)."""
        return texts.run_variants(
            self.title,
            self.translations,
            self.programme_title,
            texts.programme_variants(self.title_en, self.programme_translations, "title"),
        )

    def summaries(self) -> dict[str, str]:
        return texts.programme_variants(self.summary_en, self.programme_translations, "summary")

    @property
    def free_places(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    def availability(self, now: datetime) -> Availability:
        return availability(
            self.capacity,
            self.seats_taken,
            taking_registrations=self.registration_state(now) is RegistrationState.open,
        )

    def registration_state(self, now: datetime) -> RegistrationState:
        return registration_state(
            self,
            opens_at=self.registration_opens_at,
            closes_at=self.registration_closes_at,
            dates=self.dates,
            now=now,
        )


class EventView(msgspec.Struct, frozen=True):
    """A listed run as the event page and the API show it."""

    id: int
    programme_id: int
    kind: str
    title: str
    title_en: str
    summary: str
    summary_en: str
    location: str
    language: str
    capacity: int | None
    free_places: int | None
    max_seats_per_registration: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    cancelled: bool
    dates: list[RunDate]
    audience: str = ""  # whom it is for, in the coordinator's words ("" : not said)
    cost: str = ""  # what it costs ("" : not said)
    #: Title and description in the other languages that have them: {"tr": {"title": …}}.
    translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)

    def title_in(self, language: str) -> Localised:
        """The title in `language`, else in German (`Localised.lang` says which)."""
        return texts.pick(self.title, _field(self.translations, "title"), language)

    def summary_in(self, language: str) -> Localised:
        return texts.pick(self.summary, _field(self.translations, "summary"), language)

    @property
    def first_starts_at(self) -> datetime | None:
        return self.dates[0].starts_at if self.dates else None

    @classmethod
    def of(cls, run: PublicRun) -> EventView:
        return cls(
            id=run.cohort_id,
            programme_id=run.programme_id,
            kind=run.programme_kind,
            title=run.title,
            title_en=run.title_en,
            summary=run.summary,
            summary_en=run.summary_en,
            audience=run.audience,
            cost=run.cost,
            location=run.location,
            language=run.language,
            capacity=run.capacity,
            free_places=run.free_places,
            max_seats_per_registration=run.max_seats_per_registration,
            registration_opens_at=run.registration_opens_at,
            registration_closes_at=run.registration_closes_at,
            cancelled=run.cancelled,
            dates=run.dates,
            translations=_by_language(titles=run.titles(), summaries=run.summaries()),
        )


def _by_language(*, titles: dict[str, str], summaries: dict[str, str]) -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for field, variants in (("title", titles), ("summary", summaries)):
        for language, text in variants.items():
            merged.setdefault(language, {})[field] = text
    return merged


def _field(translations: dict[str, dict[str, str]], field: str) -> dict[str, str]:
    return {code: t[field] for code, t in translations.items() if field in t}


class EventPage(msgspec.Struct, frozen=True):
    """The event page: the event, and whether (and how) one can register now: "open",
    "full" (open, for the waiting list), "not_yet", "closed" or "cancelled"."""

    event: EventView
    state: str
    availability: str  # `seats.Availability`


#: One row per run: its publication facts and what the public sees. Plain SQL: this runs
#: before every registration, where building the query with Piccolo cost ~2 ms of CPU.
_RUNS_SQL = (
    "SELECT c.id AS cohort_id, c.programme AS programme_id, c.status AS cohort_status, "
    "p.status AS programme_status, p.kind AS programme_kind, "
    "p.is_public AS programme_is_public, c.title, p.title_en, p.summary, p.summary_en, "
    "p.audience, p.cost, "
    "p.title AS programme_title, c.translations, p.translations AS programme_translations, "
    "c.location, c.language, c.capacity, c.seats_taken, c.max_seats_per_registration, "
    "c.registration_opens_at, c.registration_closes_at "
    "FROM cohort c JOIN programme p ON p.id = c.programme WHERE "
)
_LISTED_SQL, _LISTED_VALUES = LISTED.sql(run="c", programme="p")


async def public_run(cohort_id: int) -> PublicRun:
    """The listed run with all its dates (two queries); else NotFound."""
    rows = await fetch(
        f"{_RUNS_SQL}c.id = {{}} AND {_LISTED_SQL}",
        cohort_id,
        *_LISTED_VALUES,
    )
    if not rows:
        raise NotFound(N_("There is no event with number %(id)s."), field="cohort", id=cohort_id)
    return (await _runs(rows))[0]


async def public_event(cohort_id: int) -> EventView:
    return EventView.of(await public_run(cohort_id))


async def event_page(cohort_id: int, *, now: datetime) -> EventPage:
    """The event and its registration state at `now`; NotFound unless listed."""
    run = await public_run(cohort_id)
    return EventPage(
        event=EventView.of(run), state=page_state(run, now), availability=run.availability(now)
    )


def page_state(run: PublicRun, now: datetime) -> str:
    """The registration state as the page words it: a full run is "full" (its waiting list
    is open), a run whose dates are all over is "closed"."""
    state = run.registration_state(now)
    if state is RegistrationState.open and run.free_places == 0:
        return "full"
    if state is RegistrationState.over:
        return RegistrationState.closed.value
    return state.value


async def upcoming_events(*, now: datetime, limit: int = 200) -> list[EventView]:
    """Listed runs with a date from today on, soonest first (two queries in all)."""
    rows = await fetch(
        f"{_RUNS_SQL}{_LISTED_SQL} AND c.id IN "  # noqa: S608 (constants; values bound)
        "(SELECT cohort FROM cohort_session WHERE ends_at > {})",
        *_LISTED_VALUES,
        now,
    )
    views = [EventView.of(run) for run in await _runs(rows)]
    views.sort(key=lambda v: v.first_starts_at or now)
    return views[:limit]


async def run_dates(cohort_ids: Iterable[int]) -> dict[int, list[RunDate]]:
    """Every date of each run, in order (one query)."""
    dates: dict[int, list[RunDate]] = {cohort_id: [] for cohort_id in cohort_ids}
    if not dates:
        return dates
    marks = ", ".join("{}" for _ in dates)
    for s in await fetch(
        "SELECT id, cohort, starts_at, ends_at, location, status "  # noqa: S608 (placeholders)
        f"FROM cohort_session WHERE cohort IN ({marks}) ORDER BY starts_at, id",
        *dates,
    ):
        dates[s["cohort"]].append(
            RunDate(
                session_id=s["id"],
                starts_at=s["starts_at"],
                ends_at=s["ends_at"],
                location=s["location"],
                cancelled=s["status"] == SessionStatus.cancelled.value,
            )
        )
    return dates


async def _runs(rows: list[dict[str, Any]]) -> list[PublicRun]:
    dates = await run_dates(row["cohort_id"] for row in rows)
    return [
        PublicRun(
            **{
                **row,
                "programme_is_public": bool(row["programme_is_public"]),
                "translations": texts.parse(row["translations"]),
                "programme_translations": texts.parse(row["programme_translations"]),
            },
            dates=dates[row["cohort_id"]],
        )
        for row in rows
    ]
