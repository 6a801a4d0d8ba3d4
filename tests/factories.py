"""Factories for test data: each makes one valid object with sensible defaults and
returns what a test needs (ids, the plain password). Dates derive from the frozen clock."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from programmes.domain import accounts
from programmes.domain.accounts import Staff
from programmes.tables import Cohort, CohortTrainer, Kita, Programme, Session
from programmes.tables.vocabulary import ProgrammeKind, PublicationStatus, Role
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
    return await accounts.create_account(
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
