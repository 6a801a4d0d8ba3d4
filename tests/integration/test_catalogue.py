"""KiTas, programmes and cohorts: who may do what, and what is refused."""

from __future__ import annotations

from datetime import datetime

import pytest

from programmes.domain.catalogue import entries
from programmes.domain.catalogue.entries import RUCKSACK_THEMES, CohortInput, ProgrammeInput
from programmes.domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from programmes.tables import Cohort, Kita, Programme
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_kita, make_programme, make_staff

NOW = FROZEN_NOW


async def test_coordinator_plans_a_rucksack_group() -> None:
    coordinator = await make_staff(Role.coordinator)
    trainer = await make_staff(Role.trainer)
    kita = await entries.create_kita(
        staff=coordinator, name="KiTa Löwenzahn", address="Weg 1", now=NOW
    )
    programme = await entries.create_programme(
        staff=coordinator,
        data=ProgrammeInput(
            kind="rucksack", title="Rucksack KiTa", min_age_years=4, max_age_years=6
        ),
        now=NOW,
    )
    assert programme.themes == list(RUCKSACK_THEMES)
    assert programme.status == "draft" and not programme.is_public
    cohort = await entries.create_cohort(
        staff=coordinator,
        data=CohortInput(
            programme_id=programme.id,
            title="Rucksack Löwenzahn 2026/27",
            kita_id=kita.id,
            capacity=12,
            trainer_ids=[trainer.id],
            language="Arabisch und Deutsch",
        ),
        now=NOW,
    )
    assert cohort.kita_name == "KiTa Löwenzahn"
    assert [t.id for t in cohort.trainers] == [trainer.id]
    published = await entries.change_cohort_status(
        staff=coordinator, cohort_id=cohort.id, action="publish", now=NOW
    )
    assert published.status == "published"
    with pytest.raises(Conflict):
        await entries.change_cohort_status(
            staff=coordinator, cohort_id=cohort.id, action="publish", now=NOW
        )
    archived = await entries.change_cohort_status(
        staff=coordinator, cohort_id=cohort.id, action="archive", now=NOW
    )
    assert archived.status == "archived"
    with pytest.raises(Conflict):
        await entries.update_cohort(
            staff=coordinator,
            cohort_id=cohort.id,
            data=CohortInput(programme_id=programme.id, title="x", kita_id=kita.id),
            now=NOW,
        )


async def test_partners_and_trainers_see_only_their_own_cohorts() -> None:
    kita_a, kita_b = await make_kita("A"), await make_kita("B")
    partner_a = await make_staff(Role.partner, kita_id=kita_a)
    trainer = await make_staff(Role.trainer)
    other_trainer = await make_staff(Role.trainer)
    rucksack = await make_programme(ProgrammeKind.rucksack, is_public=False)
    at_a = await make_cohort(rucksack, kita_id=kita_a, trainer_ids=(trainer.id,))
    at_b = await make_cohort(rucksack, kita_id=kita_b, trainer_ids=(other_trainer.id,))

    assert [c.id for c in await entries.list_cohorts(staff=partner_a)] == [at_a]
    assert [c.id for c in await entries.list_cohorts(staff=trainer)] == [at_a]
    assert [k.id for k in await entries.list_kitas(staff=partner_a)] == [kita_a]
    for staff, foreign in ((partner_a, at_b), (trainer, at_b)):
        with pytest.raises(NotFound):
            await entries.get_cohort(staff=staff, cohort_id=foreign)
    with pytest.raises(NotFound):
        await entries.get_kita(staff=partner_a, kita_id=kita_b)
    # an internal programme is invisible to staff without a cohort in it
    lonely = await make_staff(Role.trainer)
    assert await entries.list_programmes(staff=lonely) == []
    with pytest.raises(NotFound):
        await entries.get_programme(staff=lonely, programme_id=rucksack)


async def test_only_coordinators_change_plans() -> None:
    partner = await make_staff(Role.partner)
    trainer = await make_staff(Role.trainer)
    for staff in (partner, trainer):
        with pytest.raises(Forbidden):
            await entries.create_kita(staff=staff, name="X", now=NOW)
        with pytest.raises(Forbidden):
            await entries.create_programme(
                staff=staff, data=ProgrammeInput(kind="training", title="T"), now=NOW
            )
    assert await Kita.count() == 1 and await Programme.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (ProgrammeInput(kind="course", title="T"), "kind"),
        (ProgrammeInput(kind="rucksack", title="R", is_public=True), "is_public"),
        (ProgrammeInput(kind="training", title="   "), "title"),
        (ProgrammeInput(kind="training", title="x" * 201), "title"),
        (ProgrammeInput(kind="training", title="a\x00b"), "title"),
        (
            ProgrammeInput(kind="training", title="T", min_age_years=7, max_age_years=4),
            "max_age_years",
        ),
        (
            ProgrammeInput(kind="training", title="T", certificate_threshold_percent=0),
            "certificate_threshold_percent",
        ),
        (ProgrammeInput(kind="training", title="T", themes=["ok"] * 41), "themes"),
    ],
)
async def test_bad_programme_input_names_the_field(data: ProgrammeInput, field: str) -> None:
    coordinator = await make_staff(Role.coordinator)
    with pytest.raises(InvalidInput) as error:
        await entries.create_programme(staff=coordinator, data=data, now=NOW)
    assert error.value.field == field
    assert await Programme.count() == 0


async def test_bad_cohort_input_names_the_field() -> None:
    coordinator = await make_staff(Role.coordinator)
    partner = await make_staff(Role.partner)
    rucksack = await make_programme(ProgrammeKind.rucksack, is_public=False)
    training = await make_programme(ProgrammeKind.training)
    naive = datetime(2027, 1, 1, 9, 0)
    cases: list[tuple[CohortInput, type[DomainError], str]] = [
        (CohortInput(programme_id=rucksack, title="R"), InvalidInput, "kita_id"),
        (CohortInput(programme_id=training, title="T", kita_id=999_999), NotFound, "kita"),
        (CohortInput(programme_id=999_999, title="T"), NotFound, "programme"),
        (CohortInput(programme_id=training, title="T", capacity=-1), InvalidInput, "capacity"),
        (
            CohortInput(programme_id=training, title="T", max_seats_per_registration=0),
            InvalidInput,
            "max_seats_per_registration",
        ),
        (
            CohortInput(programme_id=training, title="T", registration_opens_at=naive),
            InvalidInput,
            "registration_opens_at",
        ),
        (
            CohortInput(
                programme_id=training,
                title="T",
                registration_opens_at=NOW,
                registration_closes_at=NOW,
            ),
            InvalidInput,
            "registration_closes_at",
        ),
        (
            CohortInput(programme_id=training, title="T", trainer_ids=[999_999]),
            NotFound,
            "trainer_ids",
        ),
        (
            CohortInput(programme_id=training, title="T", trainer_ids=[partner.id]),
            NotFound,
            "trainer_ids",
        ),
    ]
    for data, error_type, field in cases:
        with pytest.raises(error_type) as error:
            await entries.create_cohort(staff=coordinator, data=data, now=NOW)
        assert error.value.field == field, data
    assert await Cohort.count() == 0


async def test_capacity_cannot_drop_below_taken_seats() -> None:
    coordinator = await make_staff(Role.coordinator)
    training = await make_programme(ProgrammeKind.training)
    cohort_id = await make_cohort(training, capacity=10)
    await Cohort.update({Cohort.seats_taken: 6}).where(Cohort.id == cohort_id)
    with pytest.raises(Conflict) as error:
        await entries.update_cohort(
            staff=coordinator,
            cohort_id=cohort_id,
            data=CohortInput(programme_id=training, title="T", capacity=5),
            now=NOW,
        )
    assert error.value.field == "capacity"
    row = await Cohort.select(Cohort.capacity).where(Cohort.id == cohort_id).first()
    assert row is not None and row["capacity"] == 10
