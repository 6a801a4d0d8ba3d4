"""Public registrations: confirmed or waiting, idempotent, cancellable, never overbooked."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

import pytest

from programmes.domain.enrolment import registration_mail, registrations
from programmes.domain.enrolment.events import PublicRun
from programmes.domain.enrolment.registration_mail import MailContext, RunInfo
from programmes.domain.enrolment.registrations import CapacityChange, PersonInput
from programmes.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from programmes.domain.mail import links
from programmes.tables import AuditEvent, Cohort, Outbox, Person, Registration
from programmes.vocabulary import ProgrammeKind, PublicationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_public_run, make_staff

MAIL = MailContext(base_url="https://programme.example.org", now=FROZEN_NOW)


def person(n: int = 1, *, seats: int = 1, **overrides: object) -> PersonInput:
    values: dict[str, object] = {
        "name": f"Teilnehmerin {n}",
        "email": f"person{n}@example.org",
        "seats": seats,
        "consent": True,
    }
    values.update(overrides)
    return PersonInput(**values)  # type: ignore[arg-type]


async def register(cohort: int, data: PersonInput) -> registrations.Outcome:
    return await registrations.register_person(
        cohort_id=cohort, data=data, notice_version="2026-09", mail=MAIL
    )


async def seats_taken(cohort: int) -> int:
    row = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort).first()
    assert row is not None
    return int(row["seats_taken"])


async def test_confirmed_while_seats_last_then_waiting_in_order() -> None:
    cohort = await make_public_run(capacity=5)
    a = await register(cohort, person(1, seats=3))
    b = await register(cohort, person(2, seats=3))  # does not fit: waits, whole
    c = await register(cohort, person(3, seats=2))  # fits
    d = await register(cohort, person(4, seats=1))  # full now
    assert (a.status, b.status, c.status, d.status) == (
        "confirmed",
        "waiting",
        "confirmed",
        "waiting",
    )
    assert (b.waiting_position, d.waiting_position) == (1, 2)
    assert await seats_taken(cohort) == 5
    mails = await Outbox.select().order_by(Outbox.id)
    assert [m["to_address"] for m in mails] == [f"person{n}@example.org" for n in (1, 2, 3, 4)]
    assert mails[0]["subject"].startswith("Anmeldung bestätigt")
    assert mails[0]["attachment_name"] == "termine.ics"
    assert b"BEGIN:VCALENDAR" in base64.b64decode(mails[0]["attachment"])
    assert mails[1]["subject"].startswith("Warteliste")
    assert "Platz 1" in mails[1]["body_text"]
    assert "https://programme.example.org/events/cancel/" in mails[0]["body_text"]


@pytest.mark.parametrize(
    ("taken_before", "meanwhile", "status", "subject", "attachment"),
    [
        # room when the run was read; another registration takes the last seat before this one
        (0, {"seats_taken": 1}, "waiting", "Warteliste", ""),
        # full when the run was read; a coordinator adds a seat before this one is taken
        (1, {"capacity": 2}, "confirmed", "Anmeldung bestätigt", "termine.ics"),
    ],
)
async def test_the_mail_tells_the_outcome_when_seats_change_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
    taken_before: int,
    meanwhile: dict[str, int],
    status: str,
    subject: str,
    attachment: str,
) -> None:
    cohort = await make_public_run(capacity=1)
    if taken_before:
        await register(cohort, person(9))
    await Outbox.delete(force=True)
    read_run = registrations.open_run

    async def read_then_change(cohort_id: int, *, now: datetime) -> PublicRun:
        run = await read_run(cohort_id, now=now)
        await Cohort.update({getattr(Cohort, k): v for k, v in meanwhile.items()}).where(
            Cohort.id == cohort
        )
        return run

    monkeypatch.setattr(registrations, "open_run", read_then_change)
    outcome = await register(cohort, person(1))
    assert outcome.status == status
    mails = await Outbox.select()
    assert len(mails) == 1
    assert mails[0]["subject"].startswith(subject)
    assert mails[0]["attachment_name"] == attachment
    assert ("Platz 1" in mails[0]["body_text"]) == (status == "waiting")
    # one registration, one person, one audit entry with the outcome: nothing left over from
    # a first attempt that found the seats gone
    assert await Registration.count() == await Person.count() == 1 + taken_before
    actions = [row["action"] for row in await AuditEvent.select(AuditEvent.action)]
    assert actions.count(f"registration.{status}") == 1 + (status == "confirmed") * taken_before
    assert len(actions) == 1 + taken_before


async def test_the_same_email_at_the_same_moment_returns_the_first_registration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cohort = await make_public_run(capacity=5)
    run_info_from = registration_mail.run_info_from

    async def first_registers_meanwhile(*args: Any, **kwargs: Any) -> RunInfo:
        # after this registration found no earlier one, before its write transaction
        monkeypatch.setattr(registration_mail, "run_info_from", run_info_from)
        await register(cohort, person(1, seats=2))
        return await run_info_from(*args, **kwargs)

    monkeypatch.setattr(registration_mail, "run_info_from", first_registers_meanwhile)
    again = await register(cohort, person(1, seats=1))
    assert again.already_registered and again.seats == 2 and again.status == "confirmed"
    assert await seats_taken(cohort) == 2  # the second seat step was rolled back
    assert await Registration.count() == 1
    assert await Person.count() == 1
    assert await Outbox.count() == 1


async def test_the_same_email_again_returns_the_first_registration() -> None:
    cohort = await make_public_run(capacity=5)
    first = await register(cohort, person(1, seats=2))
    again = await register(
        cohort, person(1, seats=3, name="Anderer Name", email="PERSON1@example.org")
    )
    assert again.registration_id == first.registration_id
    assert again.already_registered and again.seats == 2
    assert await Registration.count() == 1 and await Person.count() == 1
    assert await seats_taken(cohort) == 2
    assert await Outbox.count() == 1


async def test_cancelling_promotes_the_first_groups_that_fit_each_told_once() -> None:
    cohort = await make_public_run(capacity=4)
    holder = await register(cohort, person(1, seats=3))
    await register(cohort, person(2, seats=1))  # confirmed: 4/4
    big = await register(cohort, person(3, seats=3))  # waiting 1
    small = await register(cohort, person(4, seats=2))  # waiting 2
    single = await register(cohort, person(5, seats=1))  # waiting 3
    await Outbox.delete(force=True)
    await registrations.cancel_registration(
        staff=await make_staff(Role.coordinator),
        registration_id=holder.registration_id,
        reason="abgemeldet per Telefon",
        mail=MAIL,
    )
    statuses = {
        r["id"]: r["status"]
        for r in await Registration.select(Registration.id, Registration.status)
    }
    # 3 seats free: the group of 3 (first in line) fits and is promoted; nobody else fits
    assert statuses[big.registration_id] == "confirmed"
    assert statuses[small.registration_id] == statuses[single.registration_id] == "waiting"
    assert await seats_taken(cohort) == 4
    to = sorted(m["to_address"] for m in await Outbox.select())
    assert to == ["person1@example.org", "person3@example.org"]  # cancelled + promoted, once each


async def test_a_larger_group_keeps_its_place_while_smaller_ones_fit() -> None:
    cohort = await make_public_run(capacity=3)
    first = await register(cohort, person(1, seats=1))
    await register(cohort, person(2, seats=2))
    big = await register(cohort, person(3, seats=3))
    single = await register(cohort, person(4, seats=1))
    coordinator = await make_staff(Role.coordinator)
    await registrations.cancel_registration(
        staff=coordinator, registration_id=first.registration_id, reason="", mail=MAIL
    )
    rows = {r["id"]: r for r in await Registration.select()}
    assert rows[single.registration_id]["status"] == "confirmed"  # 1 seat free: the single fits
    assert rows[big.registration_id]["status"] == "waiting"  # the group of 3 is not split
    listing = await registrations.list_registrations(staff=coordinator, cohort_id=cohort)
    assert [v.waiting_position for v in listing if v.status == "waiting"] == [1]


async def test_cancel_link_works_once_and_wrong_tokens_are_not_found() -> None:
    cohort = await make_public_run(capacity=1)
    await register(cohort, person(1))
    waiting = await register(cohort, person(2))
    stored_body = (await Outbox.select().order_by(Outbox.id).first())["body_text"]  # type: ignore[index]
    body = links.fill(stored_body)  # as the sender writes it
    token = body.split("/events/cancel/")[1].split()[0]
    assert token not in stored_body
    view = await registrations.registration_for_token(token)
    assert view.status == "confirmed" and view.cohort_id == cohort
    cancelled = await registrations.cancel_by_token(token=token, mail=MAIL)
    assert cancelled.status == "cancelled"
    promoted = (
        await Registration.select(Registration.status)
        .where(Registration.id == waiting.registration_id)
        .first()
    )
    assert promoted == {"status": "confirmed"}
    slot = stored_body.split("/events/cancel/")[1].split()[0]
    for bad in (token, "x" * 43, "", "../../etc/passwd", "a\x00b", slot):
        with pytest.raises(NotFound) as error:
            await registrations.cancel_by_token(token=bad, mail=MAIL)
        assert error.value.field == "token"
    stored = (
        await Registration.select(Registration.cancel_token_hash)
        .where(Registration.id == waiting.registration_id)
        .first()
    )
    assert stored is not None and token not in str(stored)


@pytest.mark.parametrize(
    ("status", "linked"),
    [(PublicationStatus.published, True), (PublicationStatus.archived, False)],
)
async def test_the_cancellation_mail_links_to_the_event_only_while_it_has_a_page(
    status: PublicationStatus, linked: bool
) -> None:
    cohort = await make_public_run(capacity=2)
    outcome = await register(cohort, person(1))
    await Cohort.update({Cohort.status: status.value}).where(Cohort.id == cohort)
    coordinator = await make_staff(Role.coordinator)
    await Outbox.delete(force=True)
    await registrations.cancel_registration(
        staff=coordinator, registration_id=outcome.registration_id, reason="", mail=MAIL
    )
    (mail,) = await Outbox.select(Outbox.body_text)
    page = f"https://programme.example.org/events/{cohort}\n"
    assert (page in mail["body_text"]) is linked
    assert ("Sie können sich jederzeit wieder anmelden" in mail["body_text"]) is linked


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (person(seats=0), "seats"),
        (person(seats=-1), "seats"),
        (person(seats=4), "seats"),
        (person(consent=False), "consent"),
        (person(email="a@b.example\r\nBcc: x@evil.example"), "email"),
        (person(email="x" * 250 + "@example.org"), "email"),
        (person(email="not-an-address"), "email"),
        (person(name="     "), "name"),
        (person(name="x" * 10_000), "name"),
        (person(name="Nul\x00Byte"), "name"),
        (person(phone="call me maybe"), "phone"),
        (person(needs="y" * 1001), "needs"),
    ],
)
async def test_bad_input_names_the_field_and_takes_no_seat(data: PersonInput, field: str) -> None:
    cohort = await make_public_run(capacity=5)
    with pytest.raises(InvalidInput) as error:
        await register(cohort, data)
    assert error.value.field == field
    assert await Registration.count() == 0 and await Person.count() == 0
    assert await seats_taken(cohort) == 0 and await Outbox.count() == 0


async def test_runs_that_are_not_open_refuse_registrations() -> None:
    cases = [
        (await make_public_run(status=PublicationStatus.draft), NotFound),
        (await make_public_run(is_public=False), NotFound),
        (await make_public_run(kind=ProgrammeKind.rucksack, is_public=False), NotFound),
        (await make_public_run(status=PublicationStatus.cancelled), Conflict),
        (await make_public_run(start=FROZEN_NOW - timedelta(days=30), dates=1), Conflict),
    ]
    closed = await make_public_run()
    await Cohort.update({Cohort.registration_closes_at: FROZEN_NOW - timedelta(hours=1)}).where(
        Cohort.id == closed
    )
    not_yet = await make_public_run()
    await Cohort.update({Cohort.registration_opens_at: FROZEN_NOW + timedelta(days=1)}).where(
        Cohort.id == not_yet
    )
    cases += [(closed, Conflict), (not_yet, Conflict), (999_999, NotFound)]
    for cohort, error_type in cases:
        with pytest.raises(error_type):  # type: ignore[call-overload]
            await register(cohort, person(1))
    assert await Registration.count() == 0


async def test_raising_capacity_promotes_and_lowering_needs_named_people() -> None:
    cohort = await make_public_run(capacity=2)
    a = await register(cohort, person(1, seats=2))
    b = await register(cohort, person(2, seats=1))
    coordinator = await make_staff(Role.coordinator)
    promoted = await registrations.change_capacity(
        staff=coordinator, cohort_id=cohort, change=CapacityChange(capacity=3), mail=MAIL
    )
    assert promoted == [b.registration_id]
    with pytest.raises(Conflict) as refused:
        await registrations.change_capacity(
            staff=coordinator, cohort_id=cohort, change=CapacityChange(capacity=1), mail=MAIL
        )
    assert refused.value.field == "move_to_waiting"
    assert await seats_taken(cohort) == 3
    await Outbox.delete(force=True)
    await registrations.change_capacity(
        staff=coordinator,
        cohort_id=cohort,
        change=CapacityChange(
            capacity=1, move_to_waiting=[a.registration_id], reason="Raum kleiner"
        ),
        mail=MAIL,
    )
    rows = {r["id"]: r for r in await Registration.select()}
    assert rows[a.registration_id]["status"] == "waiting"
    assert rows[b.registration_id]["status"] == "confirmed"
    assert await seats_taken(cohort) == 1
    mail = await Outbox.select().first()
    assert mail is not None and mail["to_address"] == "person1@example.org"
    assert "Raum kleiner" in mail["body_text"]
    assert await AuditEvent.count().where(AuditEvent.action == "registration.moved_to_waiting") == 1


async def test_only_coordinators_manage_registrations() -> None:
    cohort = await make_public_run(capacity=2)
    outcome = await register(cohort, person(1))
    for role in (Role.partner, Role.trainer):
        staff = await make_staff(role)
        with pytest.raises(Forbidden):
            await registrations.cancel_registration(
                staff=staff, registration_id=outcome.registration_id, reason="", mail=MAIL
            )
        with pytest.raises(Forbidden):
            await registrations.list_registrations(staff=staff, cohort_id=cohort)
    assert await seats_taken(cohort) == 1


async def test_the_registrations_of_an_unknown_cohort_are_not_found() -> None:
    """Like the staff page of the list: an empty list would say the cohort exists."""
    coordinator = await make_staff(Role.coordinator)
    with pytest.raises(NotFound) as error:
        await registrations.list_registrations(staff=coordinator, cohort_id=4242)
    assert error.value.field == "cohort"


async def test_moving_between_lists_is_audited_and_never_overbooks() -> None:
    cohort = await make_public_run(capacity=1)
    a = await register(cohort, person(1))
    b = await register(cohort, person(2))
    coordinator = await make_staff(Role.coordinator)
    with pytest.raises(Conflict):
        await registrations.move_registration(
            staff=coordinator,
            registration_id=b.registration_id,
            to="confirmed",
            reason="Ehrenamt",
            mail=MAIL,
        )
    await registrations.move_registration(
        staff=coordinator,
        registration_id=a.registration_id,
        to="waiting",
        reason="Tausch",
        mail=MAIL,
    )
    rows = {
        r["id"]: r["status"]
        for r in await Registration.select(Registration.id, Registration.status)
    }
    assert rows == {a.registration_id: "waiting", b.registration_id: "confirmed"}
    assert await seats_taken(cohort) == 1
    with pytest.raises(InvalidInput):
        await registrations.move_registration(
            staff=coordinator,
            registration_id=a.registration_id,
            to="confirmed",
            reason=" ",
            mail=MAIL,
        )


async def test_a_failed_change_leaves_no_mail_behind() -> None:
    cohort = await make_public_run(capacity=1)
    await register(cohort, person(1))
    await Outbox.delete(force=True)
    coordinator = await make_staff(Role.coordinator)
    with pytest.raises(NotFound):
        await registrations.change_capacity(
            staff=coordinator,
            cohort_id=cohort,
            change=CapacityChange(capacity=0, move_to_waiting=[424242], reason="x"),
            mail=MAIL,
        )
    assert await Outbox.count() == 0
    assert await seats_taken(cohort) == 1


async def test_a_reason_that_copies_a_cancel_slot_never_becomes_a_working_link() -> None:
    coordinator = await make_staff(Role.coordinator)
    cohort = await make_public_run(capacity=2)
    victim = await register(cohort, person(1))
    other = await register(cohort, person(2))
    stored = (
        await Outbox.select(Outbox.body_text).where(Outbox.related_id == victim.registration_id)
    )[0]["body_text"]
    slot = stored.split("/events/cancel/")[1].split()[0]
    assert links.has_slot(slot)  # what the back office shows of the victim's link
    await registrations.cancel_registration(
        staff=coordinator,
        registration_id=other.registration_id,
        reason=f"see {slot}",
        mail=MAIL,
    )
    (told,) = await Outbox.select(Outbox.body_text).where(
        (Outbox.related_id == other.registration_id) & Outbox.subject.like("Anmeldung storniert%")
    )
    assert "see (secret:cancel:" in told["body_text"]  # the reason, made inert
    assert not links.has_slot(told["body_text"])
    token = links.fill(slot)
    assert token not in links.fill(told["body_text"])
    assert (await registrations.registration_for_token(token)).status == "confirmed"
