"""The data model's promises are kept by the database itself, on both engines."""

from __future__ import annotations

from datetime import date

import pytest

from programmes.db import engine
from programmes.tables import ALL_TABLES, Cohort, Person, Registration
from programmes.vocabulary import ProgrammeKind, RegistrationStatus
from tests.factories import make_cohort, make_programme


async def test_migrations_created_every_table() -> None:
    for table in ALL_TABLES:
        assert await table.table_exists(), table._meta.tablename


async def test_seats_taken_can_never_exceed_capacity() -> None:
    cohort_id = await make_cohort(await make_programme(), capacity=2)
    await Cohort.update({Cohort.seats_taken: 2}).where(Cohort.id == cohort_id)
    with pytest.raises(Exception, match=r"(?i)check"):
        await Cohort.update({Cohort.seats_taken: 3}).where(Cohort.id == cohort_id)
    row = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort_id).first()
    assert row is not None
    assert row["seats_taken"] == 2


async def _person() -> int:
    rows = await Person.insert(Person(name="Test Person", email="t@example.org"))
    return int(rows[0]["id"])


def _registration(cohort_id: int, person_id: int, **overrides: object) -> Registration:
    values: dict[str, object] = {
        "cohort": cohort_id,
        "person": person_id,
        "seats": 1,
        "status": RegistrationStatus.confirmed.value,
        "consent_notice_version": "test",
        "consent_method": "online",
        "consent_given_on": date(2026, 11, 25),
    }
    values.update(overrides)
    return Registration(**values)  # type: ignore[arg-type]


async def test_one_registration_per_cohort_and_person() -> None:
    cohort_id = await make_cohort(await make_programme())
    person_id = await _person()
    await Registration.insert(_registration(cohort_id, person_id))
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        await Registration.insert(_registration(cohort_id, person_id))
    assert await Registration.count() == 1


async def test_waiting_registrations_need_a_position() -> None:
    cohort_id = await make_cohort(await make_programme(ProgrammeKind.info_event))
    person_id = await _person()
    with pytest.raises(Exception, match=r"(?i)check"):
        await Registration.insert(
            _registration(cohort_id, person_id, status=RegistrationStatus.waiting.value)
        )
    assert await Registration.count() == 0


async def test_foreign_keys_are_enforced() -> None:
    person_id = await _person()
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await Registration.insert(_registration(999_999, person_id))


async def test_sqlite_runs_with_wal_and_full_sync() -> None:
    db = engine()
    if db.engine_type != "sqlite":
        pytest.skip("SQLite only")
    journal = await db.run_ddl("PRAGMA journal_mode")
    synchronous = await db.run_ddl("PRAGMA synchronous")
    assert journal[0]["journal_mode"] == "wal"
    assert synchronous[0]["synchronous"] == 2  # FULL
