"""Mails about a registration: received (confirmed or waiting), promoted, cancelled, moved
back to the waiting list. Queued in the outbox inside the caller's transaction, one per
address, in the registrant's language; confirmations carry the run's dates as .ics.

What does not change during a registration (the run's title, dates and calendar file) is
read once, before the write transaction, as `RunInfo`, so the transaction stays short.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from programmes.domain.feeds.run_calendar import calendar_bytes, run_rows
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.texts import render_mail
from programmes.tables import Guardian, Registration
from programmes.vocabulary import SessionStatus


@dataclass(frozen=True)
class MailContext:
    base_url: str
    now: datetime


@dataclass(frozen=True)
class RunInfo:
    cohort_id: int
    title: str
    dates: list[dict[str, Any]]
    calendar: bytes


async def run_info(cohort_id: int, *, base_url: str) -> RunInfo:
    cohort, sessions = await run_rows(cohort_id)
    return run_info_from(cohort, sessions, base_url=base_url)


def run_info_from(
    cohort: dict[str, Any], sessions: list[dict[str, Any]], *, base_url: str
) -> RunInfo:
    dates = [s for s in sessions if s["status"] == SessionStatus.scheduled.value]
    return RunInfo(
        cohort["id"], cohort["title"], dates, calendar_bytes(cohort, sessions, base_url=base_url)
    )


@dataclass(frozen=True)
class Recipient:
    addresses: list[str]
    language: str
    seats: int


async def recipient(registration_id: int) -> Recipient:
    row = (
        await Registration.select(
            Registration.family,
            Registration.language,
            Registration.seats,
            Registration.person.email.as_alias("person_email"),
        )
        .where(Registration.id == registration_id)
        .first()
    )
    assert row is not None
    addresses = [row["person_email"]] if row["person_email"] else []
    if row["family"] is not None:
        addresses += [
            g["email"]
            for g in await Guardian.select(Guardian.email).where(
                (Guardian.family == row["family"]) & (Guardian.email != "")
            )
        ]
    return Recipient(addresses, row["language"], row["seats"])


async def send(
    template: str,
    registration_id: int,
    context: MailContext,
    run: RunInfo,
    *,
    to: Recipient | None = None,
    cancel_token: str | None = None,
    waiting_rank: int | None = None,
    reason: str = "",
    attach_calendar: bool = False,
) -> int:
    """Queue `template` for every address of the registration; returns how many."""
    to = to or await recipient(registration_id)
    if not to.addresses:
        return 0
    subject, body = render_mail(
        template,
        to.language,
        title=run.title,
        seats=to.seats,
        dates=run.dates,
        rank=waiting_rank,
        reason=reason,
        cancel_url=f"{context.base_url}/events/cancel/{cancel_token}" if cancel_token else "",
        event_url=f"{context.base_url}/events/{run.cohort_id}",
    )
    for address in to.addresses:
        await enqueue(
            OutgoingMail(
                to_address=address,
                subject=subject,
                body_text=body,
                language=to.language,
                attachment_name="termine.ics" if attach_calendar else "",
                attachment=run.calendar if attach_calendar else b"",
                related_type="registration",
                related_id=registration_id,
            ),
            now=context.now,
        )
    return len(to.addresses)
