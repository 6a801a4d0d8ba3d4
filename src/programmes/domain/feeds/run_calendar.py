"""The "add to calendar" file of one run: all its dates as iCalendar bytes (also attached
to confirmation mails).

`run_rows` reads a run in two queries; `calendar_bytes` renders it, cached per version of
the run (its sessions' ids, sequences and times of change, and the titles' times of
change), because icalendar is slow and a run changes rarely while people register.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from programmes.db import fetch
from programmes.domain.errors import N_, NotFound
from programmes.ical import FeedEvent, render_feed
from programmes.vocabulary import ProgrammeKind, SessionStatus

CATEGORY = {
    ProgrammeKind.rucksack.value: "Rucksack KiTa",
    ProgrammeKind.training.value: "Training",
    ProgrammeKind.info_event.value: "Infoveranstaltung",
}
_CACHE_SIZE = 256
_cache: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


async def run_rows(cohort_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run (with its programme's kind and status) and all its sessions, in order."""
    cohorts = await fetch(
        "SELECT c.id, c.title, c.status, c.updated_at, c.max_seats_per_registration, "
        "c.registration_opens_at, c.registration_closes_at, p.kind AS kind, "
        "p.is_public AS is_public, p.status AS programme_status, "
        "p.updated_at AS programme_updated_at "
        "FROM cohort c JOIN programme p ON p.id = c.programme WHERE c.id = {}",
        cohort_id,
    )
    if not cohorts:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    sessions = await fetch(
        "SELECT id, sequence, status, starts_at, ends_at, location, theme, cancel_reason, "
        "updated_at FROM cohort_session WHERE cohort = {} ORDER BY starts_at",
        cohort_id,
    )
    return _typed(cohorts[0]), [_typed(s) for s in sessions]


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands back a column computed through a join alias as its stored text; make
    times aware datetimes and flags booleans, as the PostgreSQL driver does."""
    for key, value in row.items():
        if isinstance(value, str) and key.endswith(("_at", "updated_at")):
            row[key] = _aware(value)
    if "is_public" in row and not isinstance(row["is_public"], bool):
        row["is_public"] = bool(int(row["is_public"]))
    return row


def _aware(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def calendar_bytes(
    cohort: dict[str, Any], sessions: list[dict[str, Any]], *, base_url: str
) -> bytes:
    key = (
        base_url,
        cohort["id"],
        cohort["title"],
        cohort["updated_at"],
        cohort["programme_updated_at"],
        tuple((s["id"], s["sequence"], s["updated_at"]) for s in sessions),
    )
    cached = _cache.get(key)
    if cached is not None:
        _cache.move_to_end(key)
        return cached
    body = _render(cohort, sessions, base_url=base_url)
    _cache[key] = body
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return body


def _render(cohort: dict[str, Any], sessions: list[dict[str, Any]], *, base_url: str) -> bytes:
    host = urlsplit(base_url).hostname or "localhost"
    touched: datetime = max(cohort["updated_at"], cohort["programme_updated_at"])
    events = [
        FeedEvent(
            session_id=row["id"],
            sequence=row["sequence"],
            cancelled=row["status"] == SessionStatus.cancelled.value,
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            updated_at=max(row["updated_at"], touched),
            summary=cohort["title"],
            location=row["location"],
            description=(row["theme"] or "")
            + (f"\nAbgesagt: {row['cancel_reason']}" if row["cancel_reason"] else ""),
            url=f"{base_url}/events/{cohort['id']}",
            category=CATEGORY.get(cohort["kind"], "Programm"),
        )
        for row in sessions
    ]
    return render_feed(name=cohort["title"], events=events, host=host)


async def run_calendar(cohort_id: int, *, base_url: str) -> bytes:
    cohort, sessions = await run_rows(cohort_id)
    return calendar_bytes(cohort, sessions, base_url=base_url)
