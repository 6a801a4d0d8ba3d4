"""The demo data set: invented people and places, dated relative to today.

It shows every part of the service at once: three KiTas, two Rucksack KiTa cohorts over
the current KiTa year with families and attendance, three trainings and three info events
in the coming months with registrations and a waiting list, and one account per role.
Nothing here is a real person; the names are invented in the scripts the families use.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import anyio.to_thread

from programmes.clock import BERLIN
from programmes.db import write_transaction
from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.entries import RUCKSACK_THEMES
from programmes.domain.catalogue.places import place_label
from programmes.domain.enrolment import seats as seat_step
from programmes.domain.enrolment.registrations import email_key
from programmes.domain.errors import N_, Conflict
from programmes.domain.planning.recurrence import Closure, WeeklyRule, expand_rule, to_berlin
from programmes.tables import (
    ALL_TABLES,
    Account,
    Attendance,
    Child,
    ClosureDay,
    Cohort,
    CohortTrainer,
    Family,
    Guardian,
    Kita,
    Person,
    Place,
    Programme,
    Registration,
    Session,
)
from programmes.vocabulary import (
    AttendanceMark,
    ConsentMethod,
    ProgrammeKind,
    PublicationStatus,
    Role,
)


@dataclass(frozen=True)
class DemoAccount:
    role: Role
    email: str
    password: str
    name: str


#: The accounts the README lists; the passwords are for the demo only.
DEMO_ACCOUNTS = (
    DemoAccount(
        Role.coordinator, "koordination@demo.example", "Demo-Koordination-1", "Kim Koordination"
    ),
    DemoAccount(Role.partner, "kita-sonnenblume@demo.example", "Demo-Partner-1", "Petra Partner"),
    DemoAccount(
        Role.trainer, "elternbegleiterin@demo.example", "Demo-Trainerin-1", "Tara Trainerin"
    ),
)
DEMO_TRAINER = "elternbegleiterin@demo.example"
_EXTRA_STAFF = (
    (Role.partner, "kita-regenbogen@demo.example", "Rudi Regenbogen"),
    (Role.trainer, "trainer-zwei@demo.example", "Timo Zweiter"),
)

_KITAS = (
    ("KiTa Sonnenblume", "Lindenweg 12, 45699 Herten"),
    ("Familienzentrum Regenbogen", "Am Wiesengrund 3, 45699 Herten"),
    ("KiTa Kleine Strolche", "Bergstraße 40, 45701 Herten"),
)

#: Where the demo's cohorts meet, by the text the demo writes (invented coordinates in Herten):
#: name, street, postcode, town, latitude, longitude.
_PLACES: dict[str, tuple[str, str, str, str, float, float]] = {
    "Haus der Kulturen, Vitustraße 20, Seminarraum": (
        "Haus der Kulturen, Seminarraum",
        "Vitustraße 20",
        "45699",
        "Herten",
        51.5958,
        7.1412,
    ),
    "Haus der Kulturen, Vitustraße 20, Saal": (
        "Haus der Kulturen, Saal",
        "Vitustraße 20",
        "45699",
        "Herten",
        51.5958,
        7.1412,
    ),
    "Haus der Kulturen, Vitustraße 20, Café": (
        "Haus der Kulturen, Café",
        "Vitustraße 20",
        "45699",
        "Herten",
        51.5958,
        7.1412,
    ),
    "KiTa Sonnenblume, Elterncafé": (
        "KiTa Sonnenblume, Elterncafé",
        "Lindenweg 12",
        "45699",
        "Herten",
        51.6021,
        7.1309,
    ),
    "Familienzentrum Regenbogen, Elterncafé": (
        "Familienzentrum Regenbogen, Elterncafé",
        "Am Wiesengrund 3",
        "45699",
        "Herten",
        51.5893,
        7.1527,
    ),
    "KiTa Kleine Strolche, Elterncafé": (
        "KiTa Kleine Strolche, Elterncafé",
        "Bergstraße 40",
        "45701",
        "Herten",
        51.6102,
        7.1088,
    ),
}

#: (guardian names, languages, phone (stored as `text.clean_phone` keeps it: E.164), e-mail,
#: children as (first name, age in months at start))
_FAMILIES: dict[
    str, Sequence[tuple[Sequence[str], Sequence[str], str, str, Sequence[tuple[str, int]]]]
] = {
    "KiTa Sonnenblume": (
        (("Amina Haddad",), ("Arabisch", "Deutsch"), "+4915100000001", "", (("Yasmin", 52),)),
        (("فاطمة الحسن", "Omar Al-Hassan"), ("Arabisch",), "", "", (("Lina", 60), ("Adam", 49))),
        (
            ("Олена Коваленко",),
            ("Ukrainisch", "Russisch"),
            "+4915700000003",
            "olena.k@demo.example",
            (("Sofiia", 55),),
        ),
        (("Ayşe Yılmaz",), ("Türkisch", "Deutsch"), "+4916000000004", "", (("Elif", 65),)),
        (("Nour Al-Khatib",), ("Arabisch", "Englisch"), "", "nour@demo.example", (("Karim", 50),)),
        (("Dilan Aydın",), ("Kurmandschi", "Türkisch"), "", "", (("Rojin", 58),)),
    ),
    "Familienzentrum Regenbogen": (
        (("Mehmet Demir", "Zeynep Demir"), ("Türkisch",), "+4917000000006", "", (("Emir", 54),)),
        (("Gül Şahin",), ("Türkisch", "Deutsch"), "", "gul@demo.example", (("Defne", 62),)),
        (("Marija Petrović",), ("Serbisch",), "+4917100000008", "", (("Luka", 51),)),
        (("Ahmad Rahimi",), ("Dari", "Farsi"), "", "", (("Sara", 57), ("Ali", 49))),
        (("Blerina Krasniqi",), ("Albanisch",), "+4917200000010", "", (("Arta", 63),)),
    ),
}

_PUBLIC_PEOPLE = (
    ("Jana Becker", "jana.becker@demo.example", "de"),
    ("Lukas Schneider", "lukas.schneider@demo.example", "de"),
    ("Hatice Kaya", "hatice.kaya@demo.example", "de"),
    ("Sam Taylor", "sam.taylor@demo.example", "en"),
    ("Ingrid Wolff", "ingrid.wolff@demo.example", "de"),
    ("Yusuf Öztürk", "yusuf.oeztuerk@demo.example", "de"),
    ("Maria Lopez", "maria.lopez@demo.example", "en"),
    ("Tobias Kramer", "tobias.kramer@demo.example", "de"),
)


@dataclass
class DemoResult:
    kitas: int = 0
    programmes: int = 0
    cohorts: int = 0
    sessions: int = 0
    families: int = 0
    registrations: int = 0
    attendance: int = 0
    accounts: Sequence[DemoAccount] = field(default_factory=tuple)

    def summary(self) -> str:
        lines = [
            f"Demo data loaded: {self.kitas} KiTas, {self.programmes} programmes, "
            f"{self.cohorts} cohorts/runs, {self.sessions} sessions, {self.families} families, "
            f"{self.registrations} registrations, {self.attendance} attendance marks.",
            "Sign in at /staff/login with:",
        ]
        lines += [f"  {a.role.value:<12} {a.email:<34} {a.password}" for a in self.accounts]
        return "\n".join(lines)


async def database_is_empty() -> bool:
    for table in (Kita, Programme, Account, Family, Person):
        if await table.count() > 0:
            return False
    return True


async def load_demo(*, now: datetime, force: bool = False) -> DemoResult:
    """Load the demo set. A database with data is refused unless `force` wipes it first."""
    if not force and not await database_is_empty():
        raise Conflict(
            N_("The database already has data; use --force to replace it with demo data.")
        )
    hashed = await anyio.to_thread.run_sync(_hash_passwords)
    async with write_transaction():
        if force:
            for table in reversed(ALL_TABLES):
                await table.delete(force=True)
        return await _DemoBuilder(now, hashed).build()


def _hash_passwords() -> dict[str, str]:
    passwords = {a.email: a.password for a in DEMO_ACCOUNTS}
    passwords.update({email: "not-for-sign-in-" + email for _, email, _ in _EXTRA_STAFF})
    return {email: Account.hash_password(pw) for email, pw in passwords.items()}


def kita_year_start(today: date) -> date:
    """First Tuesday of September of the KiTa year that contains `today`
    (NRW summer holidays end late August or early September)."""
    year = today.year if today.month >= 8 else today.year - 1
    first = date(year, 9, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


class _DemoBuilder:
    def __init__(self, now: datetime, hashed: dict[str, str]) -> None:
        self.now = now
        self.today = now.astimezone(BERLIN).date()
        self.hashed = hashed
        self.random = random.Random(2026)  # noqa: S311 (demo marks, not security)
        self.result = DemoResult(accounts=DEMO_ACCOUNTS)
        self.kita_ids: dict[str, int] = {}
        self.staff_ids: dict[str, int] = {}
        self.place_ids: dict[str, tuple[int | None, str]] = {}

    async def build(self) -> DemoResult:
        await self._kitas()
        await self._accounts()
        await self._rucksack()
        await self._public_programmes()
        return self.result

    async def _kitas(self) -> None:
        for name, address in _KITAS:
            rows = await Kita.insert(Kita(name=name, address=address, created_at=self.now))
            self.kita_ids[name] = rows[0]["id"]
        self.result.kitas = len(_KITAS)
        start = kita_year_start(self.today)
        closures = [
            ClosureDay(
                kita=self.kita_ids["KiTa Sonnenblume"],
                first_day=date(start.year, 12, 23),
                last_day=date(start.year + 1, 1, 1),
                reason="Weihnachtsschließung",
                created_at=self.now,
            ),
            ClosureDay(
                kita=self.kita_ids["KiTa Sonnenblume"],
                first_day=start + timedelta(weeks=9),
                last_day=start + timedelta(weeks=9),
                reason="Betriebsausflug",
                created_at=self.now,
            ),
            ClosureDay(
                kita=self.kita_ids["Familienzentrum Regenbogen"],
                first_day=date(start.year, 12, 24),
                last_day=date(start.year + 1, 1, 2),
                reason="Weihnachtsschließung",
                created_at=self.now,
            ),
            ClosureDay(
                kita=self.kita_ids["Familienzentrum Regenbogen"],
                first_day=start + timedelta(weeks=20, days=1),
                last_day=start + timedelta(weeks=20, days=1),
                reason="Teamfortbildung",
                created_at=self.now,
            ),
        ]
        await ClosureDay.insert(*closures)

    async def _accounts(self) -> None:
        staff = [(a.role, a.email, a.name) for a in DEMO_ACCOUNTS] + list(_EXTRA_STAFF)
        for role, email, name in staff:
            kita: int | None = None
            if role is Role.partner:
                kita = self.kita_ids[
                    "KiTa Sonnenblume" if "sonnenblume" in email else "Familienzentrum Regenbogen"
                ]
            account = Account(  # type: ignore[no-untyped-call]
                username=email,
                email=email,
                password=self.hashed[email],
                first_name=name,
                last_name="",
                role=role.value,
                kita=kita,
                active=True,
                admin=role is Role.coordinator,
                superuser=role is Role.coordinator,
                created_at=self.now,
            )
            await account.save()
            self.staff_ids[email] = account.id

    async def _rucksack(self) -> None:
        programme = await self._programme(
            kind=ProgrammeKind.rucksack,
            title="Rucksack KiTa",
            title_en="Rucksack KiTa parent group",
            summary="Eltern stärken ihre Kinder in der Familiensprache und der Entwicklung; "
            "die KiTa fördert parallel die deutsche Sprache.",
            summary_en="Parents support their children in the family language and their "
            "development while the KiTa supports German in parallel.",
            is_public=False,
            min_age=4,
            max_age=6,
            themes=RUCKSACK_THEMES,
        )
        start = kita_year_start(self.today)
        for kita_name, weekday, trainer, language in (
            ("KiTa Sonnenblume", 1, "elternbegleiterin@demo.example", "Arabisch und Deutsch"),
            ("Familienzentrum Regenbogen", 3, "trainer-zwei@demo.example", "Türkisch und Deutsch"),
        ):
            kita_id = self.kita_ids[kita_name]
            first_day = start + timedelta(days=(weekday - start.weekday()) % 7)
            rule = WeeklyRule(
                weekdays=(weekday,),
                start_time=time(9, 0),
                duration=timedelta(hours=2),
                first_day=first_day,
                count=36,
            )
            closures = [
                Closure(c["first_day"], c["last_day"], c["reason"])
                for c in await ClosureDay.select().where(ClosureDay.kita == kita_id)
            ]
            preview = expand_rule(rule, closures=closures, themes=RUCKSACK_THEMES)
            cohort_id = await self._cohort(
                programme,
                title=f"Rucksack {kita_name} {start.year}/{str(start.year + 1)[2:]}",
                kita_id=kita_id,
                language=language,
                location=f"{kita_name}, Elterncafé",
                capacity=12,
                max_seats=1,
                trainer=trainer,
                rule=rule,
            )
            times = [(s.starts_at, s.ends_at, s.theme) for s in preview.sessions]
            if trainer == DEMO_TRAINER:
                times = self._with_session_today(times)
            session_ids = await self._sessions(cohort_id, times, f"{kita_name}, Elterncafé")
            registration_ids = await self._families(cohort_id, kita_id, first_day)
            await self._attendance(
                session_ids, registration_ids, trainer, leave_last_open=trainer == DEMO_TRAINER
            )

    def _with_session_today(
        self, times: list[tuple[datetime, datetime, str | None]]
    ) -> list[tuple[datetime, datetime, str | None]]:
        """The demo trainer's group meets today (an extra meeting if the weekly rule has
        none today), so attendance can be taken right after `./dev serve`."""
        if any(starts_at.astimezone(BERLIN).date() == self.today for starts_at, _, _ in times):
            return times
        earlier = [
            theme
            for starts_at, _, theme in times
            if starts_at.astimezone(BERLIN).date() < self.today
        ]
        starts_at = to_berlin(self.today, time(9, 0))
        extra = (
            starts_at,
            starts_at + timedelta(hours=2),
            earlier[-1] if earlier else RUCKSACK_THEMES[0],
        )
        return sorted([*times, extra], key=lambda t: t[0])

    async def _programme(
        self,
        *,
        kind: ProgrammeKind,
        title: str,
        title_en: str,
        summary: str,
        summary_en: str,
        is_public: bool,
        min_age: int | None = None,
        max_age: int | None = None,
        themes: Sequence[str] = (),
    ) -> int:
        rows = await Programme.insert(
            Programme(
                kind=kind.value,
                title=title,
                title_en=title_en,
                summary=summary,
                summary_en=summary_en,
                is_public=is_public,
                status=PublicationStatus.published.value,
                min_age_years=min_age,
                max_age_years=max_age,
                certificate_threshold_percent=75,
                themes=list(themes),
                created_at=self.now,
                updated_at=self.now,
            )
        )
        self.result.programmes += 1
        return int(rows[0]["id"])

    async def _cohort(
        self,
        programme_id: int,
        *,
        title: str,
        kita_id: int | None,
        language: str,
        location: str,
        capacity: int | None,
        max_seats: int,
        trainer: str,
        rule: WeeklyRule | None = None,
        opens_at: datetime | None = None,
        closes_at: datetime | None = None,
    ) -> int:
        place_id, location = await self._place(location)
        rows = await Cohort.insert(
            Cohort(
                programme=programme_id,
                kita=kita_id,
                title=title,
                language=language,
                location=location,
                place=place_id,
                capacity=capacity,
                seats_taken=0,
                max_seats_per_registration=max_seats,
                registration_opens_at=opens_at,
                registration_closes_at=closes_at,
                status=PublicationStatus.published.value,
                schedule_rule=_rule_json(rule) if rule else None,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        cohort_id = int(rows[0]["id"])
        await CohortTrainer.insert(CohortTrainer(cohort=cohort_id, trainer=self.staff_ids[trainer]))
        self.result.cohorts += 1
        return cohort_id

    async def _place(self, text: str) -> tuple[int | None, str]:
        """The demo place written as `text` (made once) and its label; free text when the
        demo knows no such place."""
        if text in self.place_ids:
            return self.place_ids[text]
        known = _PLACES.get(text)
        if known is None:
            return None, text
        name, street, postcode, town, latitude, longitude = known
        rows = await Place.insert(
            Place(
                name=name,
                street=street,
                postcode=postcode,
                town=town,
                latitude=latitude,
                longitude=longitude,
                created_at=self.now,
                updated_at=self.now,
            )
        )
        self.place_ids[text] = (int(rows[0]["id"]), place_label(name, street, postcode, town))
        return self.place_ids[text]

    async def _sessions(
        self,
        cohort_id: int,
        times: Sequence[tuple[datetime, datetime, str | None]],
        location: str,
    ) -> list[tuple[int, datetime]]:
        place_id, location = await self._place(location)
        rows = await Session.insert(
            *(
                Session(
                    cohort=cohort_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    location=location,
                    place=place_id,
                    theme=theme,
                    created_at=self.now,
                    updated_at=self.now,
                )
                for starts_at, ends_at, theme in times
            )
        )
        self.result.sessions += len(rows)
        return [(int(row["id"]), times[i][0]) for i, row in enumerate(rows)]

    async def _families(self, cohort_id: int, kita_id: int, first_day: date) -> list[int]:
        kita_name = next(name for name, id_ in self.kita_ids.items() if id_ == kita_id)
        partner = next(
            (
                self.staff_ids[e]
                for e in self.staff_ids
                if "kita-" in e and _kita_of(e) == kita_name
            ),
            None,
        )
        registration_ids = []
        for guardians, languages, phone, email, children in _FAMILIES[kita_name]:
            family_rows = await Family.insert(
                Family(kita=kita_id, created_at=self.now, updated_at=self.now)
            )
            family_id = int(family_rows[0]["id"])
            await Guardian.insert(
                *(
                    Guardian(
                        family=family_id,
                        name=name,
                        languages=list(languages),
                        phone=phone if i == 0 else "",
                        email=email if i == 0 else "",
                        reach_via_kita=not (phone or email),
                    )
                    for i, name in enumerate(guardians)
                )
            )
            await Child.insert(
                *(
                    Child(
                        family=family_id,
                        first_name=first_name,
                        date_of_birth=_months_before(first_day, months),
                    )
                    for first_name, months in children
                )
            )
            placement = await seat_step.place(cohort_id, 1)
            rows = await Registration.insert(
                Registration(
                    cohort=cohort_id,
                    family=family_id,
                    seats=1,
                    status=placement.status.value,
                    waiting_position=placement.waiting_position,
                    consent_notice_version="2026-09",
                    consent_method=self.random.choice(
                        [ConsentMethod.paper.value, ConsentMethod.verbal.value]
                    ),
                    consent_given_on=first_day - timedelta(days=14),
                    consent_recorded_by=partner,
                    created_at=self.now,
                    updated_at=self.now,
                )
            )
            registration_ids.append(int(rows[0]["id"]))
            self.result.families += 1
        self.result.registrations += len(registration_ids)
        return registration_ids

    async def _attendance(
        self,
        sessions: Sequence[tuple[int, datetime]],
        registrations: Sequence[int],
        trainer: str,
        *,
        leave_last_open: bool = False,
    ) -> None:
        """Marks for the sessions before today; today's are for the trainer to take, and
        with `leave_last_open` the last past one waits to be filled in from a paper list."""
        past = [(i, s) for i, s in sessions if s.astimezone(BERLIN).date() < self.today]
        if leave_last_open:
            past = past[:-1]
        marks = []
        for session_id, starts_at in past:
            for registration_id in registrations:
                roll = self.random.random()
                mark = (
                    AttendanceMark.present
                    if roll < 0.8
                    else AttendanceMark.excused
                    if roll < 0.92
                    else AttendanceMark.absent
                )
                marks.append(
                    Attendance(
                        session=session_id,
                        registration=registration_id,
                        mark=mark.value,
                        recorded_by=self.staff_ids[trainer],
                        recorded_at=starts_at + timedelta(hours=2),
                    )
                )
        if marks:
            await Attendance.insert(*marks)
        self.result.attendance += len(marks)

    async def _public_programmes(self) -> None:
        trainings = (
            (
                "Sensibilisierungstraining: Diskriminierung erkennen und handeln",
                "Awareness training: recognising and acting against discrimination",
                "Ein Training für Fachkräfte aus Schule, Verein und KiTa.",
                "A training for staff of schools, clubs and KiTas.",
                3,
                2,
                14,
                12,
                3,
                "Haus der Kulturen, Vitustraße 20, Seminarraum",
            ),
            (
                "Interkulturelle Öffnung für Vereine und Initiativen",
                "Intercultural opening for clubs and initiatives",
                "Wie Vereine Menschen mit Zuwanderungsgeschichte erreichen.",
                "How clubs reach people with a migration history.",
                7,
                1,
                0,
                10,
                2,
                "Haus der Kulturen, Vitustraße 20, Saal",
            ),
            (
                "Qualifizierung für Ehrenamtliche in der Flüchtlingsbegleitung",
                "Qualification for volunteers supporting refugees",
                "Vier Abende zu Recht, Alltag und Gesprächsführung.",
                "Four evenings on law, everyday life and conversations.",
                11,
                4,
                7,
                16,
                1,
                "Haus der Kulturen, Vitustraße 20, Seminarraum",
            ),
        )
        events = (
            (
                "Infoabend: Ehrenamt im Haus der Kulturen",
                "Info evening: volunteering at the Haus der Kulturen",
                "Wer mitmachen möchte, erfährt hier, wie.",
                "Find out how to get involved.",
                2,
                30,
            ),
            (
                "Austauschabend: Elternarbeit und Mehrsprachigkeit",
                "Exchange evening: parents and multilingualism",
                "Austausch für Eltern und Fachkräfte.",
                "An exchange for parents and professionals.",
                5,
                None,
            ),
            (
                "Beratungsabend: Was tun bei Diskriminierung?",
                "Advice evening: what to do about discrimination",
                "Offene Beratung der Servicestelle Antidiskriminierungsarbeit.",
                "Open advice by the anti-discrimination service.",
                8,
                20,
            ),
        )
        person_ids = await self._people()
        for index, (
            title,
            title_en,
            summary,
            summary_en,
            weeks,
            dates,
            gap,
            capacity,
            max_seats,
            place,
        ) in enumerate(trainings):
            programme_id = await self._programme(
                kind=ProgrammeKind.training,
                title=title,
                title_en=title_en,
                summary=summary,
                summary_en=summary_en,
                is_public=True,
            )
            first = self.today + timedelta(weeks=weeks)
            first += timedelta(days=(3 - first.weekday()) % 7)  # a Thursday
            days = [first + timedelta(days=gap * i) for i in range(dates)]
            cohort_id = await self._cohort(
                programme_id,
                title=title,
                kita_id=None,
                language="Deutsch",
                location=place,
                capacity=capacity,
                max_seats=max_seats,
                trainer="elternbegleiterin@demo.example"
                if index != 1
                else "trainer-zwei@demo.example",
                opens_at=self.now - timedelta(days=14),
                closes_at=to_berlin(first - timedelta(days=2), time(23, 59)),
            )
            await self._sessions(
                cohort_id,
                [(to_berlin(d, time(17, 0)), to_berlin(d, time(20, 0)), None) for d in days],
                place,
            )
            await self._public_registrations(cohort_id, capacity, person_ids[index::2])
        for title, title_en, summary, summary_en, weeks, event_capacity in events:
            programme_id = await self._programme(
                kind=ProgrammeKind.info_event,
                title=title,
                title_en=title_en,
                summary=summary,
                summary_en=summary_en,
                is_public=True,
            )
            if title in EVENT_TRANSLATIONS:
                await Programme.update(
                    {Programme.translations: texts.stored(EVENT_TRANSLATIONS[title])}
                ).where(Programme.id == programme_id)
            day = self.today + timedelta(weeks=weeks)
            day += timedelta(days=(2 - day.weekday()) % 7)  # a Wednesday
            place = "Haus der Kulturen, Vitustraße 20, Café"
            cohort_id = await self._cohort(
                programme_id,
                title=title,
                kita_id=None,
                language="Deutsch",
                location=place,
                capacity=event_capacity,
                max_seats=4,
                trainer="elternbegleiterin@demo.example",
            )
            await self._sessions(
                cohort_id, [(to_berlin(day, time(18, 0)), to_berlin(day, time(20, 0)), None)], place
            )

    async def _people(self) -> list[int]:
        rows = await Person.insert(
            *(
                Person(name=name, email=email, language=language, created_at=self.now)
                for name, email, language in _PUBLIC_PEOPLE
            )
        )
        return [int(row["id"]) for row in rows]

    async def _public_registrations(
        self, cohort_id: int, capacity: int, person_ids: Sequence[int]
    ) -> None:
        """Fill the run with groups of seats through the same seat step as real
        registrations, so counters and waiting positions stay consistent."""
        emails = {
            row["id"]: row["email"]
            for row in await Person.select(Person.id, Person.email).where(
                Person.id.is_in(list(person_ids))
            )
        }
        for person_id in person_ids:
            seats = 1 + (person_id % 3 if capacity >= 10 else 0)
            placement = await seat_step.place(cohort_id, seats)
            await Registration.insert(
                Registration(
                    cohort=cohort_id,
                    person=person_id,
                    seats=seats,
                    status=placement.status.value,
                    waiting_position=placement.waiting_position,
                    dedupe_key=email_key(emails[person_id]),
                    consent_notice_version="2026-09",
                    consent_method=ConsentMethod.online.value,
                    consent_given_on=self.today - timedelta(days=3),
                    created_at=self.now,
                    updated_at=self.now,
                )
            )
            self.result.registrations += 1


def _kita_of(email: str) -> str:
    return "KiTa Sonnenblume" if "sonnenblume" in email else "Familienzentrum Regenbogen"


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    return date(month_index // 12, month_index % 12 + 1, min(day.day, 28))


def _rule_json(rule: WeeklyRule) -> dict[str, object]:
    return {
        "weekdays": list(rule.weekdays),
        "start_time": rule.start_time.isoformat(timespec="minutes"),
        "duration_minutes": int(rule.duration.total_seconds() // 60),
        "first_day": rule.first_day.isoformat(),
        "last_day": rule.last_day.isoformat() if rule.last_day else None,
        "count": rule.count,
        "every_weeks": rule.every_weeks,
    }


#: Turkish and Arabic texts of two demo info events (the third shows the German fallback).
EVENT_TRANSLATIONS: dict[str, texts.Translations] = {
    "Infoabend: Ehrenamt im Haus der Kulturen": {
        "tr": {
            "title": "Bilgilendirme akşamı: Haus der Kulturen'de gönüllülük",
            "summary": "Katılmak isteyenler burada nasıl katılacaklarını öğrenir.",
        },
        "ar": {
            "title": "أمسية إعلامية: العمل التطوعي في Haus der Kulturen",
            "summary": "من يريد المشاركة يعرف هنا كيف.",
        },
    },
    "Austauschabend: Elternarbeit und Mehrsprachigkeit": {
        "tr": {
            "title": "Sohbet akşamı: Velilerle çalışma ve çok dillilik",
            "summary": "Veliler ve uzmanlar için bir buluşma.",
        },
        "ar": {
            "title": "أمسية لتبادل الخبرات: العمل مع الأهل وتعدد اللغات",
            "summary": "لقاء للآباء والأمهات والمختصين.",
        },
    },
}
