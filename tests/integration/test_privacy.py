"""Data subjects' rights and retention, on both engines: export shows everything, erasure
leaves no trace of a person in any table (searched with planted markers) while every
report stays the same, and retention anonymises only what is due, once."""

from __future__ import annotations

import base64
import logging
from datetime import date, datetime, timedelta

import msgspec
import pytest

from programmes.backup import table_fingerprints
from programmes.db import engine, fetch, write_transaction
from programmes.domain.access import Staff
from programmes.domain.enrolment import families, registrations
from programmes.domain.enrolment.families import ChildInput, FamilyInput, GuardianInput
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import PersonInput
from programmes.domain.errors import Forbidden, NotFound
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.domain.privacy import erasure, export, retention
from programmes.domain.privacy.subjects import SubjectKind
from programmes.domain.reporting import reports
from programmes.domain.reporting.reports import ReportFilter
from programmes.settings import parse_database_url
from programmes.tables import Attendance, Outbox, Registration, Session
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_family_registration,
    make_person_registration,
    make_public_run,
    make_rucksack_group,
    make_staff,
)

MAIL = MailContext(base_url="https://programme.example.org", now=FROZEN_NOW)
LATER = FROZEN_NOW + timedelta(days=60)
#: Planted in every personal field; none may survive erasure anywhere in the database.
MARKERS = ("zmarker", "99887766", "77665544", "2021-02-03", "date(2021, 2, 3)")


async def plant_person(cohort: int) -> tuple[int, int]:
    outcome = await registrations.register_person(
        cohort_id=cohort,
        data=PersonInput(
            name="Zmarkerperson Quux",
            email="zmarker.person@example.org",
            phone="0151 99887766",
            seats=1,
            needs="zmarker needs: a ramp",
            consent=True,
        ),
        notice_version="2026-09",
        mail=MAIL,
    )
    row = (
        await Registration.select(Registration.person)
        .where(Registration.id == outcome.registration_id)
        .first()
    )
    assert row is not None
    return int(row["person"]), outcome.registration_id


async def plant_family(partner: Staff, cohort: int) -> tuple[int, int]:
    view = await families.enrol_family(
        staff=partner,
        cohort_id=cohort,
        data=FamilyInput(
            guardians=[
                GuardianInput(
                    name="Zmarkerguardian Quux",
                    languages=["Türkisch"],
                    email="zmarker.guardian@example.org",
                    phone="0151 77665544",
                )
            ],
            children=[ChildInput(first_name="Zmarkerchild", date_of_birth=date(2021, 2, 3))],
            consent_method="paper",
            consent_given_on=date(2026, 11, 20),
        ),
        form_key="privacy-test",
        notice_version="2026-09",
        mail=MAIL,
    )
    assert view.registration_id is not None
    return view.id, view.registration_id


async def mark_present(cohort: int, registration_id: int, recorded_by: int) -> None:
    for session in await Session.select(Session.id).where(Session.cohort == cohort):
        await Attendance.insert(
            Attendance(
                session=session["id"],
                registration=registration_id,
                mark="present",
                recorded_by=recorded_by,
            )
        )


async def dump_text() -> str:
    """Every row of every table, as text: what a stolen database copy would show."""
    url = "sqlite:///x" if engine().__class__.__name__ != "PostgresEngine" else "postgresql://x/y"
    texts = []
    for table in await table_fingerprints(parse_database_url(url)):
        rows = await fetch(f'SELECT * FROM "{table.table}"')
        texts.append(repr(rows))
    return "\n".join(texts).lower()


def hits(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


async def plant_mail_headers(person_registration: int) -> None:
    """Mails whose every header holds a marker: one about the person's registration sent to
    an address they no longer have (found by the registration, not the address), and one
    about a session sent to the guardian (found by the address)."""
    attachment = base64.b64decode("zmarker1zmarker2")  # stored as this base64 text
    async with write_transaction():
        await enqueue(
            OutgoingMail(
                to_address="zmarker.old@example.org",
                subject="Zmarker Quux: Ihre Anmeldung",
                body_text="Hallo Zmarkerperson Quux",
                attachment_name="zmarker-quux.ics",
                attachment=attachment,
                related_type="registration",
                related_id=person_registration,
            ),
            now=FROZEN_NOW,
        )
        await enqueue(
            OutgoingMail(
                to_address="zmarker.guardian@example.org",
                subject="Zmarkerguardian: Termin entfällt",
                body_text="Hallo Zmarkerguardian Quux",
                attachment_name="zmarker.ics",
                attachment=attachment,
                related_type="session",
                related_id=1,
            ),
            now=FROZEN_NOW,
        )
    await fetch(
        "UPDATE outbox SET last_error = {}, failed_at = {} WHERE subject LIKE 'Zmarker%'",
        "recipient refused: 550 zmarker.old@example.org unknown",
        FROZEN_NOW,
    )


async def outbox_columns_with_markers() -> set[str]:
    return {
        column
        for row in await fetch("SELECT * FROM outbox")
        for column, value in row.items()
        if hits(str(value).lower())
    }


async def report_bytes(coordinator: Staff) -> bytes:
    report = await reports.build_report(
        staff=coordinator,
        filters=ReportFilter(date_from=date(2026, 1, 1), date_to=date(2027, 12, 31)),
        now=LATER,
    )
    return msgspec.json.encode(report)


async def test_erasure_leaves_no_marker_anywhere_and_reports_unchanged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # the service logs at INFO (the database drivers' DEBUG lines echo every parameter)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="programmes")
    coordinator = await make_staff(Role.coordinator)
    run = await make_public_run(capacity=10)
    kita, group = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    person_id, person_registration = await plant_person(run)
    family_id, family_registration = await plant_family(partner, group)
    await mark_present(run, person_registration, coordinator.id)
    await mark_present(group, family_registration, coordinator.id)
    assert await Outbox.count() >= 2  # confirmations with the cancel link
    await plant_mail_headers(person_registration)
    assert await outbox_columns_with_markers() == {
        "to_address",
        "subject",
        "body_text",
        "attachment",
        "attachment_name",
        "last_error",
    }
    planted = hits(await dump_text())  # the date of birth shows in one form per engine
    assert {"zmarker", "99887766", "77665544"} <= set(planted) and len(planted) == 4
    before = await report_bytes(coordinator)

    await erasure.erase_subject(
        staff=coordinator, kind=SubjectKind.person, subject_id=person_id, now=LATER
    )
    await erasure.erase_subject(
        staff=coordinator, kind=SubjectKind.family, subject_id=family_id, now=LATER
    )

    assert hits(await dump_text()) == []
    assert await outbox_columns_with_markers() == set()
    assert hits(caplog.text.lower()) == []
    assert await report_bytes(coordinator) == before
    actions = await fetch("SELECT action FROM audit_event WHERE action LIKE '%erased'")
    assert sorted(a["action"] for a in actions) == ["family.erased", "person.erased"]
    # erasing again is harmless
    await erasure.erase_subject(
        staff=coordinator, kind=SubjectKind.family, subject_id=family_id, now=LATER
    )
    assert await report_bytes(coordinator) == before


async def test_export_holds_every_field_consent_attendance_and_mail() -> None:
    coordinator = await make_staff(Role.coordinator)
    kita, group = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    family_id, registration_id = await plant_family(partner, group)
    await mark_present(group, registration_id, coordinator.id)

    data = await export.export_subject(
        staff=coordinator, kind=SubjectKind.family, subject_id=family_id, now=LATER
    )

    assert data["guardians"][0]["name"] == "Zmarkerguardian Quux"
    assert data["guardians"][0]["phone"] == "+4915177665544"  # stored in E.164
    assert data["guardians"][0]["languages"] == ["Türkisch"]
    assert data["children"][0]["first_name"] == "Zmarkerchild"
    assert str(data["children"][0]["date_of_birth"]).startswith("2021-02-03")
    [registration] = data["registrations"]
    assert registration["consent"]["method"] == "paper"
    assert registration["consent"]["notice_version"] == "2026-09"
    assert registration["consent"]["recorded_by_account"] == partner.id
    assert len(data["attendance"]) == 4
    assert {m["to_address"] for m in data["mails"]} == {"zmarker.guardian@example.org"}
    assert any(e["action"].startswith("family.enrolled") for e in data["audit"])
    msgspec.json.encode(data)  # JSON as it stands
    exported = await fetch("SELECT action FROM audit_event WHERE action = 'family.exported'")
    assert len(exported) == 1


async def test_only_coordinators_export_or_erase_and_unknown_ids_are_not_found() -> None:
    kita, group = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    trainer = await make_staff(Role.trainer)
    family_id, _ = await plant_family(partner, group)
    for staff in (partner, trainer):
        with pytest.raises(Forbidden):
            await export.export_subject(
                staff=staff, kind=SubjectKind.family, subject_id=family_id, now=LATER
            )
        with pytest.raises(Forbidden):
            await erasure.erase_subject(
                staff=staff, kind=SubjectKind.family, subject_id=family_id, now=LATER
            )
    coordinator = await make_staff(Role.coordinator)
    with pytest.raises(NotFound):
        await erasure.erase_subject(
            staff=coordinator, kind=SubjectKind.person, subject_id=999, now=LATER
        )
    assert "zmarker" in await dump_text()  # nothing was erased


async def test_retention_anonymises_only_what_is_due_and_only_once() -> None:
    policy = retention.RetentionPolicy(public_days=30, family_months=24, mail_days=30)
    old_run = await make_public_run(start=FROZEN_NOW - timedelta(days=90))
    recent_run = await make_public_run(start=FROZEN_NOW - timedelta(days=7), dates=1)
    await make_person_registration(old_run, "Zmarkerperson Quux")
    await make_person_registration(recent_run, "Still Here")
    [old_person] = [
        int(r["id"]) for r in await fetch("SELECT id FROM person WHERE name LIKE 'Zmarker%'")
    ]
    await fetch("UPDATE person SET created_at = {}", FROZEN_NOW - timedelta(days=100))
    for address, sent in (
        ("zmarker.person@example.org", FROZEN_NOW - timedelta(days=40)),
        ("still@example.org", FROZEN_NOW - timedelta(days=5)),
    ):
        await Outbox.insert(
            Outbox(
                message_id=f"<{sent.timestamp()}@programme.example.org>",
                to_address=address,
                subject="Anmeldung",
                body_text=f"Hallo, {address}: your cancel link",
                sent_at=sent,
            )
        )

    plan = await retention.apply_retention(policy, now=FROZEN_NOW, dry_run=True)
    assert plan.people == (old_person,)
    assert plan.families == ()
    assert plan.mails == 1
    assert "Would anonymise 1 public registrant" in plan.summary()
    assert "zmarker" in await dump_text()  # a dry run changes nothing

    done = await retention.apply_retention(policy, now=FROZEN_NOW)
    assert done.people == (old_person,)
    assert hits(await dump_text()) == []
    kept = await fetch("SELECT name FROM person WHERE id <> {}", old_person)
    assert [dict(row) for row in kept] == [{"name": "Still Here"}]
    still = await Outbox.select(Outbox.body_text).where(Outbox.to_address == "still@example.org")
    assert still and still[0]["body_text"]

    again = await retention.apply_retention(policy, now=FROZEN_NOW)
    assert again.people == () and again.mails == 0


async def test_families_are_kept_for_the_configured_months() -> None:
    policy = retention.RetentionPolicy(family_months=24)
    kita, old_group = await make_rucksack_group(first=FROZEN_NOW - timedelta(days=800))
    _, new_group = await make_rucksack_group(kita_id=kita, first=FROZEN_NOW - timedelta(days=300))
    await make_family_registration(old_group, kita, ("Zmarkerguardian Old",))
    [old_family] = [int(r["id"]) for r in await fetch("SELECT id FROM family")]
    await fetch("UPDATE family SET created_at = {}", FROZEN_NOW - timedelta(days=900))
    await fetch("UPDATE cohort SET created_at = {}", FROZEN_NOW - timedelta(days=900))
    assert (await retention.apply_retention(policy, now=FROZEN_NOW, dry_run=True)).families == (
        old_family,
    )
    # enrolled again in a group that ended ten months ago: kept
    await Registration.insert(
        Registration(
            cohort=new_group,
            family=old_family,
            seats=1,
            status="confirmed",
            consent_notice_version="x",
            consent_method="paper",
            consent_given_on=FROZEN_NOW.date(),
        )
    )
    assert (await retention.apply_retention(policy, now=FROZEN_NOW, dry_run=True)).families == ()


def test_months_before_keeps_the_day_or_takes_the_last_of_a_shorter_month() -> None:
    at = datetime(2027, 3, 31, 12, 0)
    policy = retention.RetentionPolicy(public_days=0, family_months=1, mail_days=0)
    assert policy.cutoffs(at)[1] == datetime(2027, 2, 28, 12, 0)
    assert retention.RetentionPolicy(family_months=24).cutoffs(at)[1] == datetime(
        2025, 3, 31, 12, 0
    )
