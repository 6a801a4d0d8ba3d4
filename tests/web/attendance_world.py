"""A Rucksack group for attendance tests: its trainer, a second trainer, a substitute, the
KiTa's partner, another KiTa's partner, a coordinator; families whose guardians write in
Arabic, Turkish and Cyrillic script (plus one on the waiting list); sessions today, a week
ago, two months ago, tomorrow and a cancelled one yesterday. "Today" is the suite's frozen
Wednesday, 25 November 2026 (10:00 in Berlin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.tables import Session
from programmes.vocabulary import ProgrammeKind, RegistrationStatus, Role, SessionStatus
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_cohort,
    make_family_registration,
    make_kita,
    make_programme,
    make_session,
    make_staff,
)

ARABIC = "فاطمة الحسن"
TURKISH = "Ayşe Yılmaz"
CYRILLIC = "Олена Коваленко"


@dataclass
class World:
    kita: int
    cohort: int
    trainer: Staff
    other_trainer: Staff
    substitute: Staff
    partner: Staff
    other_partner: Staff
    coordinator: Staff
    today: int
    last_week: int
    two_months_ago: int
    tomorrow: int
    cancelled: int
    families: list[int]  # registration ids: Arabic (with a second guardian), Turkish, Cyrillic
    waiting: int
    foreign: int  # a confirmed registration of another group


async def build_world() -> World:
    kita = await make_kita("KiTa Sonnenblume")
    trainer = await make_staff(Role.trainer, name="Tara Trainerin")
    other_trainer = await make_staff(Role.trainer, name="Timo Zweiter")
    substitute = await make_staff(Role.trainer, name="Susi Vertretung")
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    cohort = await make_cohort(programme, kita_id=kita, trainer_ids=(trainer.id,), max_seats=1)
    other_cohort = await make_cohort(
        programme, kita_id=kita, trainer_ids=(other_trainer.id,), max_seats=1
    )
    today = await make_session(cohort, starts_at=FROZEN_NOW - timedelta(hours=1))
    last_week = await make_session(cohort, starts_at=FROZEN_NOW - timedelta(days=7))
    two_months_ago = await make_session(cohort, starts_at=FROZEN_NOW - timedelta(days=61))
    tomorrow = await make_session(cohort, starts_at=FROZEN_NOW + timedelta(days=1))
    cancelled = await make_session(cohort, starts_at=FROZEN_NOW - timedelta(days=1))
    await Session.update(
        {Session.status: SessionStatus.cancelled.value, Session.cancel_reason: "Krank"}
    ).where(Session.id == cancelled)
    await Session.update({Session.substitute: substitute.id}).where(Session.id == last_week)
    families = [
        await make_family_registration(cohort, kita, (ARABIC, "Omar Al-Hassan")),
        await make_family_registration(cohort, kita, (TURKISH,)),
        await make_family_registration(cohort, kita, (CYRILLIC,)),
    ]
    waiting = await make_family_registration(
        cohort, kita, ("Wartende Familie",), status=RegistrationStatus.waiting
    )
    foreign = await make_family_registration(other_cohort, kita, ("Andere Gruppe",))
    return World(
        kita=kita,
        cohort=cohort,
        trainer=trainer,
        other_trainer=other_trainer,
        substitute=substitute,
        partner=await make_staff(Role.partner, kita_id=kita),
        other_partner=await make_staff(Role.partner),
        coordinator=await make_staff(Role.coordinator),
        today=today,
        last_week=last_week,
        two_months_ago=two_months_ago,
        tomorrow=tomorrow,
        cancelled=cancelled,
        families=families,
        waiting=waiting,
        foreign=foreign,
    )


async def bearer(staff: Staff) -> dict[str, str]:
    token = await staff_accounts.create_api_token(account_id=staff.id, name="test", now=FROZEN_NOW)
    return {"authorization": f"Bearer {token}"}
