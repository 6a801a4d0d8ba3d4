"""Generating, regenerating and changing a cohort's sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from holidays.countries.germany import Germany

from programmes.clock import BERLIN
from programmes.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from programmes.domain.planning import schedules, sessions
from programmes.domain.planning.schedules import RuleInput
from programmes.tables import (
    Attendance,
    AuditEvent,
    ClosureDay,
    Cohort,
    Family,
    Guardian,
    Outbox,
    Person,
    Registration,
    Session,
)
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_kita, make_programme, make_staff

NOW = FROZEN_NOW  # Wednesday 2026-11-25, 10:00 in Berlin
NRW = Germany(subdiv="NW", years=range(2026, 2029))


async def rucksack_cohort(*, closures: bool = True) -> tuple[int, int]:
    kita = await make_kita()
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    from programmes.domain.catalogue.entries import RUCKSACK_THEMES
    from programmes.tables import Programme

    await Programme.update({Programme.themes: list(RUCKSACK_THEMES)}).where(
        Programme.id == programme
    )
    if closures:
        await ClosureDay.insert(
            ClosureDay(
                kita=kita,
                first_day=date(2026, 12, 21),
                last_day=date(2027, 1, 1),
                reason="Weihnachtsschließung",
            ),
            ClosureDay(
                kita=kita,
                first_day=date(2027, 2, 2),
                last_day=date(2027, 2, 2),
                reason="Betriebsausflug",
            ),
        )
    return kita, await make_cohort(programme, kita_id=kita, capacity=12)


KITA_YEAR = RuleInput(
    weekdays=[3],
    start_time="09:00",
    duration_minutes=120,
    first_day=date(2026, 12, 1),
    count=30,
)


async def test_a_kita_year_comes_out_right_in_one_step() -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort()
    rule = RuleInput(
        weekdays=[1],
        start_time="09:00",
        duration_minutes=120,
        first_day=date(2026, 12, 1),
        count=30,
    )
    preview = await schedules.preview_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=rule, now=NOW
    )
    assert await Session.count() == 0  # a preview stores nothing
    reasons = {s.day: s.reason for s in preview.skipped}
    assert reasons[date(2026, 12, 22)] == "KiTa geschlossen: Weihnachtsschließung"
    assert reasons[date(2027, 2, 2)] == "KiTa geschlossen: Betriebsausflug"
    saved = await schedules.save_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=rule, now=NOW
    )
    assert saved.saved and len(saved.sessions) == 30
    rows = await Session.select().where(Session.cohort == cohort_id).order_by(Session.starts_at)
    assert len(rows) == 30
    for row in rows:
        local = row["starts_at"].astimezone(BERLIN)
        assert (local.hour, local.minute, local.weekday()) == (9, 0, 1)
        assert local.date() not in NRW
        assert row["ends_at"] - row["starts_at"] == timedelta(hours=2)
    themes = [row["theme"] for row in rows]
    assert themes[:4] == ["Der Körper"] * 3 + ["Die Kleidung"]
    # summer time starts 2027-03-28: 09:00 stays 09:00 while the UTC hour changes
    utc_hours = {row["starts_at"].astimezone(UTC).hour for row in rows}
    assert utc_hours == {7, 8}
    events = await AuditEvent.select().where(AuditEvent.action == "schedule.saved")
    assert len(events) == 1


async def test_the_holiday_name_is_the_reason_for_a_skip() -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort(closures=False)
    rule = RuleInput(
        weekdays=[3],
        start_time="17:00",
        duration_minutes=90,
        first_day=date(2027, 5, 1),
        last_day=date(2027, 6, 30),
    )
    preview = await schedules.preview_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=rule, now=NOW
    )
    assert {(s.day, s.reason) for s in preview.skipped} >= {
        (date(2027, 5, 6), "Feiertag: Christi Himmelfahrt"),
        (date(2027, 5, 27), "Feiertag: Fronleichnam"),
    }


@pytest.mark.parametrize(
    ("rule", "field", "words"),
    [
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=61,
            ),
            "count",
            "60",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=0,
            ),
            "count",
            "1",
        ),
        (
            RuleInput(
                weekdays=[0, 1, 2, 3],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "weekdays",
            "3",
        ),
        (
            RuleInput(
                weekdays=[1, 1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "weekdays",
            "repeat",
        ),
        (
            RuleInput(
                weekdays=[7],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "weekdays",
            "6",
        ),
        (
            RuleInput(
                weekdays=[],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "weekdays",
            "one",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=0,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "duration_minutes",
            "zero",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=13 * 60,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "duration_minutes",
            "12",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="9 Uhr",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
            ),
            "start_time",
            "09:00",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
                every_weeks=0,
            ),
            "every_weeks",
            "4",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                count=8,
                every_weeks=5,
            ),
            "every_weeks",
            "4",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                last_day=date(2027, 1, 4),
            ),
            "last_day",
            "before",
        ),
        (
            RuleInput(
                weekdays=[1],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 5),
                last_day=date(2029, 3, 1),
            ),
            "last_day",
            "2 years",
        ),
        (
            RuleInput(
                weekdays=[1], start_time="09:00", duration_minutes=60, first_day=date(2027, 1, 5)
            ),
            "last_day",
            "either",
        ),
        (
            RuleInput(
                weekdays=[6],
                start_time="02:30",
                duration_minutes=60,
                first_day=date(2027, 3, 21),
                count=3,
            ),
            "start_time",
            "does not exist",
        ),
        (
            RuleInput(
                weekdays=[0, 2, 4],
                start_time="09:00",
                duration_minutes=60,
                first_day=date(2027, 1, 4),
                last_day=date(2027, 12, 31),
            ),
            "last_day",
            "60",
        ),
    ],
)
async def test_bad_rules_are_refused_naming_the_field(
    rule: RuleInput, field: str, words: str
) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort()
    for use_case in (schedules.preview_schedule, schedules.save_schedule):
        with pytest.raises(InvalidInput) as error:
            await use_case(staff=coordinator, cohort_id=cohort_id, rule=rule, now=NOW)
        assert error.value.field == field
        assert words in error.value.message
    assert await Session.count() == 0
    assert await AuditEvent.count().where(AuditEvent.action == "schedule.saved") == 0


async def test_an_ambiguous_autumn_time_is_the_first_occurrence() -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort(closures=False)
    rule = RuleInput(
        weekdays=[6], start_time="02:30", duration_minutes=60, first_day=date(2027, 10, 31), count=1
    )
    plan = await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=rule, now=NOW)
    start = plan.sessions[0].starts_at
    assert start.utcoffset() == timedelta(hours=2)  # still summer time


async def test_partners_and_trainers_cannot_change_a_schedule() -> None:
    _, cohort_id = await rucksack_cohort()
    for role in (Role.partner, Role.trainer):
        with pytest.raises(Forbidden):
            await schedules.save_schedule(
                staff=await make_staff(role), cohort_id=cohort_id, rule=KITA_YEAR, now=NOW
            )
    assert await Session.count() == 0


async def test_a_rule_for_an_unknown_cohort_is_not_found() -> None:
    with pytest.raises(NotFound):
        await schedules.save_schedule(
            staff=await make_staff(Role.coordinator), cohort_id=424242, rule=KITA_YEAR, now=NOW
        )


async def _register_person(cohort_id: int, email: str, language: str = "de") -> int:
    person = await Person.insert(Person(name="Ein Mensch", email=email, language=language))
    rows = await Registration.insert(
        Registration(
            cohort=cohort_id,
            person=person[0]["id"],
            seats=1,
            status="confirmed",
            language=language,
            consent_notice_version="t",
            consent_method="online",
            consent_given_on=date(2026, 11, 1),
        )
    )
    return int(rows[0]["id"])


async def test_regenerating_changes_only_the_future_without_attendance() -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort(closures=False)
    first_rule = RuleInput(
        weekdays=[1],
        start_time="09:00",
        duration_minutes=120,
        first_day=date(2026, 11, 3),
        count=10,
    )
    await schedules.save_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=first_rule, now=NOW - timedelta(days=30)
    )
    registration = await _register_person(cohort_id, "mensch@example.org")
    before = {r["id"]: r for r in await Session.select().where(Session.cohort == cohort_id)}
    past = [i for i, r in before.items() if r["starts_at"] <= NOW]
    future = sorted((r["starts_at"], i) for i, r in before.items() if r["starts_at"] > NOW)
    attended_id = future[0][1]  # a future session someone already marked (paper list)
    await Attendance.insert(
        Attendance(session=attended_id, registration=registration, mark="present")
    )

    # new rule: Tuesdays from the second future week, but only 7 sessions in all
    second_rule = RuleInput(
        weekdays=[1], start_time="09:00", duration_minutes=120, first_day=date(2026, 11, 3), count=7
    )
    plan = await schedules.save_schedule(
        staff=coordinator, cohort_id=cohort_id, rule=second_rule, now=NOW
    )
    after = {r["id"]: r for r in await Session.select().where(Session.cohort == cohort_id)}
    for session_id in [*past, attended_id]:
        assert after[session_id] == before[session_id]  # history is never touched
    cancelled = [r for r in after.values() if r["status"] == "cancelled"]
    assert len(cancelled) == 3
    assert all(r["sequence"] == 1 and r["updated_at"] == NOW for r in cancelled)
    assert {c.session_id for c in plan.cancelled} == {r["id"] for r in cancelled}
    assert len(after) == len(before)  # nothing deleted, nothing new
    mails = await Outbox.select()
    assert len(mails) == 1 and mails[0]["to_address"] == "mensch@example.org"
    assert "Geänderte Termine" in mails[0]["subject"]


async def test_moving_a_session_keeps_its_identity_and_tells_everyone() -> None:
    coordinator = await make_staff(Role.coordinator)
    kita, cohort_id = await rucksack_cohort(closures=False)
    await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=KITA_YEAR, now=NOW)
    await _register_person(cohort_id, "english@example.org", language="en")
    family = await Family.insert(Family(kita=kita))
    await Guardian.insert(
        Guardian(
            family=family[0]["id"], name="Ayşe", languages=["Türkisch"], email="ayse@example.org"
        ),
        Guardian(
            family=family[0]["id"], name="Mehmet", languages=["Türkisch"], reach_via_kita=True
        ),
    )
    await Registration.insert(
        Registration(
            cohort=cohort_id,
            family=family[0]["id"],
            status="confirmed",
            consent_notice_version="t",
            consent_method="paper",
            consent_given_on=date(2026, 11, 1),
        )
    )
    session = (await sessions.list_sessions(staff=coordinator, cohort_id=cohort_id))[0]
    new_start = datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN)
    moved = await sessions.move_session(
        staff=coordinator,
        session_id=session.id,
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=2),
        location="Turnhalle",
        now=NOW,
    )
    assert moved.id == session.id
    assert moved.sequence == session.sequence + 1
    assert moved.starts_at == new_start and moved.location == "Turnhalle"
    assert moved.updated_at == NOW
    audit = await AuditEvent.select().where(AuditEvent.action == "session.moved").first()
    assert audit is not None and audit["object_id"] == session.id
    assert "Ayşe" not in str(audit["detail"]) and "@" not in str(audit["detail"])
    mails = {m["to_address"]: m for m in await Outbox.select()}
    assert set(mails) == {"english@example.org", "ayse@example.org"}
    assert mails["english@example.org"]["subject"].startswith("New date")
    assert "14:00" in mails["ayse@example.org"]["body_text"]
    assert "Turnhalle" in mails["ayse@example.org"]["body_text"]


@pytest.mark.parametrize(
    ("start", "hours", "field"),
    [
        (datetime(2026, 12, 3, 14, 0), 2, "starts_at"),
        (datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN), -1, "ends_at"),
        (datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN), 0, "ends_at"),
        (datetime(2026, 12, 3, 8, 0, tzinfo=BERLIN), 13, "ends_at"),
    ],
)
async def test_bad_moves_are_refused(start: datetime, hours: int, field: str) -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort(closures=False)
    await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=KITA_YEAR, now=NOW)
    session = (await sessions.list_sessions(staff=coordinator, cohort_id=cohort_id))[0]
    end = start + timedelta(hours=hours)
    with pytest.raises(InvalidInput) as error:
        await sessions.move_session(
            staff=coordinator,
            session_id=session.id,
            starts_at=start,
            ends_at=end,
            location=None,
            now=NOW,
        )
    assert error.value.field == field
    unchanged = await sessions.get_session(staff=coordinator, session_id=session.id)
    assert unchanged == session


async def test_cancelling_keeps_the_session_with_a_reason() -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort(closures=False)
    await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=KITA_YEAR, now=NOW)
    await _register_person(cohort_id, "mensch@example.org")
    session = (await sessions.list_sessions(staff=coordinator, cohort_id=cohort_id))[1]
    with pytest.raises(InvalidInput) as error:
        await sessions.cancel_session(
            staff=coordinator, session_id=session.id, reason="  ", now=NOW
        )
    assert error.value.field == "reason"
    for note, message in (
        ("Bitte\r\nnicht kommen", "Contains characters that are not allowed."),
        ("Bitte\nnicht kommen", "Contains characters that are not allowed."),
        ("x" * 2000, "At most %(max)s characters, please."),
    ):
        with pytest.raises(InvalidInput) as error:
            await sessions.cancel_session(
                staff=coordinator,
                session_id=session.id,
                reason="Trainerin krank",
                public_note=note,
                now=NOW,
            )
        assert (error.value.field, error.value.template) == ("public_note", message)
    unchanged = await sessions.get_session(staff=coordinator, session_id=session.id)
    assert (unchanged.status, unchanged.public_cancel_note) == ("scheduled", "")
    assert await Outbox.count() == 0
    cancelled = await sessions.cancel_session(
        staff=coordinator,
        session_id=session.id,
        reason="Trainerin krank",
        public_note="Der Termin wird nachgeholt.",
        now=NOW,
    )
    assert (cancelled.status, cancelled.sequence) == ("cancelled", session.sequence + 1)
    assert cancelled.cancel_reason == "Trainerin krank"
    assert cancelled.public_cancel_note == "Der Termin wird nachgeholt."
    assert await Session.count() == 30
    mail = await Outbox.select().first()
    # the mail goes to the public: the public note, never the internal reason
    assert mail is not None and "Der Termin wird nachgeholt." in mail["body_text"]
    assert "Trainerin krank" not in mail["body_text"]
    with pytest.raises(Conflict):
        await sessions.cancel_session(
            staff=coordinator, session_id=session.id, reason="again", now=NOW
        )
    with pytest.raises(Conflict):
        start = session.starts_at + timedelta(days=1)
        await sessions.move_session(
            staff=coordinator,
            session_id=session.id,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location=None,
            now=NOW,
        )


async def test_the_groups_trainer_may_change_a_theme_others_may_not() -> None:
    coordinator = await make_staff(Role.coordinator)
    trainer = await make_staff(Role.trainer)
    stranger = await make_staff(Role.trainer)
    substitute = await make_staff(Role.trainer)
    _, cohort_id = await rucksack_cohort(closures=False)
    from programmes.tables import CohortTrainer

    await CohortTrainer.insert(CohortTrainer(cohort=cohort_id, trainer=trainer.id))
    await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=KITA_YEAR, now=NOW)
    session = (await sessions.list_sessions(staff=coordinator, cohort_id=cohort_id))[0]
    changed = await sessions.change_theme(
        staff=trainer, session_id=session.id, theme="Die Tiere", now=NOW
    )
    assert changed.theme == "Die Tiere"
    with pytest.raises(NotFound):
        await sessions.change_theme(staff=stranger, session_id=session.id, theme="x", now=NOW)
    with pytest.raises(NotFound):
        await sessions.get_session(staff=substitute, session_id=session.id)
    await sessions.set_substitute(
        staff=coordinator, session_id=session.id, trainer_id=substitute.id, now=NOW
    )
    seen = await sessions.get_session(staff=substitute, session_id=session.id)
    assert seen.substitute_id == substitute.id
    with pytest.raises(NotFound):
        await sessions.set_substitute(
            staff=coordinator, session_id=session.id, trainer_id=coordinator.id, now=NOW
        )


async def test_largest_rule_expands_and_saves() -> None:
    coordinator = await make_staff(Role.coordinator)
    _, cohort_id = await rucksack_cohort(closures=False)
    rule = RuleInput(
        weekdays=[0, 2, 4],
        start_time="18:00",
        duration_minutes=720,
        first_day=date(2027, 1, 4),
        count=60,
    )
    plan = await schedules.save_schedule(staff=coordinator, cohort_id=cohort_id, rule=rule, now=NOW)
    assert len(plan.sessions) == 60
    assert await Session.count() == 60
    cohort = await Cohort.select(Cohort.schedule_rule).first()
    assert cohort is not None and "60" in str(cohort["schedule_rule"])
