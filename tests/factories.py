"""Factories for test data: each makes one valid object with sensible defaults and
returns what a test needs (ids, the plain password). Dates derive from the frozen clock."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.tables import (
    Cohort,
    CohortTrainer,
    Family,
    Guardian,
    Kita,
    Person,
    Programme,
    Registration,
    Session,
)
from programmes.vocabulary import (
    ConsentMethod,
    ProgrammeKind,
    PublicationStatus,
    RegistrationStatus,
    Role,
)
from tests.conftest import FROZEN_NOW

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


async def make_kita(name: str | None = None) -> int:
    rows = await Kita.insert(Kita(name=name or f"KiTa {next(_counter)}", address="Teststraße 1"))
    return int(rows[0]["id"])


async def make_staff(
    role: Role = Role.coordinator,
    *,
    kita_id: int | None = None,
    email: str | None = None,
    password: str = PASSWORD,
    name: str = "",
) -> Staff:
    if role is Role.partner and kita_id is None:
        kita_id = await make_kita()
    return await staff_accounts.create_account(
        email=email or f"{role.value}{next(_counter)}@staff.example",
        password=password,
        role=role.value,
        name=name or f"{role.value.title()} {next(_counter)}",
        kita_id=kita_id,
        now=FROZEN_NOW,
    )


async def make_programme(
    kind: ProgrammeKind = ProgrammeKind.training,
    *,
    is_public: bool = True,
    status: PublicationStatus = PublicationStatus.published,
    title: str | None = None,
) -> int:
    rows = await Programme.insert(
        Programme(
            kind=kind.value,
            title=title or f"Programm {next(_counter)}",
            is_public=is_public,
            status=status.value,
            min_age_years=4 if kind is ProgrammeKind.rucksack else None,
            max_age_years=6 if kind is ProgrammeKind.rucksack else None,
            themes=[],
        )
    )
    return int(rows[0]["id"])


async def make_cohort(
    programme_id: int,
    *,
    kita_id: int | None = None,
    capacity: int | None = 10,
    trainer_ids: tuple[int, ...] = (),
    status: PublicationStatus = PublicationStatus.published,
    max_seats: int = 3,
) -> int:
    rows = await Cohort.insert(
        Cohort(
            programme=programme_id,
            kita=kita_id,
            title=f"Gruppe {next(_counter)}",
            location="Haus der Kulturen",
            capacity=capacity,
            max_seats_per_registration=max_seats,
            status=status.value,
        )
    )
    cohort_id = int(rows[0]["id"])
    for trainer_id in trainer_ids:
        await CohortTrainer.insert(CohortTrainer(cohort=cohort_id, trainer=trainer_id))
    return cohort_id


async def make_session(
    cohort_id: int,
    *,
    starts_at: datetime | None = None,
    hours: float = 2,
) -> int:
    start = starts_at or FROZEN_NOW + timedelta(days=7)
    rows = await Session.insert(
        Session(
            cohort=cohort_id,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            location="Haus der Kulturen",
            created_at=FROZEN_NOW,
            updated_at=FROZEN_NOW,
        )
    )
    return int(rows[0]["id"])


async def make_public_run(
    *,
    capacity: int | None = 10,
    max_seats: int = 3,
    kind: ProgrammeKind = ProgrammeKind.training,
    dates: int = 2,
    start: datetime | None = None,
    status: PublicationStatus = PublicationStatus.published,
    is_public: bool = True,
) -> int:
    """A published public run with `dates` future sessions, ready for registrations."""
    programme = await make_programme(kind, is_public=is_public)
    cohort = await make_cohort(programme, capacity=capacity, max_seats=max_seats, status=status)
    first = start or FROZEN_NOW + timedelta(days=14)
    for index in range(dates):
        await make_session(cohort, starts_at=first + timedelta(days=7 * index))
    return cohort


async def make_rucksack_group(
    *, kita_id: int | None = None, capacity: int = 12, first: datetime | None = None
) -> tuple[int, int]:
    """(kita id, cohort id) of a Rucksack group for children aged 4 to 6 with sessions."""
    kita = kita_id or await make_kita()
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    cohort = await make_cohort(programme, kita_id=kita, capacity=capacity, max_seats=1)
    start = first or FROZEN_NOW + timedelta(days=14)
    for index in range(4):
        await make_session(cohort, starts_at=start + timedelta(days=7 * index))
    return kita, cohort


async def make_family_registration(
    cohort_id: int,
    kita_id: int,
    guardians: tuple[str, ...] = ("Amina Haddad",),
    *,
    status: RegistrationStatus = RegistrationStatus.confirmed,
) -> int:
    """A family with `guardians` registered for a Rucksack group; returns the registration id
    (waiting ones get the next waiting position)."""
    family = int((await Family.insert(Family(kita=kita_id)))[0]["id"])
    await Guardian.insert(
        *(Guardian(family=family, name=name, languages=["Deutsch"]) for name in guardians)
    )
    return await _registration(cohort_id, status, family=family)


async def make_person_registration(
    cohort_id: int,
    name: str = "Jana Becker",
    *,
    seats: int = 1,
    status: RegistrationStatus = RegistrationStatus.confirmed,
) -> int:
    """A member of the public registered for a run with `seats`; returns the registration id."""
    person = int(
        (await Person.insert(Person(name=name, email=f"p{next(_counter)}@example.org")))[0]["id"]
    )
    return await _registration(cohort_id, status, person=person, seats=seats)


async def _registration(
    cohort_id: int,
    status: RegistrationStatus,
    *,
    family: int | None = None,
    person: int | None = None,
    seats: int = 1,
) -> int:
    rows = await Registration.insert(
        Registration(
            cohort=cohort_id,
            family=family,
            person=person,
            seats=seats,
            status=status.value,
            waiting_position=next(_counter) if status is RegistrationStatus.waiting else None,
            consent_notice_version="test",
            consent_method=ConsentMethod.paper.value,
            consent_given_on=FROZEN_NOW.date(),
        )
    )
    return int(rows[0]["id"])
