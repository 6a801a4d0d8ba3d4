"""What the public sees of a run: title, description, dates, place and how many places are
free. Never a name, never a count per KiTa; only published runs of published public
programmes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from programmes.domain.enrolment.registrations import PUBLIC_KINDS
from programmes.domain.errors import N_, NotFound
from programmes.tables import Cohort, Session
from programmes.vocabulary import PublicationStatus, SessionStatus


class DateView(msgspec.Struct, frozen=True):
    session_id: int
    starts_at: datetime
    ends_at: datetime
    location: str
    cancelled: bool


class EventView(msgspec.Struct, frozen=True):
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
    dates: list[DateView]

    @property
    def first_starts_at(self) -> datetime | None:
        return self.dates[0].starts_at if self.dates else None

    def registration_state(self, now: datetime) -> str:
        """ "open", "full" (waiting list), "not_yet", "closed" or "cancelled"."""
        if self.cancelled:
            return "cancelled"
        if self.registration_opens_at and now < self.registration_opens_at:
            return "not_yet"
        upcoming = any(not d.cancelled and d.starts_at > now for d in self.dates)
        if not upcoming or (self.registration_closes_at and now >= self.registration_closes_at):
            return "closed"
        return "full" if self.free_places == 0 else "open"


_COLUMNS = (
    Cohort.id,
    Cohort.programme,
    Cohort.title,
    Cohort.location,
    Cohort.language,
    Cohort.capacity,
    Cohort.seats_taken,
    Cohort.max_seats_per_registration,
    Cohort.registration_opens_at,
    Cohort.registration_closes_at,
    Cohort.status,
    Cohort.programme.kind.as_alias("kind"),
    Cohort.programme.title_en.as_alias("title_en"),
    Cohort.programme.summary.as_alias("summary"),
    Cohort.programme.summary_en.as_alias("summary_en"),
)


def _public() -> Any:
    return (
        Cohort.status.is_in([PublicationStatus.published.value, PublicationStatus.cancelled.value])
        & (Cohort.programme.is_public == True)  # noqa: E712 (SQL comparison)
        & (Cohort.programme.status == PublicationStatus.published.value)
        & Cohort.programme.kind.is_in(list(PUBLIC_KINDS))
    )


async def public_event(cohort_id: int) -> EventView:
    rows = await Cohort.select(*_COLUMNS).where((Cohort.id == cohort_id) & _public())
    if not rows:
        raise NotFound(N_("There is no event with number %(id)s."), field="cohort", id=cohort_id)
    return (await _views(rows))[0]


async def upcoming_events(*, now: datetime, limit: int = 200) -> list[EventView]:
    """Public runs with a date from today on, soonest first (two queries in all)."""
    upcoming = Session.select(Session.cohort).where(Session.ends_at > now)
    rows = await Cohort.select(*_COLUMNS).where(_public() & Cohort.id.is_in(upcoming))
    views = await _views(rows)
    views.sort(key=lambda v: v.first_starts_at or now)
    return views[:limit]


async def _views(rows: list[dict[str, Any]]) -> list[EventView]:
    ids = [r["id"] for r in rows]
    dates: dict[int, list[DateView]] = {i: [] for i in ids}
    if ids:
        for s in (
            await Session.select(
                Session.id,
                Session.cohort,
                Session.starts_at,
                Session.ends_at,
                Session.location,
                Session.status,
            )
            .where(Session.cohort.is_in(ids))
            .order_by(Session.starts_at)
        ):
            dates[s["cohort"]].append(
                DateView(
                    s["id"],
                    s["starts_at"],
                    s["ends_at"],
                    s["location"],
                    s["status"] == SessionStatus.cancelled.value,
                )
            )
    return [
        EventView(
            id=r["id"],
            programme_id=r["programme"],
            kind=r["kind"],
            title=r["title"],
            title_en=r["title_en"],
            summary=r["summary"],
            summary_en=r["summary_en"],
            location=r["location"],
            language=r["language"],
            capacity=r["capacity"],
            free_places=None if r["capacity"] is None else max(0, r["capacity"] - r["seats_taken"]),
            max_seats_per_registration=r["max_seats_per_registration"],
            registration_opens_at=r["registration_opens_at"],
            registration_closes_at=r["registration_closes_at"],
            cancelled=r["status"] == PublicationStatus.cancelled.value,
            dates=dates[r["id"]],
        )
        for r in rows
    ]
