"""A small, fully deterministic world for feed tests: fixed timestamps everywhere, so the
same data gives the same bytes on SQLite and PostgreSQL (ids restart at 1 on both).

It holds public programmes (a training and an info event), an internal Rucksack KiTa group
at each of two KiTas, an unpublished training, a draft run of a public training, families
with guardians and children, and members of the public with registrations. Every person's
name, e-mail and phone number is a unique marker string, so a search of any output for
`PERSONAL_MARKERS` finds leaks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from programmes.clock import BERLIN
from programmes.db import write_transaction
from programmes.domain.access import Staff
from programmes.tables import (
    Child,
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
from tests.factories import make_staff

#: When the world's rows were last changed (whole seconds: both engines store them alike).
STAMP = datetime(2026, 11, 20, 8, 30, tzinfo=BERLIN)

_markers = itertools.count(1)


def marker(kind: str) -> str:
    """A string that appears nowhere else: Markername1, marker2@leak.example, +49 151 9000001."""
    n = next(_markers)
    return {
        "name": f"Markername{n}",
        "email": f"marker{n}@leak.example",
        "phone": f"+49 151 {9000000 + n}",
    }[kind]


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


async def add_programme(
    kind: ProgrammeKind,
    title: str,
    *,
    is_public: bool = True,
    status: PublicationStatus = PublicationStatus.published,
    title_en: str = "",
) -> int:
    rows = await Programme.insert(
        Programme(
            kind=kind.value,
            title=title,
            title_en=title_en,
            is_public=is_public,
            status=status.value,
            themes=[],
            created_at=STAMP,
            updated_at=STAMP,
        )
    )
    return int(rows[0]["id"])


async def add_cohort(
    programme_id: int,
    title: str,
    *,
    kita_id: int | None = None,
    location: str = "Haus der Kulturen, Raum 2",
    language: str = "Deutsch",
    capacity: int | None = 12,
    status: PublicationStatus = PublicationStatus.published,
    trainer_ids: tuple[int, ...] = (),
) -> int:
    rows = await Cohort.insert(
        Cohort(
            programme=programme_id,
            kita=kita_id,
            title=title,
            location=location,
            language=language,
            capacity=capacity,
            max_seats_per_registration=3,
            status=status.value,
            created_at=STAMP,
            updated_at=STAMP,
        )
    )
    cohort_id = int(rows[0]["id"])
    for trainer_id in trainer_ids:
        await CohortTrainer.insert(CohortTrainer(cohort=cohort_id, trainer=trainer_id))
    return cohort_id


async def add_session(
    cohort_id: int,
    starts_at: datetime,
    *,
    hours: float = 2,
    location: str = "",
    theme: str | None = None,
    substitute: int | None = None,
    note: str = "",
) -> int:
    rows = await Session.insert(
        Session(
            cohort=cohort_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            location=location,
            theme=theme,
            note=note,
            substitute=substitute,
            created_at=STAMP,
            updated_at=STAMP,
        )
    )
    return int(rows[0]["id"])


async def add_family(kita_id: int, markers: list[str]) -> int:
    rows = await Family.insert(Family(kita=kita_id, created_at=STAMP, updated_at=STAMP))
    family_id = int(rows[0]["id"])
    name, email, phone, child = marker("name"), marker("email"), marker("phone"), marker("name")
    markers += [name, email, phone, child]
    await Guardian.insert(
        Guardian(family=family_id, name=name, languages=["Arabisch"], phone=phone, email=email)
    )
    await Child.insert(Child(family=family_id, first_name=child, date_of_birth=date(2021, 5, 4)))
    return family_id


async def add_person(markers: list[str]) -> int:
    name, email, phone = marker("name"), marker("email"), marker("phone")
    markers += [name, email, phone]
    rows = await Person.insert(Person(name=name, email=email, phone=phone, created_at=STAMP))
    return int(rows[0]["id"])


async def register(
    cohort_id: int,
    *,
    family_id: int | None = None,
    person_id: int | None = None,
    seats: int = 1,
    waiting_position: int | None = None,
) -> None:
    status = RegistrationStatus.waiting if waiting_position else RegistrationStatus.confirmed
    await Registration.insert(
        Registration(
            cohort=cohort_id,
            family=family_id,
            person=person_id,
            seats=seats,
            status=status.value,
            waiting_position=waiting_position,
            consent_notice_version="2026-09",
            consent_method=ConsentMethod.online.value,
            consent_given_on=FROZEN_NOW.date(),
            created_at=STAMP,
            updated_at=STAMP,
        )
    )
    if status is RegistrationStatus.confirmed:
        await Cohort.update({Cohort.seats_taken: Cohort.seats_taken + seats}).where(
            Cohort.id == cohort_id
        )


@dataclass
class World:
    coordinator: Staff
    partner: Staff  # of KiTa Sonnenblume
    other_partner: Staff  # of KiTa Regenbogen
    trainer: Staff  # leads the Sonnenblume group; substitutes once at Regenbogen
    other_trainer: Staff  # leads the Regenbogen group and the public training
    training: int
    info_event: int
    rucksack: int
    unpublished: int
    training_run: int
    draft_run: int
    info_run: int
    sonnenblume_group: int
    regenbogen_group: int
    unpublished_run: int
    sessions: dict[str, list[int]] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)

    def session_ids(self, *names: str) -> set[int]:
        return {session for name in names for session in self.sessions[name]}


async def build_world() -> World:
    """Everything in one transaction (one commit is much faster than sixty)."""
    async with write_transaction():
        return await _build_world()


async def _build_world() -> World:
    markers: list[str] = []
    sonnenblume = int(
        (await Kita.insert(Kita(name="KiTa Sonnenblume", address="Lindenweg 12")))[0]["id"]
    )
    regenbogen = int(
        (await Kita.insert(Kita(name="KiTa Regenbogen", address="Am Wiesengrund 3")))[0]["id"]
    )
    coordinator = await make_staff(Role.coordinator, name=marker("name"), email=marker("email"))
    partner = await make_staff(
        Role.partner, kita_id=sonnenblume, name=marker("name"), email=marker("email")
    )
    other_partner = await make_staff(
        Role.partner, kita_id=regenbogen, name=marker("name"), email=marker("email")
    )
    trainer = await make_staff(Role.trainer, name=marker("name"), email=marker("email"))
    other_trainer = await make_staff(Role.trainer, name=marker("name"), email=marker("email"))
    for staff in (coordinator, partner, other_partner, trainer, other_trainer):
        markers += [staff.name, staff.email]

    training = await add_programme(
        ProgrammeKind.training, "Diskriminierung erkennen", title_en="Recognising discrimination"
    )
    info_event = await add_programme(ProgrammeKind.info_event, "Elterncafé: Schule in NRW")
    rucksack = await add_programme(ProgrammeKind.rucksack, "Rucksack KiTa", is_public=False)
    unpublished = await add_programme(
        ProgrammeKind.training, "Noch geheim", status=PublicationStatus.draft
    )

    training_run = await add_cohort(
        training, "Frühjahr 2027", capacity=16, trainer_ids=(other_trainer.id,)
    )
    draft_run = await add_cohort(training, "Herbst 2027", status=PublicationStatus.draft)
    info_run = await add_cohort(info_event, "Dezember", capacity=None, language="Deutsch, Türkisch")
    sonnenblume_group = await add_cohort(
        rucksack,
        "KiTa Sonnenblume 2026/27",
        kita_id=sonnenblume,
        location="KiTa Sonnenblume, Lindenweg 12",
        capacity=10,
        trainer_ids=(trainer.id,),
    )
    regenbogen_group = await add_cohort(
        rucksack,
        "KiTa Regenbogen 2026/27",
        kita_id=regenbogen,
        location="KiTa Regenbogen, Am Wiesengrund 3",
        capacity=10,
        trainer_ids=(other_trainer.id,),
    )
    unpublished_run = await add_cohort(unpublished, "Pilot")

    sessions: dict[str, list[int]] = {
        "training": [
            await add_session(training_run, berlin(2027, 3, 27, 9), hours=3),  # CET
            await add_session(training_run, berlin(2027, 3, 29, 9), hours=3),  # CEST
        ],
        "draft": [await add_session(draft_run, berlin(2027, 9, 14, 17))],
        "info": [await add_session(info_run, berlin(2026, 12, 3, 18), hours=1.5)],
        "sonnenblume": [
            await add_session(
                sonnenblume_group,
                berlin(2026, 12, 1, 9) + timedelta(weeks=i),
                theme=theme,
                note=f"Frau {markers[0]} kommt später",  # notes never reach a feed
            )
            for i, theme in enumerate(("Der Körper", "Die Kleidung", "Die Familie"))
        ],
        "regenbogen": [
            await add_session(regenbogen_group, berlin(2026, 12, 2, 14), theme="Zu Hause"),
            await add_session(
                regenbogen_group,
                berlin(2026, 12, 9, 14),
                theme="Die Tiere",
                substitute=trainer.id,
            ),
        ],
        "unpublished": [await add_session(unpublished_run, berlin(2027, 1, 12, 10))],
    }

    for kita, group in ((sonnenblume, sonnenblume_group), (regenbogen, regenbogen_group)):
        for _ in range(2):
            await register(group, family_id=await add_family(kita, markers))
    for seats in (2, 1):
        await register(training_run, person_id=await add_person(markers), seats=seats)
    await register(info_run, person_id=await add_person(markers))
    await register(training_run, person_id=await add_person(markers), waiting_position=1)

    return World(
        coordinator=coordinator,
        partner=partner,
        other_partner=other_partner,
        trainer=trainer,
        other_trainer=other_trainer,
        training=training,
        info_event=info_event,
        rucksack=rucksack,
        unpublished=unpublished,
        training_run=training_run,
        draft_run=draft_run,
        info_run=info_run,
        sonnenblume_group=sonnenblume_group,
        regenbogen_group=regenbogen_group,
        unpublished_run=unpublished_run,
        sessions=sessions,
        markers=markers,
    )
