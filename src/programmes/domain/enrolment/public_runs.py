"""The public listing (the start page): upcoming runs of public trainings and info events.

Two queries (the listed runs with a date ahead, then their dates), filtered and paged here;
`listing_cache` keeps what they read while it holds.
Only listed runs (`publication.LISTED`) and only what the public may see: titles, dates,
places, the run's language, and its free places in words (`seats.availability`: "few",
"waiting list" ...); no person, no count per KiTa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from programmes.clock import BERLIN
from programmes.db import fetch
from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.publication import (
    LISTED,
    PUBLIC_KINDS,
    RegistrationState,
    is_cancelled,
    registration_state,
)
from programmes.domain.catalogue.translations import Localised
from programmes.domain.enrolment.events import RunDate, run_dates
from programmes.domain.enrolment.seats import Availability, availability
from programmes.domain.errors import N_, InvalidParameter, NotFound
from programmes.domain.types import EARLIEST_YEAR, LATEST_YEAR

#: Runs on one page of the listing; `page=2` shows the next ones.
PAGE_SIZE = 50
#: The kinds the listing can be filtered by (`?kind=`).
KINDS = tuple(kind.value for kind in PUBLIC_KINDS)


@dataclass
class UpcomingRun:
    cohort_id: int
    programme_id: int
    kind: str
    #: The programme's title in the page's language, else in German.
    title: Localised
    #: The run's own title (in the language, else German); empty when the run is named
    #: like its programme.
    run_title: Localised | None
    location: str
    language: str
    cancelled: bool
    #: "open", "not_yet", "closed", "cancelled" (`RegistrationState`; "over" never: a
    #: listed run here has a date ahead, but it may be cancelled)
    state: str
    availability: Availability
    registration_opens_at: datetime | None
    #: From now on; a date is cancelled when it or its whole run is.
    dates: list[RunDate] = field(default_factory=list)


@dataclass(frozen=True)
class Upcoming:
    """The runs of the listing as read at `read_at`, and the first moment after it at which
    time alone changes them (a date starts or ends, registration opens or closes; None:
    none lies ahead). Between the two, only a change to the data changes them."""

    runs: list[UpcomingRun]
    read_at: datetime
    until: datetime | None

    def holds_at(self, now: datetime) -> bool:
        return self.read_at <= now and (self.until is None or now < self.until)


@dataclass(frozen=True)
class ListedProgramme:
    programme_id: int
    kind: str
    title: str


@dataclass(frozen=True)
class Listing:
    """One page of the start page: its runs, where it stands among all pages, and every
    programme with a run ahead (for the subscription links, whatever the filter)."""

    runs: list[UpcomingRun]
    page: int
    pages: int
    total: int
    programmes: list[ListedProgramme]
    #: The months (their first days) with a date ahead, for the month filter.
    months: list[date]


@dataclass(frozen=True)
class _Facts:
    """What the publication rule reads of a run (`publication.RunFacts`)."""

    cohort_id: int
    cohort_status: str
    programme_status: str
    programme_kind: str
    programme_is_public: bool


_LISTED_SQL, _LISTED_VALUES = LISTED.sql(run="c", programme="p")
_UPCOMING_SQL = (
    "SELECT c.id AS cohort_id, c.programme AS programme_id, c.status AS cohort_status, "  # noqa: S608 (constants; values bound)
    "p.status AS programme_status, p.kind AS programme_kind, "
    "p.is_public AS programme_is_public, c.title AS cohort_title, "
    "p.title AS programme_title, p.title_en AS programme_title_en, "
    "c.translations AS cohort_translations, p.translations AS programme_translations, "
    "c.location, c.language, c.capacity, c.seats_taken, "
    "c.registration_opens_at, c.registration_closes_at "
    f"FROM cohort c JOIN programme p ON p.id = c.programme WHERE {_LISTED_SQL} "
    "AND c.id IN (SELECT cohort FROM cohort_session WHERE ends_at > {})"
)


def parse_month(raw: str | None) -> date | None:
    """`?month=2027-03` as the first day of that month; blank: no filter; anything else
    (`2027-13`, `abc`, a year outside 2000 to 2100) an `InvalidParameter` naming it."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    year, dash, month = text.partition("-")
    if not (dash and len(year) == 4 and len(month) == 2 and (year + month).isdigit()):
        raise InvalidParameter(N_("Please give the month like 2027-03."), field="month")
    if not (1 <= int(month) <= 12 and EARLIEST_YEAR <= int(year) <= LATEST_YEAR):
        raise InvalidParameter(N_("Please give the month like 2027-03."), field="month")
    return date(int(year), int(month), 1)


def parse_kind(raw: str | None) -> str | None:
    """`?kind=training` or `info_event`; blank: every kind; else `InvalidParameter`."""
    if raw is None or not raw.strip():
        return None
    if raw.strip() not in KINDS:
        raise InvalidParameter(N_("Please choose trainings or info events."), field="kind")
    return raw.strip()


def listing(
    upcoming: Upcoming,
    *,
    kind: str | None = None,
    month: date | None = None,
    page: int = 1,
) -> Listing:
    """The runs with a date ahead, soonest first, of one `kind` and with a date in `month`
    (Berlin time) when given, `PAGE_SIZE` to a page. A page past the last is NotFound (the
    first page always exists, if empty)."""
    runs = upcoming.runs
    programmes = listed_programmes(runs)
    chosen = [
        run
        for run in runs
        if (kind is None or run.kind == kind) and (month is None or _has_date_in(run, month))
    ]
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    if page > pages:
        raise NotFound(N_("There is no page %(page)s."), field="page", page=page)
    start = (page - 1) * PAGE_SIZE
    return Listing(
        runs=chosen[start : start + PAGE_SIZE],
        page=page,
        pages=pages,
        total=len(chosen),
        programmes=programmes,
        months=sorted(
            {
                date(starts.year, starts.month, 1)
                for run in runs
                for starts in (d.starts_at.astimezone(BERLIN) for d in run.dates)
            }
        ),
    )


def _has_date_in(run: UpcomingRun, month: date) -> bool:
    for day in run.dates:
        starts = day.starts_at.astimezone(BERLIN)
        if (starts.year, starts.month) == (month.year, month.month):
            return True
    return False


async def upcoming_runs(*, language: str, now: datetime) -> Upcoming:
    """Listed runs with a date that has not ended yet, soonest first; their dates from now
    on (two queries)."""
    rows = await fetch(_UPCOMING_SQL, *_LISTED_VALUES, now)
    dates = await run_dates(row["cohort_id"] for row in rows)
    runs = [_run(row, dates[row["cohort_id"]], language, now) for row in rows]
    runs.sort(key=lambda run: (run.dates[0].starts_at if run.dates else now, run.cohort_id))
    moments = [
        moment
        for row in rows
        for moment in (
            row["registration_opens_at"],
            row["registration_closes_at"],
            *(d.starts_at for d in dates[row["cohort_id"]]),
            *(d.ends_at for d in dates[row["cohort_id"]]),
        )
        if moment is not None and moment > now
    ]
    return Upcoming(runs=runs, read_at=now, until=min(moments, default=None))


def _run(row: dict[str, Any], dates: list[RunDate], language: str, now: datetime) -> UpcomingRun:
    facts = _Facts(
        cohort_id=row["cohort_id"],
        cohort_status=row["cohort_status"],
        programme_status=row["programme_status"],
        programme_kind=row["programme_kind"],
        programme_is_public=bool(row["programme_is_public"]),
    )
    state = registration_state(
        facts,
        opens_at=row["registration_opens_at"],
        closes_at=row["registration_closes_at"],
        dates=dates,
        now=now,
    )
    cancelled = is_cancelled(row["cohort_status"], row["programme_status"])
    title, run_title = _titles(row, language)
    return UpcomingRun(
        cohort_id=row["cohort_id"],
        programme_id=row["programme_id"],
        kind=row["programme_kind"],
        title=title,
        run_title=run_title,
        location=str(row["location"] or ""),
        language=str(row["language"] or ""),
        cancelled=cancelled,
        state=state.value,
        availability=availability(
            row["capacity"],
            row["seats_taken"],
            taking_registrations=state is RegistrationState.open,
        ),
        registration_opens_at=row["registration_opens_at"],
        dates=[
            RunDate(
                session_id=d.session_id,
                starts_at=d.starts_at,
                ends_at=d.ends_at,
                location=d.location,
                cancelled=cancelled or d.cancelled,
            )
            for d in dates
            if d.ends_at > now
        ],
    )


def _titles(row: dict[str, Any], language: str) -> tuple[Localised, Localised | None]:
    """The programme's title and the run's own one, each in `language` when it has it."""
    programme_title = str(row["programme_title"])
    programme_titles = texts.programme_variants(
        row["programme_title_en"] or "", texts.parse(row["programme_translations"]), "title"
    )
    cohort_title = str(row["cohort_title"] or "").strip()
    title = texts.pick(programme_title, programme_titles, language)
    if not cohort_title or cohort_title == programme_title.strip():
        return title, None
    run_titles = texts.run_variants(
        cohort_title, texts.parse(row["cohort_translations"]), programme_title, programme_titles
    )
    run_title = texts.pick(cohort_title, run_titles, language)
    return title, None if run_title.text == title.text else run_title


def listed_programmes(runs: list[UpcomingRun]) -> list[ListedProgramme]:
    """The programmes of the listed runs, in order of their first run, each once."""
    seen: dict[int, ListedProgramme] = {}
    for run in runs:
        seen.setdefault(
            run.programme_id,
            ListedProgramme(programme_id=run.programme_id, kind=run.kind, title=run.title.text),
        )
    return list(seen.values())
