"""Mails about a registration: received (confirmed or waiting), promoted, cancelled, moved
back to the waiting list. Queued in the outbox inside the caller's transaction, one per
address, in the registrant's language; confirmations carry the run's dates as .ics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from programmes.domain.event_calendar import run_calendar
from programmes.domain.mail_text import render_mail
from programmes.domain.outbox import OutgoingMail, enqueue
from programmes.tables import Guardian, Registration, Session
from programmes.tables.vocabulary import SessionStatus


@dataclass(frozen=True)
class MailContext:
    base_url: str
    now: datetime


async def _addresses(registration_id: int) -> tuple[list[str], str, int, int]:
    row = (
        await Registration.select(
            Registration.cohort,
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
    return addresses, row["language"], row["cohort"], row["seats"]


async def _dates(cohort_id: int) -> list[dict[str, object]]:
    return list(
        await Session.select(Session.starts_at, Session.ends_at, Session.location)
        .where((Session.cohort == cohort_id) & (Session.status == SessionStatus.scheduled.value))
        .order_by(Session.starts_at)
    )


async def send(
    template: str,
    registration_id: int,
    context: MailContext,
    *,
    cohort_title: str,
    cancel_token: str | None = None,
    waiting_rank: int | None = None,
    reason: str = "",
    attach_calendar: bool = False,
) -> int:
    """Queue `template` for every address of the registration; returns how many."""
    addresses, language, cohort_id, seats = await _addresses(registration_id)
    if not addresses:
        return 0
    subject, body = render_mail(
        template,
        language,
        title=cohort_title,
        seats=seats,
        dates=await _dates(cohort_id),
        rank=waiting_rank,
        reason=reason,
        cancel_url=f"{context.base_url}/events/cancel/{cancel_token}" if cancel_token else "",
        event_url=f"{context.base_url}/events/{cohort_id}",
    )
    attachment = (
        await run_calendar(cohort_id, base_url=context.base_url) if attach_calendar else b""
    )
    for address in addresses:
        await enqueue(
            OutgoingMail(
                to_address=address,
                subject=subject,
                body_text=body,
                language=language,
                attachment_name="termine.ics" if attachment else "",
                attachment=attachment,
                related_type="registration",
                related_id=registration_id,
            ),
            now=context.now,
        )
    return len(addresses)
