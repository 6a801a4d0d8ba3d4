"""A trainer's day: the sessions they lead, today's and the last two weeks' first (to take
or finish attendance), then the next ones. Three queries whatever the number of sessions."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any, Final

import msgspec
from piccolo.query.functions.aggregate import Count

from programmes.clock import BERLIN
from programmes.domain.access import Staff
from programmes.domain.attendance.recording import led_by
from programmes.tables import Attendance, Registration, Session
from programmes.vocabulary import RegistrationStatus, Role

#: How far back "recent" reaches: today and the 14 days before it.
RECENT_DAYS: Final = 14
#: How many upcoming sessions the start page lists.
UPCOMING: Final = 8


class DaySession(msgspec.Struct, frozen=True):
    id: int
    cohort_id: int
    cohort_title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    theme: str | None
    status: str
    is_today: bool
    participants: int
    marked: int


class TrainerDay(msgspec.Struct, frozen=True):
    recent: list[DaySession]  # today first, then back in time
    upcoming: list[DaySession]  # soonest first


_COLUMNS = (
    Session.id,
    Session.cohort,
    Session.cohort.title.as_alias("cohort_title"),
    Session.starts_at,
    Session.ends_at,
    Session.location,
    Session.theme,
    Session.status,
)


async def trainer_day(*, staff: Staff, now: datetime) -> TrainerDay:
    """The sessions a trainer leads or stands in for around `now` (empty for other roles)."""
    if staff.role is not Role.trainer:
        return TrainerDay(recent=[], upcoming=[])
    today = now.astimezone(BERLIN).date()
    window_start = datetime.combine(today - timedelta(days=RECENT_DAYS), time(), tzinfo=BERLIN)
    tomorrow = datetime.combine(today + timedelta(days=1), time(), tzinfo=BERLIN)
    recent = (
        await Session.select(*_COLUMNS)
        .where(led_by(staff) & (Session.starts_at >= window_start) & (Session.starts_at < tomorrow))
        .order_by(Session.starts_at, ascending=False)
    )
    upcoming = (
        await Session.select(*_COLUMNS)
        .where(led_by(staff) & (Session.starts_at >= tomorrow))
        .order_by(Session.starts_at)
        .limit(UPCOMING)
    )
    counts = await _counts(recent)
    return TrainerDay(
        recent=[_view(row, today, counts) for row in recent],
        upcoming=[_view(row, today, ({}, Counter())) for row in upcoming],
    )


async def _counts(rows: list[dict[str, Any]]) -> tuple[dict[int, int], Counter[int]]:
    """Confirmed participants per cohort and marks per session (two grouped queries)."""
    if not rows:
        return {}, Counter()
    cohorts = list({row["cohort"] for row in rows})
    participants = {
        r["cohort"]: r["count"]
        for r in await Registration.select(Registration.cohort, Count(alias="count"))
        .where(
            Registration.cohort.is_in(cohorts)
            & (Registration.status == RegistrationStatus.confirmed.value)
        )
        .group_by(Registration.cohort)
    }
    marked: Counter[int] = Counter(
        {
            r["session"]: r["count"]
            for r in await Attendance.select(Attendance.session, Count(alias="count"))
            .where(Attendance.session.is_in([row["id"] for row in rows]))
            .group_by(Attendance.session)
        }
    )
    return participants, marked


def _view(
    row: dict[str, Any], today: Any, counts: tuple[dict[int, int], Counter[int]]
) -> DaySession:
    participants, marked = counts
    starts_at = row["starts_at"].astimezone(BERLIN)
    return DaySession(
        id=row["id"],
        cohort_id=row["cohort"],
        cohort_title=row["cohort_title"],
        starts_at=starts_at,
        ends_at=row["ends_at"].astimezone(BERLIN),
        location=row["location"],
        theme=row["theme"],
        status=row["status"],
        is_today=starts_at.date() == today,
        participants=participants.get(row["cohort"], 0),
        marked=marked[row["id"]],
    )


__all__ = ["DaySession", "TrainerDay", "trainer_day"]
