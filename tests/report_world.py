"""A small hand-built data set for reports and printables, with the figures counted by hand.

Frozen now: Wed 25 Nov 2026, 10:00 in Berlin. Period: the year 2026.

* KiTa "Kita Gökkuşağı" (A): Rucksack group A1, led by Leyla Şahin: six sessions of two
  hours in Oct–Dec: 7 Oct (held), 14 Oct (held, Ольга Смирнова stands in), 21 Oct
  (cancelled), 28 Oct, 4 Nov (held), 2 Dec (still to come). Families:
  - Yılmaz: Ayşe (Türkisch, Deutsch) and Mehmet (Türkisch), two children; present 3 of 4
    held (75 %: reaches the threshold);
  - العلي: فاطمة (Arabisch), one child; present 3, excused 1 (75 %: reaches it);
  - Петрова: Ольга (Russisch, Ukrainisch), one child; present 1, absent 2 (not);
  - one family on the waiting list whose guardian is called "=HYPERLINK(...)".
* KiTa "روضة النور" (B): Rucksack group B1 led by Leyla Şahin: 10 Dec 2025 (outside the
  period) and 14 Jan 2026 (held); one family (Deutsch), present.
* Training run T1 "=2+3 Workshop" of programme "+Sensibilisierung" (threshold 100 %), led
  by Ольга Смирнова: 10 Sep 2026 9:00–16:00 and 11 Sep 9:00–12:30, both held. Zeynep Kaya
  (2 seats, present twice: reaches it), Иван Петров (1 seat, present once), one person
  waiting.
* Group C at KiTa A with sessions in 2027 only: not in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from programmes.clock import BERLIN
from programmes.tables import (
    Attendance,
    Child,
    Cohort,
    CohortTrainer,
    Family,
    Guardian,
    Person,
    Programme,
    Registration,
    Session,
)
from programmes.vocabulary import ProgrammeKind, PublicationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_kita, make_staff

YEAR_2026 = {"from": "2026-01-01", "to": "2026-12-31"}

#: The figures of the whole year 2026 for a coordinator, counted by hand.
HAND_COUNT_TOTALS: dict[str, Any] = {
    "groups_run": 3,
    "sessions_planned": 9,
    "sessions_held": 7,
    "sessions_cancelled": 1,
    "families": 4,
    "guardians": 5,
    "children": 5,
    "people": 3,
    "waiting": 2,
    "marked": 16,
    "present": 11,
    "attendance_rate": 0.6875,
    "at_threshold": 4,
}
HAND_COUNT_LANGUAGES = [
    ("Deutsch", 2),
    ("Arabisch", 1),
    ("Russisch", 1),
    ("Türkisch", 1),
    ("Ukrainisch", 1),
]
HAND_COUNT_HOURS = [("Ольга Смирнова", 3, 12.5), ("Leyla Şahin", 4, 8.0)]


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


@dataclass
class ReportWorld:
    coordinator: Any
    partner_a: Any
    partner_b: Any
    trainer: Any
    substitute: Any
    other_trainer: Any
    kita_a: int
    kita_b: int
    rucksack: int
    training: int
    a1: int
    b1: int
    t1: int
    c: int
    a1_sessions: list[int] = field(default_factory=list)
    families: dict[str, int] = field(default_factory=dict)
    registrations: dict[str, int] = field(default_factory=dict)


async def add_programme(kind: ProgrammeKind, title: str, threshold: int = 75) -> int:
    rows = await Programme.insert(
        Programme(
            kind=kind.value,
            title=title,
            is_public=kind is not ProgrammeKind.rucksack,
            status=PublicationStatus.published.value,
            certificate_threshold_percent=threshold,
            themes=[],
        )
    )
    return int(rows[0]["id"])


async def add_cohort(
    programme: int, title: str, *, kita: int | None, trainers: tuple[int, ...]
) -> int:
    rows = await Cohort.insert(
        Cohort(
            programme=programme,
            kita=kita,
            title=title,
            capacity=20,
            max_seats_per_registration=3,
            status=PublicationStatus.published.value,
        )
    )
    cohort = int(rows[0]["id"])
    for trainer in trainers:
        await CohortTrainer.insert(CohortTrainer(cohort=cohort, trainer=trainer))
    return cohort


async def add_session(
    cohort: int,
    starts_at: datetime,
    *,
    hours: float = 2,
    cancelled: bool = False,
    substitute: int | None = None,
) -> int:
    rows = await Session.insert(
        Session(
            cohort=cohort,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=hours),
            status="cancelled" if cancelled else "scheduled",
            substitute=substitute,
        )
    )
    return int(rows[0]["id"])


_waiting = iter(range(1, 10_000))


def _consent(status: str) -> dict[str, Any]:
    return {
        "status": status,
        "waiting_position": next(_waiting) if status == "waiting" else None,
        "consent_notice_version": "2026-01",
        "consent_method": "paper",
        "consent_given_on": date(2026, 9, 1),
    }


async def add_family(
    cohort: int,
    kita: int,
    guardians: list[tuple[str, list[str]]],
    children: int,
    *,
    status: str = "confirmed",
) -> tuple[int, int]:
    """(family id, registration id)"""
    family = int((await Family.insert(Family(kita=kita)))[0]["id"])
    for name, languages in guardians:
        await Guardian.insert(
            Guardian(family=family, name=name, languages=languages, phone="0157 123")
        )
    for index in range(children):
        await Child.insert(
            Child(family=family, first_name=f"Kind {index}", date_of_birth=date(2021, 3, 1))
        )
    rows = await Registration.insert(Registration(cohort=cohort, family=family, **_consent(status)))
    return family, int(rows[0]["id"])


async def add_person(cohort: int, name: str, seats: int, *, status: str = "confirmed") -> int:
    person = await Person.insert(Person(name=name, email=f"{seats}-{status}@example.org"))
    rows = await Registration.insert(
        Registration(cohort=cohort, person=person[0]["id"], seats=seats, **_consent(status))
    )
    return int(rows[0]["id"])


async def mark(session: int, registration: int, value: str) -> None:
    await Attendance.insert(Attendance(session=session, registration=registration, mark=value))


async def build_report_world() -> ReportWorld:
    kita_a = await make_kita("Kita Gökkuşağı")
    kita_b = await make_kita("روضة النور")
    trainer = await make_staff(Role.trainer, name="Leyla Şahin")
    substitute = await make_staff(Role.trainer, name="Ольга Смирнова")
    other_trainer = await make_staff(Role.trainer, name="Anna Andere")
    rucksack = await add_programme(ProgrammeKind.rucksack, "Rucksack KiTa")
    training = await add_programme(ProgrammeKind.training, "+Sensibilisierung", threshold=100)
    a1 = await add_cohort(
        rucksack, "Rucksack Gökkuşağı 2026/27", kita=kita_a, trainers=(trainer.id,)
    )
    b1 = await add_cohort(rucksack, "Rucksack النور 2025/26", kita=kita_b, trainers=(trainer.id,))
    t1 = await add_cohort(training, "=2+3 Workshop", kita=None, trainers=(substitute.id,))
    c = await add_cohort(rucksack, "Rucksack 2027", kita=kita_a, trainers=(other_trainer.id,))
    world = ReportWorld(
        coordinator=await make_staff(Role.coordinator),
        partner_a=await make_staff(Role.partner, kita_id=kita_a),
        partner_b=await make_staff(Role.partner, kita_id=kita_b),
        trainer=trainer,
        substitute=substitute,
        other_trainer=other_trainer,
        kita_a=kita_a,
        kita_b=kita_b,
        rucksack=rucksack,
        training=training,
        a1=a1,
        b1=b1,
        t1=t1,
        c=c,
    )
    s = [
        await add_session(a1, berlin(2026, 10, 7, 16)),
        await add_session(a1, berlin(2026, 10, 14, 16), substitute=substitute.id),
        await add_session(a1, berlin(2026, 10, 21, 16), cancelled=True),
        await add_session(a1, berlin(2026, 10, 28, 16)),
        await add_session(a1, berlin(2026, 11, 4, 16)),
        await add_session(a1, berlin(2026, 12, 2, 16)),
    ]
    world.a1_sessions = s
    yilmaz, r_yilmaz = await add_family(
        a1, kita_a, [("Ayşe Yılmaz", ["Türkisch", "Deutsch"]), ("Mehmet Yılmaz", ["Türkisch"])], 2
    )
    ali, r_ali = await add_family(a1, kita_a, [("فاطمة العلي", ["Arabisch"])], 1)
    petrova, r_petrova = await add_family(
        a1, kita_a, [("Ольга Петрова", ["Russisch", "Ukrainisch"])], 1
    )
    waiting, r_waiting = await add_family(
        a1, kita_a, [('=HYPERLINK("http://x.example")', ["Deutsch"])], 1, status="waiting"
    )
    for session, value in zip(
        (s[0], s[1], s[3], s[4]), ("present",) * 3 + ("absent",), strict=True
    ):
        await mark(session, r_yilmaz, value)
    for session, value in zip(
        (s[0], s[1], s[3], s[4]), ("present", "excused", "present", "present"), strict=True
    ):
        await mark(session, r_ali, value)
    for session, value in zip((s[0], s[1], s[3]), ("present", "absent", "absent"), strict=True):
        await mark(session, r_petrova, value)

    await add_session(b1, berlin(2025, 12, 10, 9))
    b1_held = await add_session(b1, berlin(2026, 1, 14, 9))
    mueller, r_mueller = await add_family(b1, kita_b, [("Jana Müller", ["Deutsch"])], 1)
    await mark(b1_held, r_mueller, "present")

    t_first = await add_session(t1, berlin(2026, 9, 10, 9), hours=7)
    t_second = await add_session(t1, berlin(2026, 9, 11, 9), hours=3.5)
    r_kaya = await add_person(t1, "Zeynep Kaya", 2)
    r_ivan = await add_person(t1, "Иван Петров", 1)
    await add_person(t1, "Warte Person", 1, status="waiting")
    for session in (t_first, t_second):
        await mark(session, r_kaya, "present")
    await mark(t_first, r_ivan, "present")
    await mark(t_second, r_ivan, "absent")

    await add_session(c, berlin(2027, 1, 13, 16))
    world.families = {
        "yilmaz": yilmaz,
        "ali": ali,
        "petrova": petrova,
        "waiting": waiting,
        "mueller": mueller,
    }
    world.registrations = {
        "yilmaz": r_yilmaz,
        "ali": r_ali,
        "petrova": r_petrova,
        "waiting": r_waiting,
        "mueller": r_mueller,
        "kaya": r_kaya,
        "ivan": r_ivan,
    }
    return world


async def anonymise_family(family_id: int, now: datetime = FROZEN_NOW) -> None:
    """A stand-in for the privacy issue's erasure: names and contacts blanked, children's
    names removed and dates of birth coarsened to the first of their month, the family
    marked anonymised; ids, counts, languages and attendance stay."""
    await Guardian.update(
        {Guardian.name: "", Guardian.phone: "", Guardian.email: "", Guardian.reach_via_kita: False}
    ).where(Guardian.family == family_id)
    for child in await Child.select(Child.id, Child.date_of_birth).where(Child.family == family_id):
        await Child.update(
            {Child.first_name: "", Child.date_of_birth: child["date_of_birth"].replace(day=1)}
        ).where(Child.id == child["id"])
    await Registration.update({Registration.dedupe_key: None, Registration.needs: ""}).where(
        Registration.family == family_id
    )
    await Family.update({Family.anonymised_at: now, Family.updated_at: now}).where(
        Family.id == family_id
    )
