"""The "add to calendar" file of one run: all its dates as iCalendar bytes (also attached
to confirmation mails)."""

from __future__ import annotations

from urllib.parse import urlsplit

from programmes.ical import FeedEvent, render_feed
from programmes.tables import Cohort, Session
from programmes.tables.vocabulary import ProgrammeKind, SessionStatus

CATEGORY = {
    ProgrammeKind.rucksack.value: "Rucksack KiTa",
    ProgrammeKind.training.value: "Training",
    ProgrammeKind.info_event.value: "Infoveranstaltung",
}


async def run_calendar(cohort_id: int, *, base_url: str) -> bytes:
    cohort = (
        await Cohort.select(
            Cohort.title,
            Cohort.updated_at,
            Cohort.programme.kind.as_alias("kind"),
            Cohort.programme.updated_at.as_alias("programme_updated_at"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    assert cohort is not None
    rows = await Session.select().where(Session.cohort == cohort_id).order_by(Session.starts_at)
    host = urlsplit(base_url).hostname or "localhost"
    events = [
        FeedEvent(
            session_id=row["id"],
            sequence=row["sequence"],
            cancelled=row["status"] == SessionStatus.cancelled.value,
            starts_at=row["starts_at"],
            ends_at=row["ends_at"],
            updated_at=max(row["updated_at"], cohort["updated_at"], cohort["programme_updated_at"]),
            summary=cohort["title"],
            location=row["location"],
            description=(row["theme"] or "")
            + (f"\nAbgesagt: {row['cancel_reason']}" if row["cancel_reason"] else ""),
            url=f"{base_url}/events/{cohort_id}",
            category=CATEGORY.get(cohort["kind"], "Programm"),
        )
        for row in rows
    ]
    return render_feed(name=cohort["title"], events=events, host=host)
