"""The public listing: upcoming runs of public trainings and info events.

One query (sessions joined with run and programme), grouped here by run. Only listed runs
(`publication.LISTED`) and only what the public may see: titles, dates, places, the run's
language; no person and no count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.publication import LISTED, is_cancelled
from programmes.domain.catalogue.translations import Localised
from programmes.domain.enrolment.events import RunDate
from programmes.tables import Session
from programmes.vocabulary import SessionStatus

MAX_SESSIONS = 5000

_COHORT: Any = Session.cohort
_PROGRAMME: Any = Session.cohort.programme


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
    #: From now on; a date is cancelled when it or its whole run is.
    dates: list[RunDate] = field(default_factory=list)


@dataclass(frozen=True)
class ListedProgramme:
    programme_id: int
    kind: str
    title: str


async def list_upcoming_runs(
    *, language: str, now: datetime, limit: int = 200
) -> list[UpcomingRun]:
    """Runs with a date that has not ended yet, soonest first; their dates from now on."""
    rows = (
        await Session.select(
            Session.id,
            Session.starts_at,
            Session.ends_at,
            Session.status,
            Session.location,
            _COHORT.id.as_alias("cohort_id"),
            _COHORT.title.as_alias("cohort_title"),
            _COHORT.location.as_alias("cohort_location"),
            _COHORT.language.as_alias("cohort_language"),
            _COHORT.status.as_alias("cohort_status"),
            _PROGRAMME.id.as_alias("programme_id"),
            _PROGRAMME.kind.as_alias("programme_kind"),
            _PROGRAMME.title.as_alias("programme_title"),
            _PROGRAMME.title_en.as_alias("programme_title_en"),
            _PROGRAMME.translations.as_alias("programme_translations"),
            _COHORT.translations.as_alias("cohort_translations"),
            _PROGRAMME.status.as_alias("programme_status"),
        )
        .where((Session.ends_at > now) & LISTED.where(_COHORT))
        .order_by(Session.starts_at, Session.id)
        .limit(MAX_SESSIONS)
    )
    runs: dict[int, UpcomingRun] = {}
    for row in rows:
        cohort_id = int(row["cohort_id"])
        run = runs.get(cohort_id)
        if run is None:
            if len(runs) >= limit:
                continue
            title, run_title = _titles(row, language)
            run = runs[cohort_id] = UpcomingRun(
                cohort_id=cohort_id,
                programme_id=int(row["programme_id"]),
                kind=str(row["programme_kind"]),
                title=title,
                run_title=run_title,
                location=str(row["cohort_location"] or ""),
                language=str(row["cohort_language"] or ""),
                cancelled=is_cancelled(row["cohort_status"], row["programme_status"]),
            )
        run.dates.append(
            RunDate(
                session_id=row["id"],
                starts_at=row["starts_at"],
                ends_at=row["ends_at"],
                location=str(row["location"] or ""),
                cancelled=run.cancelled or row["status"] == SessionStatus.cancelled.value,
            )
        )
    return list(runs.values())


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
