"""Telling registered people that their dates changed.

Calendar apps may refresh subscribed feeds only every 8–24 hours, so every move or
cancellation also goes out by mail, through the outbox, in the same transaction as the
change. Families without an e-mail address are reached through their KiTa instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from programmes.domain.catalogue.translations import pick, run_titles
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.mail.texts import render_mail
from programmes.tables import Guardian, Registration
from programmes.vocabulary import RegistrationStatus


@dataclass(frozen=True)
class Recipient:
    address: str
    language: str
    registration_id: int


@dataclass(frozen=True)
class SessionChange:
    """What a recipient is told about one session (no personal data)."""

    cohort_title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    old_starts_at: datetime | None = None
    old_location: str | None = None
    reason: str = ""


async def recipients(cohort_id: int) -> list[Recipient]:
    """Everyone with an e-mail address who is confirmed or waiting in the cohort and has
    not withdrawn their consent."""
    registrations = await Registration.select(
        Registration.id,
        Registration.language,
        Registration.family,
        Registration.person.email.as_alias("person_email"),
    ).where(
        (Registration.cohort == cohort_id)
        & Registration.status.is_in(
            [RegistrationStatus.confirmed.value, RegistrationStatus.waiting.value]
        )
        & Registration.consent_withdrawn_at.is_null()
    )
    families = {r["family"]: r for r in registrations if r["family"] is not None}
    found: list[Recipient] = [
        Recipient(r["person_email"], r["language"], r["id"])
        for r in registrations
        if r["person_email"]
    ]
    if families:
        for guardian in await Guardian.select(Guardian.family, Guardian.email).where(
            Guardian.family.is_in(list(families)) & (Guardian.email != "")
        ):
            registration = families[guardian["family"]]
            found.append(Recipient(guardian["email"], registration["language"], registration["id"]))
    return found


@dataclass(frozen=True)
class Audience:
    """Who hears of a change to a cohort's dates, counted before it is made (the pages
    ask "12 families get a mail: go ahead?")."""

    registrations: int  #: registered families and people (confirmed or waiting)
    reached: int  #: of those, the ones with an e-mail address: they get a mail
    mails: int  #: mails queued (a family may have two guardians with an address)

    @property
    def unreachable(self) -> int:
        """Registered but without an address: their KiTa or the coordination tells them."""
        return self.registrations - self.reached


async def audience(cohort_id: int) -> Audience:
    people = await recipients(cohort_id)
    registered = await Registration.count().where(
        (Registration.cohort == cohort_id)
        & Registration.status.is_in(
            [RegistrationStatus.confirmed.value, RegistrationStatus.waiting.value]
        )
        & Registration.consent_withdrawn_at.is_null()
    )
    reached = len({person.registration_id for person in people})
    return Audience(registrations=registered, reached=reached, mails=len(people))


async def notify_session_change(
    *, cohort_id: int, session_id: int, template: str, change: SessionChange, now: datetime
) -> int:
    """Queue one mail per recipient about a moved or cancelled session; returns the count."""
    people = await recipients(cohort_id)
    titles = await run_titles(cohort_id) if people else {}
    for person in people:
        title = pick(change.cohort_title, titles, person.language).text
        subject, body = render_mail(
            template, person.language, change=replace(change, cohort_title=title)
        )
        await enqueue(
            OutgoingMail(
                to_address=person.address,
                subject=subject,
                body_text=body,
                language=person.language,
                related_type="session",
                related_id=session_id,
            ),
            now=now,
        )
    return len(people)


async def notify_schedule_change(
    *,
    cohort_id: int,
    cohort_title: str,
    cancelled: Sequence[SessionChange],
    added: Sequence[SessionChange],
    now: datetime,
) -> int:
    """Queue one mail per recipient summarising a regenerated schedule."""
    if not cancelled and not added:
        return 0
    people = await recipients(cohort_id)
    titles = await run_titles(cohort_id) if people else {}
    for person in people:
        subject, body = render_mail(
            "schedule_changed.txt",
            person.language,
            cohort_title=pick(cohort_title, titles, person.language).text,
            cancelled=cancelled,
            added=added,
        )
        await enqueue(
            OutgoingMail(
                to_address=person.address,
                subject=subject,
                body_text=body,
                language=person.language,
                related_type="cohort",
                related_id=cohort_id,
            ),
            now=now,
        )
    return len(people)
