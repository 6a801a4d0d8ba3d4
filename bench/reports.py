"""How long the year report, one cohort's attendance list and one session's attendance
page take, and how many queries each costs.

Usage: python bench/reports.py [--postgres postgresql://postgres@127.0.0.1/programmes_reports_bench]
Seeds 100 Rucksack cohorts of 36 weekly sessions and 15 families each (two guardians, one
child, attendance at every session held before the fixed "now", 25 Nov 2026: 21,000
marks), then prints the median of several runs of: the year report (domain), the same as
CSV and XLSX bytes, the report page, the attendance list page and the session attendance
page of one cohort over HTTP (in-process ASGI). Ceiling in the same run: one
`SELECT COUNT(*) FROM attendance`. Targets: report < 1 s, the two pages < 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from programmes import db
from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.domain.accounts import staff_accounts
from programmes.domain.reporting import reports
from programmes.domain.reporting.report_sheet import report_rows
from programmes.domain.reporting.reports import ReportFilter
from programmes.domain.reporting.spreadsheets import to_csv, to_xlsx
from programmes.settings import load_settings, parse_database_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, for tests/
from tests.query_counter import counted_queries

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday: ~13 of 36 sessions held
FIRST = datetime(2026, 8, 19, 14, 0, tzinfo=UTC)  # Wednesdays 16:00 in Berlin
YEAR = ReportFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31))
COHORTS, SESSIONS, FAMILIES = 100, 36, 15
RUNS = 7
PASSWORD = "bench-password-1"


async def setup_database(url: str) -> None:
    config = parse_database_url(url)
    if config.engine == "postgres":
        import asyncpg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
    db.configure(config)
    await db.migrate()


async def insert_many(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> list[int]:
    """Multi-row INSERTs of up to 500 rows, returning the ids (both engines)."""
    ids: list[int] = []
    width = len(columns)
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        values = ", ".join("(" + ", ".join(["{}"] * width) + ")" for _ in chunk)
        args = [value for row in chunk for value in row]
        found = await db.fetch(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} RETURNING id",
            *args,
        )
        ids.extend(int(row["id"]) for row in found)
    return ids


async def seed() -> dict[str, Any]:
    coordinator = await staff_accounts.create_account(
        email="bench@example.org", password=PASSWORD, role="coordinator", name="B", now=NOW
    )
    trainers = [
        await staff_accounts.create_account(
            email=f"t{i}@example.org", password=PASSWORD, role="trainer", name=f"T {i}", now=NOW
        )
        for i in range(10)
    ]
    kitas = await insert_many("kita", ["name"], [(f"KiTa {i}",) for i in range(20)])
    (programme,) = await insert_many(
        "programme",
        ["kind", "title", "themes", "certificate_threshold_percent", "status", "is_public"],
        [("rucksack", "Rucksack KiTa", "[]" if db.is_sqlite() else [], 75, "published", False)],
    )
    cohorts = await insert_many(
        "cohort",
        ["programme", "kita", "title", "capacity", "status"],
        [(programme, kitas[i % 20], f"Rucksack {i}", 20, "published") for i in range(COHORTS)],
    )
    await insert_many(
        "cohort_trainer",
        ["cohort", "trainer"],
        [(c, trainers[i % 10].id) for i, c in enumerate(cohorts)],
    )
    session_rows = []
    for cohort in cohorts:
        for week in range(SESSIONS):
            start = FIRST + timedelta(days=7 * week)
            substitute = trainers[(week + 1) % 10].id if week % 9 == 4 else None
            session_rows.append((cohort, start, start + timedelta(hours=2), substitute))
    session_ids = await insert_many(
        "cohort_session", ["cohort", "starts_at", "ends_at", "substitute"], session_rows
    )
    held = {sid for sid, row in zip(session_ids, session_rows, strict=True) if row[1] < NOW}
    languages = ['["Türkisch", "Deutsch"]', '["Arabisch"]', '["Russisch", "Ukrainisch"]']
    family_ids: list[int] = []
    registration_ids: dict[int, list[int]] = {}
    for i, cohort in enumerate(cohorts):
        fams = await insert_many("family", ["kita"], [(kitas[i % 20],)] * FAMILIES)
        family_ids.extend(fams)
        guardian_rows = []
        for n, family in enumerate(fams):
            spoken = languages[n % 3] if db.is_sqlite() else json.loads(languages[n % 3])
            guardian_rows += [
                (family, f"Elternteil {family}a", spoken),
                (family, f"Elternteil {family}b", spoken),
            ]
        await insert_many("guardian", ["family", "name", "languages"], guardian_rows)
        await insert_many(
            "child",
            ["family", "first_name", "date_of_birth"],
            [(family, "Kind", date(2021, 5, 1)) for family in fams],
        )
        registration_ids[cohort] = await insert_many(
            "registration",
            [
                "cohort",
                "family",
                "seats",
                "status",
                "consent_notice_version",
                "consent_method",
                "consent_given_on",
            ],
            [(cohort, family, 1, "confirmed", "1", "paper", date(2026, 8, 1)) for family in fams],
        )
    marks = []
    for sid, row in zip(session_ids, session_rows, strict=True):
        if sid in held:
            for n, registration in enumerate(registration_ids[row[0]]):
                marks.append(
                    (
                        sid,
                        registration,
                        ("present", "present", "present", "excused", "absent")[(n + sid) % 5],
                    )
                )
    await insert_many("attendance", ["session", "registration", "mark"], marks)
    return {
        "coordinator": coordinator,
        "cohort": cohorts[0],
        "session": session_ids[0],  # held, with 15 marks
        "marks": len(marks),
    }


async def timed(action: Callable[[], Awaitable[Any]]) -> tuple[float, int]:
    times = []
    for _ in range(RUNS):
        with counted_queries() as seen:
            start = time.perf_counter()
            await action()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, len(seen)


async def measure(url: str, workdir: Path) -> dict[str, Any]:
    await setup_database(url)
    world = await seed()
    settings = load_settings(
        {
            "PROGRAMMES_ENV": "test",
            "PROGRAMMES_DATABASE_URL": url,
            "PROGRAMMES_SECRET_KEY": "bench-" + "x" * 40,
            "PROGRAMMES_BASE_URL": "http://testserver",
        },
        workdir=workdir,
    )
    app = create_app(settings, clock=FrozenClock(NOW), send_mail=False)
    results: dict[str, Any] = {"marks": world["marks"]}
    async with app.lifespan():
        staff = world["coordinator"]

        async def year_report() -> Any:
            return await reports.build_report(staff=staff, filters=YEAR, now=NOW)

        async def files() -> Any:
            report = await year_report()
            rows, headings = report_rows(report, "de")
            return to_csv(rows), to_xlsx(rows, title="Bericht", bold_rows=headings)

        async def ceiling() -> Any:
            return await db.fetch("SELECT COUNT(*) AS n FROM attendance")

        # httpx types the ASGI scope and messages as dicts, Litestar as TypedDicts
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            login = await http.get("/staff/login")
            token = login.text.split('name="_csrf_token" value="')[1].split('"')[0]
            signed_in = await http.post(
                "/staff/login",
                data={"_csrf_token": token, "email": "bench@example.org", "password": PASSWORD},
            )
            assert signed_in.status_code == 303, signed_in.text[:500]

            async def attendance_page() -> Any:
                response = await http.get(f"/staff/cohorts/{world['cohort']}/attendance-list")
                assert response.status_code == 200
                return response

            async def session_page() -> Any:  # the trainer's page for taking attendance
                response = await http.get(f"/staff/sessions/{world['session']}/attendance")
                assert response.status_code == 200
                return response

            async def report_page() -> Any:
                response = await http.get("/staff/reports", params={"from": "2026-01-01"})
                assert response.status_code == 200
                return response

            for name, action in (
                ("ceiling", ceiling),
                ("report", year_report),
                ("report+files", files),
                ("report page", report_page),
                ("list page", attendance_page),
                ("session page", session_page),
            ):
                results[name] = await timed(action)
        report = await year_report()
        results["check"] = (
            report.totals.groups_run,
            report.totals.sessions_held,
            report.totals.families,
            report.totals.marked,
        )
    return results


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (name must contain 'bench')"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}")]
        if args.postgres:
            if "bench" not in args.postgres.rsplit("/", 1)[1]:
                parser.error("the PostgreSQL database name must contain 'bench'")
            targets.append(("PostgreSQL", args.postgres))
        print(
            f"{COHORTS} cohorts x {SESSIONS} sessions x {FAMILIES} families, year 2026, "
            f"median of {RUNS} runs: ms (queries)"
        )
        names = ["ceiling", "report", "report+files", "report page", "list page", "session page"]
        print(f"{'engine':<12}" + "".join(f"{n:>18}" for n in names))
        for label, url in targets:
            result = asyncio.run(measure(url, Path(tmp)))
            cells = "".join(f"{f'{result[n][0]:.1f} ({result[n][1]})':>18}" for n in names)
            print(f"{label:<12}{cells}")
            print(
                f"{'':<12}marks seeded: {result['marks']}; report totals (groups, held, "
                f"families, marks): {result['check']}"
            )
        print("targets: report < 1000 ms, list page and session page < 100 ms")


if __name__ == "__main__":
    main()
