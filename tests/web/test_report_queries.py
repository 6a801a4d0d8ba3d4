"""The year report and the attendance list cost the same number of queries for a small and
a larger data set (no query per cohort, session or family)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from programmes.domain.reporting import reports
from programmes.domain.reporting.reports import ReportFilter
from programmes.tables import Attendance, Family, Guardian, Registration, Session
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_kita, make_staff
from tests.query_counter import counted_queries
from tests.report_world import add_cohort, add_programme, berlin
from tests.web.helpers import sign_in

YEAR = ReportFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))


async def seed(cohorts: int, sessions: int, families: int) -> list[int]:
    """`cohorts` Rucksack groups with weekly sessions from September and families who all
    came to every held session; bulk inserts."""
    kita = await make_kita()
    trainer = await make_staff(Role.trainer)
    programme = await add_programme(ProgrammeKind.rucksack, "Rucksack")
    ids = []
    for _ in range(cohorts):
        cohort = await add_cohort(programme, "Gruppe", kita=kita, trainers=(trainer.id,))
        ids.append(cohort)
        first = berlin(2026, 9, 2, 16)
        rows = await Session.insert(
            *(
                Session(
                    cohort=cohort,
                    starts_at=first + timedelta(days=7 * i),
                    ends_at=first + timedelta(days=7 * i, hours=2),
                )
                for i in range(sessions)
            )
        )
        session_ids = [row["id"] for row in rows]
        family_ids = [
            row["id"] for row in await Family.insert(*(Family(kita=kita) for _ in range(families)))
        ]
        await Guardian.insert(
            *(Guardian(family=f, name=f"G{f}", languages=["Deutsch"]) for f in family_ids)
        )
        registrations = await Registration.insert(
            *(
                Registration(
                    cohort=cohort,
                    family=f,
                    status="confirmed",
                    consent_notice_version="1",
                    consent_method="paper",
                    consent_given_on=date(2026, 9, 1),
                )
                for f in family_ids
            )
        )
        held = [s for i, s in enumerate(session_ids) if first + timedelta(days=7 * i) < FROZEN_NOW]
        await Attendance.insert(
            *(
                Attendance(session=s, registration=r["id"], mark="present")
                for s in held
                for r in registrations
            )
        )
    return ids


async def test_the_year_report_issues_a_constant_number_of_queries(
    client: httpx.AsyncClient,
) -> None:
    coordinator = await make_staff(Role.coordinator)
    counts = []
    for size in ((1, 2, 1), (4, 8, 3)):
        cohorts = await seed(*size)
        with counted_queries() as seen:
            report = await reports.build_report(staff=coordinator, filters=YEAR, now=FROZEN_NOW)
        assert report.totals.families >= size[0] * size[2]  # type: ignore[operator]
        counts.append(len(seen))
        await sign_in(client, coordinator.email)
        with counted_queries() as seen:
            response = await client.get(f"/staff/cohorts/{cohorts[-1]}/attendance-list")
        assert response.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[2] == 7, counts  # the report: seven queries
    assert counts[1] == counts[3], counts  # the attendance list page


async def test_the_report_over_http_is_constant_too(client: httpx.AsyncClient) -> None:
    coordinator = await make_staff(Role.coordinator)
    await sign_in(client, coordinator.email)
    counts: list[int] = []
    for size in ((1, 2, 1), (3, 6, 4)):
        await seed(*size)
        for path in ("/api/v1/reports", "/staff/reports/report.csv"):
            with counted_queries() as seen:
                response: Any = await client.get(path, params={"from": "2026-01-01"})
            assert response.status_code == 200
            counts.append(len(seen))
    assert counts[:2] == counts[2:], counts
