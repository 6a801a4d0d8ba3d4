"""Registrations for trainings and info events: by the public, or by a coordinator on
someone's behalf; cancelling by link or by a coordinator; capacity changes; moving people
between the lists.

Seats are taken and freed in `seats`; this module adds the rules around them (is the run
open for registration? how many seats may one registration take?), idempotency (the same
e-mail address for the same run finds the first registration), the mails, and the audit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import msgspec

from programmes.db import fetch, is_unique_violation, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, check_cohort_visible, require_coordinator
from programmes.domain.accounts.staff_accounts import normalise_email
from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.publication import RegistrationState
from programmes.domain.enrolment import registration_mail, seats
from programmes.domain.enrolment.events import PublicRun, public_run
from programmes.domain.enrolment.registration_mail import MailContext, RunInfo
from programmes.domain.enrolment.seats import Placement
from programmes.domain.errors import N_, Conflict, ErrorList, InvalidInput, NotFound
from programmes.domain.text import clean_language, clean_phone, clean_text
from programmes.domain.tokens import hash_token, looks_like_token
from programmes.domain.types import Id
from programmes.tables import Cohort, Registration, Session
from programmes.vocabulary import ConsentMethod, RegistrationStatus, SessionStatus


class PersonInput(msgspec.Struct, frozen=True):
    """What a member of the public enters (the page form and the JSON API)."""

    name: str
    email: str
    phone: str = ""
    seats: int = 1
    language: str = "de"
    needs: str = ""
    consent: bool = False


class Outcome(msgspec.Struct, frozen=True):
    """What a person sees right after registering (or submitting again)."""

    registration_id: int
    cohort_id: int
    status: str
    seats: int
    waiting_position: int | None
    already_registered: bool


class RegistrationView(msgspec.Struct, frozen=True):
    id: int
    cohort_id: int
    status: str
    seats: int
    waiting_position: int | None
    name: str
    email: str
    phone: str
    language: str
    needs: str
    family_id: int | None
    consent_method: str
    consent_given_on: date
    created_at: datetime
    person_id: int | None = None


def email_key(email: str) -> str:
    return "email:" + hashlib.sha256(email.encode()).hexdigest()


#: Why a listed run takes no registration now, in the words the registrant reads.
_REFUSALS = {
    RegistrationState.cancelled: N_("This event has been cancelled."),
    RegistrationState.not_yet: N_("Registration for this event has not opened yet."),
    RegistrationState.closed: N_("Registration for this event has closed."),
    RegistrationState.over: N_("This event is over; registration has closed."),
}


async def open_run(cohort_id: int, *, now: datetime) -> PublicRun:
    """The run with its dates if the public may register for it now
    (`publication.registration_state`), else a clear refusal (two queries)."""
    run = await public_run(cohort_id)  # NotFound unless listed
    state = run.registration_state(now)
    if state in _REFUSALS:
        raise Conflict(_REFUSALS[state], field="cohort")
    assert state is RegistrationState.open  # `public_run` finds listed runs only
    return run


def checked_person(data: PersonInput, *, max_seats: int) -> dict[str, Any]:
    """The entries cleaned, or every problem with them at once (`InvalidInputs`), in the
    order of the form's fields."""
    problems = ErrorList()
    person = {
        "name": problems.check(lambda: clean_text(data.name, field="name", max_length=200), ""),
        "email": problems.check(lambda: normalise_email(data.email), ""),
        "phone": problems.check(lambda: clean_phone(data.phone, field="phone"), ""),
        "language": problems.check(lambda: clean_language(data.language, field="language"), "de"),
        "needs": problems.check(
            lambda: clean_text(
                data.needs, field="needs", max_length=1000, required=False, multiline=True
            ),
            "",
        ),
    }
    if not 1 <= data.seats <= max_seats:
        problems.add(
            InvalidInput(N_("You can book 1 to %(max)s seats."), field="seats", max=max_seats)
        )
    if not data.consent:
        problems.add(
            InvalidInput(
                N_("Please agree to the privacy notice; we need it to register you."),
                field="consent",
            )
        )
    problems.raise_any()
    return person


class _RunFilledMeanwhile(Exception):
    """The seats free before the transaction were taken by others before it took them."""


async def register_person(
    *,
    cohort_id: int,
    data: PersonInput,
    notice_version: str,
    mail: MailContext,
    consent_method: ConsentMethod = ConsentMethod.online,
    recorded_by: int | None = None,
) -> Outcome:
    """Register a member of the public for a run: confirmed while seats last, else waiting.

    Submitting the same e-mail address for the same run again returns the first
    registration unchanged (double clicks, retries, a second try a day later).

    Every writer waits for the write transaction (on SQLite all of them, on PostgreSQL every
    registration for the run from the seat step on), so it holds only the statements: what
    can be read, checked or composed is done before it. While the run has room (the usual
    case) the seat is the last statement before COMMIT: the registration, its audit entry
    and its confirmation are written first, so on PostgreSQL the run's row is locked only
    for the seat and the COMMIT. Should the last seats go meanwhile, that transaction rolls
    back and the registration is placed first, then written (a waiting position, its mail)."""
    now = mail.now
    run = await open_run(cohort_id, now=now)
    person = checked_person(data, max_seats=run.max_seats_per_registration)
    key = email_key(person["email"])
    existing = await _by_key(cohort_id, key)
    if existing is not None:
        return existing
    new = _NewRegistration(
        cohort_id=cohort_id,
        person=person,
        seats=data.seats,
        key=key,
        cancel_link=registration_mail.CancelLink.new(),
        notice_version=notice_version,
        consent_method=consent_method,
        recorded_by=recorded_by,
        now=now,
    )
    run_mail = await registration_mail.run_info_from(run, mail, languages=[person["language"]])
    to = registration_mail.Recipient([person["email"]], person["language"], data.seats)
    try:
        if seats.fits(run.capacity, run.seats_taken, data.seats):
            confirmation = _confirmation(mail, run_mail, to, new.cancel_link)
            try:
                async with write_transaction():
                    registration_id = await new.store(seats.CONFIRMED)
                    await registration_mail.queue(confirmation, registration_id, now=now)
                    if (await seats.place(cohort_id, data.seats)) != seats.CONFIRMED:
                        raise _RunFilledMeanwhile
                return new.outcome(registration_id, seats.CONFIRMED, None)
            except _RunFilledMeanwhile:
                pass
        async with write_transaction():
            placement = await seats.place(cohort_id, data.seats)
            registration_id = await new.store(placement)
            rank = (
                await seats.waiting_rank(cohort_id, placement.waiting_position)
                if placement.waiting_position is not None
                else None
            )
            letter = (
                _confirmation(mail, run_mail, to, new.cancel_link)
                if placement == seats.CONFIRMED
                else registration_mail.compose(
                    "registration_waiting.txt",
                    mail,
                    run_mail,
                    to=to,
                    cancel_link=new.cancel_link,
                    waiting_rank=rank,
                )
            )
            await registration_mail.queue(letter, registration_id, now=now)
        return new.outcome(registration_id, placement, rank)
    except Exception as error:
        if not is_unique_violation(error):
            raise
        # the same address, submitted at the same moment, was registered first (the
        # transaction rolled back, the seat with it)
        existing = await _by_key(cohort_id, key)
        if existing is None:
            raise
        return existing


@dataclass(frozen=True)
class _NewRegistration:
    """A registration checked and ready to be written, in whichever order of statements."""

    cohort_id: int
    person: dict[str, Any]
    seats: int
    key: str
    cancel_link: registration_mail.CancelLink
    notice_version: str
    consent_method: ConsentMethod
    recorded_by: int | None
    now: datetime

    async def store(self, placement: Placement) -> int:
        """The person, the registration with `placement` and its audit entry; its id."""
        person, now = self.person, self.now
        person_rows = await fetch(
            "INSERT INTO person (name, email, phone, language, created_at) "
            "VALUES ({}, {}, {}, {}, {}) RETURNING id",
            person["name"],
            person["email"],
            person["phone"],
            person["language"],
            now,
        )
        rows = await fetch(
            "INSERT INTO registration (cohort, person, seats, status, waiting_position, "
            "needs, language, cancel_token_hash, dedupe_key, consent_notice_version, "
            "consent_method, consent_given_on, consent_recorded_by, created_at, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
            self.cohort_id,
            person_rows[0]["id"],
            self.seats,
            placement.status.value,
            placement.waiting_position,
            person["needs"],
            person["language"],
            self.cancel_link.token_hash,
            self.key,
            self.notice_version,
            self.consent_method.value,
            now.date(),
            self.recorded_by,
            now,
            now,
        )
        registration_id = int(rows[0]["id"])
        await audit.record(
            actor_id=self.recorded_by,
            action=f"registration.{placement.status.value}",
            object_type="registration",
            object_id=registration_id,
            now=now,
            detail={
                "cohort": self.cohort_id,
                "seats": self.seats,
                "method": self.consent_method.value,
            },
        )
        return registration_id

    def outcome(self, registration_id: int, placement: Placement, rank: int | None) -> Outcome:
        return Outcome(
            registration_id, self.cohort_id, placement.status.value, self.seats, rank, False
        )


def _confirmation(
    mail: MailContext,
    run: RunInfo,
    to: registration_mail.Recipient,
    cancel_link: registration_mail.CancelLink,
) -> registration_mail.Letter:
    return registration_mail.compose(
        "registration_confirmed.txt",
        mail,
        run,
        to=to,
        cancel_link=cancel_link,
        attach_calendar=True,
    )


async def _by_key(cohort_id: int, key: str) -> Outcome | None:
    found = await fetch(
        "SELECT id, status, seats, waiting_position FROM registration "
        "WHERE cohort = {} AND dedupe_key = {}",
        cohort_id,
        key,
    )
    if not found:
        return None
    row = found[0]
    rank = (
        await seats.waiting_rank(cohort_id, row["waiting_position"])
        if row["waiting_position"] is not None
        else None
    )
    return Outcome(row["id"], cohort_id, row["status"], row["seats"], rank, True)


class CancelView(msgspec.Struct, frozen=True):
    """What the cancel link shows: the registration, without anybody's personal data."""

    cohort_id: int
    cohort_title: str
    status: str
    seats: int
    first_session_at: datetime | None
    #: The run's title in other languages.
    titles: dict[str, str] = msgspec.field(default_factory=dict)

    def title_in(self, language: str) -> texts.Localised:
        return texts.pick(self.cohort_title, self.titles, language)


async def registration_for_token(token: str) -> CancelView:
    row = await _row_for_token(token)
    first = (
        await Session.select(Session.starts_at)
        .where(
            (Session.cohort == row["cohort"]) & (Session.status == SessionStatus.scheduled.value)
        )
        .order_by(Session.starts_at)
        .first()
    )
    return CancelView(
        cohort_id=row["cohort"],
        cohort_title=row["cohort_title"],
        status=row["status"],
        seats=row["seats"],
        first_session_at=first["starts_at"] if first else None,
        titles=await texts.run_titles(row["cohort"]),
    )


async def _row_for_token(token: str) -> dict[str, Any]:
    row = None
    if looks_like_token(token):
        row = (
            await Registration.select(
                Registration.id,
                Registration.cohort,
                Registration.status,
                Registration.seats,
                Registration.cohort.title.as_alias("cohort_title"),
            )
            .where(Registration.cancel_token_hash == hash_token(token))
            .first()
        )
    if row is None or row["status"] == RegistrationStatus.cancelled.value:
        raise NotFound(
            N_(
                "This cancel link is not valid (any more). Perhaps the registration was "
                "cancelled already."
            ),
            field="token",
        )
    return row


async def cancel_by_token(*, token: str, mail: MailContext) -> CancelView:
    """The person cancels with the link from their mail; the link then stops working."""
    row = await _row_for_token(token)
    view = await registration_for_token(token)
    await _cancel(row["id"], mail, actor_id=None, reason="")
    return msgspec.structs.replace(view, status=RegistrationStatus.cancelled.value)


async def registration_id_for_token(token: str) -> int:
    """The registration a (valid) cancel link is for; NotFound like the cancel page."""
    return int((await _row_for_token(token))["id"])


async def cancel_without_mail(registration_id: int, run: RunInfo, mail: MailContext) -> None:
    """Cancel for a registrant who withdrew their consent: their place goes to the
    waiting list (those promoted are told), but no mail goes to them. Joins the caller's
    transaction; `run` is read before it (`registration_mail.run_info`)."""
    await _cancel(registration_id, mail, actor_id=None, reason="", run=run, tell=False)


async def preview_cancellation(*, staff: Staff, registration_id: int, reason: str) -> int:
    """How many waiting registrations would get seats (and a mail) if `cancel_registration`
    ran now; checked as it checks its input."""
    require_coordinator(staff)
    clean_text(reason, field="reason", max_length=300, required=False)
    row = (
        await Registration.select(Registration.cohort, Registration.status, Registration.seats)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None:
        raise NotFound(
            N_("There is no registration with id %(id)s."),
            field="registration",
            id=registration_id,
        )
    if row["status"] != RegistrationStatus.confirmed.value:
        return 0
    return await seats.would_promote(row["cohort"], row["seats"])


async def cancel_registration(
    *, staff: Staff, registration_id: int, reason: str, mail: MailContext
) -> None:
    require_coordinator(staff)
    reason = clean_text(reason, field="reason", max_length=300, required=False)
    await _cancel(registration_id, mail, actor_id=staff.id, reason=reason)


async def _cancel(
    registration_id: int,
    mail: MailContext,
    *,
    actor_id: int | None,
    reason: str,
    run: RunInfo | None = None,
    tell: bool = True,
) -> None:
    if run is None:
        run = await registration_mail.run_info(await _cohort_of(registration_id), mail)
    async with write_transaction():
        row = (
            await Registration.select(
                Registration.cohort,
                Registration.status,
                Registration.seats,
                Registration.cohort.title.as_alias("cohort_title"),
            )
            .where(Registration.id == registration_id)
            .first()
        )
        if row is None:
            raise NotFound(
                N_("There is no registration with id %(id)s."),
                field="registration",
                id=registration_id,
            )
        if row["status"] == RegistrationStatus.cancelled.value:
            return  # cancelling twice changes nothing
        await seats.lock_cohort(row["cohort"])
        if row["status"] == RegistrationStatus.confirmed.value:
            await seats.release(row["cohort"], row["seats"])
        await Registration.update(
            {
                Registration.status: RegistrationStatus.cancelled.value,
                Registration.waiting_position: None,
                Registration.cancel_token_hash: None,
                Registration.cancelled_at: mail.now,
                Registration.updated_at: mail.now,
            }
        ).where(Registration.id == registration_id)
        await audit.record(
            actor_id=actor_id,
            action="registration.cancelled",
            object_type="registration",
            object_id=registration_id,
            now=mail.now,
            detail={
                "cohort": row["cohort"],
                "was": row["status"],
                "by": "coordinator" if actor_id else "link",
            },
        )
        if tell:
            await registration_mail.send(
                "registration_cancelled.txt",
                registration_id,
                mail,
                run,
                reason=reason,
            )
        await promote_and_tell(row["cohort"], run, mail, actor_id=actor_id)


async def _cohort_of(registration_id: int) -> int:
    """The run of a registration (it never changes); NotFound for an unknown one."""
    row = (
        await Registration.select(Registration.cohort)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None:
        raise NotFound(
            N_("There is no registration with id %(id)s."),
            field="registration",
            id=registration_id,
        )
    return int(row["cohort"])


async def promote_and_tell(
    cohort_id: int,
    run: RunInfo,
    mail: MailContext,
    *,
    actor_id: int | None,
    exclude: frozenset[int] = frozenset(),
) -> list[int]:
    promoted = await seats.promote(cohort_id, now=mail.now, exclude=exclude)
    for registration_id in promoted:
        await audit.record(
            actor_id=actor_id,
            action="registration.promoted",
            object_type="registration",
            object_id=registration_id,
            now=mail.now,
            detail={"cohort": cohort_id},
        )
        await registration_mail.send(
            "registration_promoted.txt",
            registration_id,
            mail,
            run,
            attach_calendar=True,
        )
    return promoted


class CapacityChange(msgspec.Struct, frozen=True):
    capacity: int | None
    move_to_waiting: list[Id] = msgspec.field(default_factory=list)
    reason: str = ""


async def change_capacity(
    *, staff: Staff, cohort_id: int, change: CapacityChange, mail: MailContext
) -> list[int]:
    """Raise capacity (the waiting list moves up) or lower it. Lowering below the confirmed
    seats is refused unless the coordinator names who goes back to the waiting list; they
    go to its front, in the order named, and are told. Returns the promoted ids."""
    require_coordinator(staff)
    await check_cohort_visible(staff, cohort_id)  # an unknown cohort: 404, nothing changed
    if change.capacity is not None and not 0 <= change.capacity <= 1000:
        raise InvalidInput(
            N_("Capacity must be between 0 and %(max)s."), field="capacity", max=1000
        )
    reason = clean_text(change.reason, field="reason", max_length=300, required=False)
    run = await registration_mail.run_info(cohort_id, mail)
    async with write_transaction():
        cohort = await seats.lock_cohort(cohort_id)
        demote = await _confirmed(cohort_id, change.move_to_waiting)
        freed = sum(r["seats"] for r in demote)
        if change.capacity is not None and cohort["seats_taken"] - freed > change.capacity:
            raise Conflict(
                N_(
                    "%(taken)s seats are confirmed; name who moves back to the waiting list "
                    "to free %(missing)s more."
                ),
                field="move_to_waiting",
                taken=cohort["seats_taken"] - freed,
                missing=cohort["seats_taken"] - freed - change.capacity,
            )
        if demote:
            if not reason:
                raise InvalidInput(
                    N_("Please give a reason; the people moved back are told."), field="reason"
                )
            await _demote(
                cohort_id,
                demote,
                run=run,
                reason=reason,
                mail=mail,
                actor_id=staff.id,
            )
        await Cohort.update({Cohort.capacity: change.capacity, Cohort.updated_at: mail.now}).where(
            Cohort.id == cohort_id
        )
        await audit.record(
            actor_id=staff.id,
            action="cohort.capacity_changed",
            object_type="cohort",
            object_id=cohort_id,
            now=mail.now,
            detail={"from": cohort["capacity"], "to": change.capacity, "moved_back": len(demote)},
        )
        return await promote_and_tell(
            cohort_id,
            run,
            mail,
            actor_id=staff.id,
            exclude=frozenset(r["id"] for r in demote),
        )


async def _confirmed(cohort_id: int, ids: Sequence[int]) -> list[dict[str, Any]]:
    if len(set(ids)) != len(ids):
        raise InvalidInput(N_("A registration is named twice."), field="move_to_waiting")
    if not ids:
        return []
    rows = await Registration.select(Registration.id, Registration.seats).where(
        Registration.id.is_in(list(ids))
        & (Registration.cohort == cohort_id)
        & (Registration.status == RegistrationStatus.confirmed.value)
    )
    found = {r["id"]: r for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            N_("Registration %(id)s is not a confirmed registration of this group."),
            field="move_to_waiting",
            id=missing[0],
        )
    return [found[i] for i in ids]


async def _demote(
    cohort_id: int,
    rows: list[dict[str, Any]],
    *,
    run: RunInfo,
    reason: str,
    mail: MailContext,
    actor_id: int,
) -> None:
    first = (
        await Registration.select(Registration.waiting_position)
        .where(
            (Registration.cohort == cohort_id)
            & (Registration.status == RegistrationStatus.waiting.value)
        )
        .order_by(Registration.waiting_position)
        .first()
    )
    front = (first["waiting_position"] if first else 1) - len(rows)
    await seats.release(cohort_id, sum(r["seats"] for r in rows))
    for offset, row in enumerate(rows):
        await Registration.update(
            {
                Registration.status: RegistrationStatus.waiting.value,
                Registration.waiting_position: front + offset,
                Registration.updated_at: mail.now,
            }
        ).where(Registration.id == row["id"])
        await audit.record(
            actor_id=actor_id,
            action="registration.moved_to_waiting",
            object_type="registration",
            object_id=row["id"],
            now=mail.now,
            detail={"cohort": cohort_id, "reason_given": True},
        )
        await registration_mail.send(
            "registration_demoted.txt",
            row["id"],
            mail,
            run,
            waiting_rank=offset + 1,
            reason=reason,
        )


async def preview_move(*, staff: Staff, registration_id: int, to: str, reason: str) -> int:
    """How many waiting registrations would get seats (and a mail) if `move_registration`
    ran now; checked as it checks (the person moved is told in any case)."""
    require_coordinator(staff)
    clean_text(reason, field="reason", max_length=300)
    if to not in (RegistrationStatus.confirmed.value, RegistrationStatus.waiting.value):
        raise InvalidInput(N_("Move to 'confirmed' or 'waiting'."), field="to")
    row = (
        await Registration.select(Registration.cohort, Registration.status, Registration.seats)
        .where(Registration.id == registration_id)
        .first()
    )
    if row is None or row["status"] == RegistrationStatus.cancelled.value:
        raise NotFound(
            N_("There is no registration with id %(id)s."),
            field="registration",
            id=registration_id,
        )
    if row["status"] == to:
        raise Conflict(N_("The registration is on that list already."), field="to")
    if to == RegistrationStatus.confirmed.value:
        cohort = (
            await Cohort.select(Cohort.capacity, Cohort.seats_taken)
            .where(Cohort.id == row["cohort"])
            .first()
        )
        assert cohort is not None
        if (
            cohort["capacity"] is not None
            and cohort["seats_taken"] + row["seats"] > cohort["capacity"]
        ):
            raise Conflict(
                N_("Not enough free places: %(free)s free, %(seats)s needed."),
                field="to",
                free=cohort["capacity"] - cohort["seats_taken"],
                seats=row["seats"],
            )
        return 0
    return await seats.would_promote(
        row["cohort"], row["seats"], exclude=frozenset({registration_id})
    )


class CapacityPreview(msgspec.Struct, frozen=True):
    moved_back: int  #: confirmed registrations going back to the waiting list (told)
    promoted: int  #: waiting registrations getting seats (told)


async def preview_capacity(
    *, staff: Staff, cohort_id: int, change: CapacityChange
) -> CapacityPreview:
    """What `change_capacity` would do, checked as it checks."""
    require_coordinator(staff)
    await check_cohort_visible(staff, cohort_id)
    if change.capacity is not None and not 0 <= change.capacity <= 1000:
        raise InvalidInput(
            N_("Capacity must be between 0 and %(max)s."), field="capacity", max=1000
        )
    reason = clean_text(change.reason, field="reason", max_length=300, required=False)
    cohort = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort_id).first()
    assert cohort is not None
    demote = await _confirmed(cohort_id, change.move_to_waiting)
    freed = sum(r["seats"] for r in demote)
    if change.capacity is not None and cohort["seats_taken"] - freed > change.capacity:
        raise Conflict(
            N_(
                "%(taken)s seats are confirmed; name who moves back to the waiting list "
                "to free %(missing)s more."
            ),
            field="move_to_waiting",
            taken=cohort["seats_taken"] - freed,
            missing=cohort["seats_taken"] - freed - change.capacity,
        )
    if demote and not reason:
        raise InvalidInput(
            N_("Please give a reason; the people moved back are told."), field="reason"
        )
    promoted = await seats.would_promote(
        cohort_id,
        freed,
        exclude=frozenset(r["id"] for r in demote),
        new_capacity=(change.capacity,),
    )
    return CapacityPreview(moved_back=len(demote), promoted=promoted)


async def move_registration(
    *, staff: Staff, registration_id: int, to: str, reason: str, mail: MailContext
) -> None:
    """A coordinator moves someone between the lists, with a reason (audited).

    To the confirmed list: only if their seats fit (never more than capacity). To the
    waiting list: they go to its front and their seats go to the next groups that fit."""
    require_coordinator(staff)
    reason = clean_text(reason, field="reason", max_length=300)
    if to not in (RegistrationStatus.confirmed.value, RegistrationStatus.waiting.value):
        raise InvalidInput(N_("Move to 'confirmed' or 'waiting'."), field="to")
    run = await registration_mail.run_info(await _cohort_of(registration_id), mail)
    async with write_transaction():
        row = (
            await Registration.select(
                Registration.cohort,
                Registration.status,
                Registration.seats,
                Registration.cohort.title.as_alias("cohort_title"),
            )
            .where(Registration.id == registration_id)
            .first()
        )
        if row is None or row["status"] == RegistrationStatus.cancelled.value:
            raise NotFound(
                N_("There is no registration with id %(id)s."),
                field="registration",
                id=registration_id,
            )
        if row["status"] == to:
            raise Conflict(N_("The registration is on that list already."), field="to")
        cohort = await seats.lock_cohort(row["cohort"])
        if to == RegistrationStatus.confirmed.value:
            if (
                cohort["capacity"] is not None
                and cohort["seats_taken"] + row["seats"] > cohort["capacity"]
            ):
                raise Conflict(
                    N_("Not enough free places: %(free)s free, %(seats)s needed."),
                    field="to",
                    free=cohort["capacity"] - cohort["seats_taken"],
                    seats=row["seats"],
                )
            await Cohort.update({Cohort.seats_taken: Cohort.seats_taken + row["seats"]}).where(
                Cohort.id == row["cohort"]
            )
            await Registration.update(
                {
                    Registration.status: to,
                    Registration.waiting_position: None,
                    Registration.updated_at: mail.now,
                }
            ).where(Registration.id == registration_id)
            await audit.record(
                actor_id=staff.id,
                action="registration.moved_to_confirmed",
                object_type="registration",
                object_id=registration_id,
                now=mail.now,
                detail={"cohort": row["cohort"], "reason_given": True},
            )
            await registration_mail.send(
                "registration_promoted.txt",
                registration_id,
                mail,
                run,
                attach_calendar=True,
            )
        else:
            await _demote(
                row["cohort"],
                [{"id": registration_id, "seats": row["seats"]}],
                run=run,
                reason=reason,
                mail=mail,
                actor_id=staff.id,
            )
            await promote_and_tell(
                row["cohort"],
                run,
                mail,
                actor_id=staff.id,
                exclude=frozenset({registration_id}),
            )


async def list_registrations(*, staff: Staff, cohort_id: int) -> list[RegistrationView]:
    """Everyone registered for a run or group, confirmed first, then the waiting list in
    order (coordinators: all; partners: see `families` for their own KiTa). An unknown
    cohort is NotFound, not an empty list."""
    require_coordinator(staff)
    await check_cohort_visible(staff, cohort_id)
    rows = (
        await Registration.select(
            Registration.id,
            Registration.cohort,
            Registration.status,
            Registration.seats,
            Registration.waiting_position,
            Registration.language,
            Registration.needs,
            Registration.family,
            Registration.person,
            Registration.consent_method,
            Registration.consent_given_on,
            Registration.created_at,
            Registration.person.name.as_alias("name"),
            Registration.person.email.as_alias("email"),
            Registration.person.phone.as_alias("phone"),
        )
        .where(Registration.cohort == cohort_id)
        .order_by(Registration.created_at)
    )
    order = {"confirmed": 0, "waiting": 1, "cancelled": 2}
    rows.sort(key=lambda r: (order[r["status"]], r["waiting_position"] or 0, r["created_at"]))
    ranks: dict[int, int] = {}
    for row in rows:
        if row["status"] == RegistrationStatus.waiting.value:
            ranks[row["id"]] = len(ranks) + 1
    return [
        RegistrationView(
            id=r["id"],
            cohort_id=r["cohort"],
            status=r["status"],
            seats=r["seats"],
            waiting_position=ranks.get(r["id"]),
            name=r["name"] or "",
            email=r["email"] or "",
            phone=r["phone"] or "",
            language=r["language"],
            needs=r["needs"],
            family_id=r["family"],
            consent_method=r["consent_method"],
            consent_given_on=r["consent_given_on"],
            created_at=r["created_at"],
            person_id=r["person"],
        )
        for r in rows
    ]
