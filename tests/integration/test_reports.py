"""Report figures on both engines: a hand count, partners' view, erasure, filters."""

from __future__ import annotations

from datetime import date

import msgspec
import pytest

from programmes.domain.errors import Forbidden, InvalidParameter
from programmes.domain.reporting import reports
from programmes.domain.reporting.reports import ReportFilter
from tests.conftest import FROZEN_NOW
from tests.report_world import (
    HAND_COUNT_HOURS,
    HAND_COUNT_LANGUAGES,
    HAND_COUNT_TOTALS,
    anonymise_family,
    build_report_world,
)

YEAR = ReportFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))


async def test_the_year_report_matches_the_hand_count() -> None:
    world = await build_report_world()
    report = await reports.build_report(staff=world.coordinator, filters=YEAR, now=FROZEN_NOW)
    assert msgspec.structs.asdict(report.totals) == HAND_COUNT_TOTALS
    assert [(x.language, x.families) for x in report.languages] == HAND_COUNT_LANGUAGES
    assert [(x.facilitator, x.sessions, x.hours) for x in report.facilitators] == HAND_COUNT_HOURS
    by_id = {c.cohort_id: c for c in report.cohorts}
    assert set(by_id) == {world.a1, world.b1, world.t1}  # C has sessions in 2027 only
    a1 = by_id[world.a1]
    assert (a1.sessions_planned, a1.sessions_held, a1.sessions_cancelled) == (6, 4, 1)
    assert (a1.families, a1.guardians, a1.children, a1.waiting) == (3, 4, 4, 1)
    assert (a1.marked, a1.present, a1.at_threshold) == (11, 7, 2)
    assert a1.attendance_rate == round(7 / 11, 4)
    t1 = by_id[world.t1]
    assert (t1.people, t1.waiting, t1.at_threshold, t1.threshold_percent) == (3, 1, 1, 100)
    assert report.small_counts_hidden is False


async def test_a_partner_sees_only_their_kita_with_small_counts_hidden() -> None:
    world = await build_report_world()
    report = await reports.build_report(staff=world.partner_a, filters=YEAR, now=FROZEN_NOW)
    assert [c.cohort_id for c in report.cohorts] == [world.a1]
    totals = report.totals
    assert report.small_counts_hidden and report.kita_id == world.kita_a
    assert (totals.sessions_planned, totals.marked, totals.present) == (6, 11, 7)
    assert totals.sessions_held == totals.families == totals.at_threshold == "< 5"
    assert totals.groups_run == totals.waiting == totals.people == "< 5"
    assert all(item.families == "< 5" for item in report.languages)
    assert {f.facilitator for f in report.facilitators} == {"Leyla Şahin", "Ольга Смирнова"}
    # the other KiTa is unknown to this partner, as a filter too
    with pytest.raises(InvalidParameter) as error:
        await reports.build_report(
            staff=world.partner_a,
            filters=msgspec.structs.replace(YEAR, kita_id=world.kita_b),
            now=FROZEN_NOW,
        )
    assert error.value.field == "kita"
    with pytest.raises(InvalidParameter) as error:
        await reports.build_report(
            staff=world.partner_a,
            filters=msgspec.structs.replace(YEAR, cohort_id=world.b1),
            now=FROZEN_NOW,
        )
    assert error.value.field == "cohort"
    # a programme without a group at the partner's KiTa, title and all, is unknown too
    with pytest.raises(InvalidParameter) as error:
        await reports.build_report(
            staff=world.partner_a,
            filters=msgspec.structs.replace(YEAR, programme_id=world.training),
            now=FROZEN_NOW,
        )
    assert error.value.field == "programme"
    shared = await reports.build_report(
        staff=world.partner_a,
        filters=msgspec.structs.replace(YEAR, programme_id=world.rucksack),
        now=FROZEN_NOW,
    )
    assert [c.cohort_id for c in shared.cohorts] == [world.a1]


async def test_trainers_get_no_report() -> None:
    world = await build_report_world()
    with pytest.raises(Forbidden):
        await reports.build_report(staff=world.trainer, filters=YEAR, now=FROZEN_NOW)


async def test_erasing_a_family_leaves_every_figure_unchanged() -> None:
    world = await build_report_world()
    before = {
        staff.id: await reports.build_report(staff=staff, filters=YEAR, now=FROZEN_NOW)
        for staff in (world.coordinator, world.partner_a, world.partner_b)
    }
    for family in ("yilmaz", "petrova", "waiting", "mueller"):
        await anonymise_family(world.families[family])
    for staff in (world.coordinator, world.partner_a, world.partner_b):
        after = await reports.build_report(staff=staff, filters=YEAR, now=FROZEN_NOW)
        assert after == before[staff.id]
    assert before[world.coordinator.id].totals.families == 4


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [("programme", "programme_id", "programme"), ("cohort", "cohort_id", "cohort")],
)
async def test_unknown_filters_name_the_filter(name: str, value: str, field: str) -> None:
    world = await build_report_world()
    with pytest.raises(InvalidParameter) as error:
        await reports.build_report(
            staff=world.coordinator,
            filters=msgspec.structs.replace(YEAR, **{value: 99_999}),
            now=FROZEN_NOW,
        )
    assert error.value.field == field and "99999" in error.value.message


async def test_filters_narrow_the_report() -> None:
    world = await build_report_world()
    by_programme = await reports.build_report(
        staff=world.coordinator,
        filters=msgspec.structs.replace(YEAR, programme_id=world.training),
        now=FROZEN_NOW,
    )
    assert [c.cohort_id for c in by_programme.cohorts] == [world.t1]
    assert by_programme.programme == "+Sensibilisierung"
    by_kita = await reports.build_report(
        staff=world.coordinator,
        filters=msgspec.structs.replace(YEAR, kita_id=world.kita_b),
        now=FROZEN_NOW,
    )
    assert [c.cohort_id for c in by_kita.cohorts] == [world.b1]
    assert by_kita.totals.families == 1 and by_kita.kita == "روضة النور"
    autumn = await reports.build_report(
        staff=world.coordinator,
        filters=ReportFilter(
            date_from=date(2026, 10, 1), date_to=date(2026, 10, 31), cohort_id=world.a1
        ),
        now=FROZEN_NOW,
    )
    assert autumn.totals.sessions_planned == 4 and autumn.totals.sessions_held == 3
