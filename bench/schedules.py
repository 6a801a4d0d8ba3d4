"""How long the largest allowed weekly rule takes to expand and to save.

Usage: python bench/schedules.py [--postgres postgresql://postgres@127.0.0.1/programmes_bench_test]
Prints the median of several runs for: expanding the rule (pure), previewing it (with the
database reads) and saving it into an empty cohort, next to a baseline of inserting the same
60 rows with one bulk INSERT through Piccolo in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from piccolo.engine.postgres import PostgresEngine

from programmes import db
from programmes.domain.accounts import staff_accounts
from programmes.domain.planning import schedules
from programmes.domain.planning.recurrence import expand_rule
from programmes.domain.planning.schedules import RuleInput, parse_rule
from programmes.settings import parse_database_url
from programmes.tables import Cohort, Kita, Programme, Session

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
RULE = RuleInput(
    weekdays=[0, 2, 4],
    start_time="18:00",
    duration_minutes=120,
    first_day=date(2027, 1, 4),
    count=60,
)
RUNS = 15


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
    engine = db.configure(config)
    await db.migrate()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=4)


async def new_cohort(kita: int, programme: int) -> int:
    rows = await Cohort.insert(Cohort(programme=programme, kita=kita, title="Bench", capacity=12))
    return int(rows[0]["id"])


async def measure(url: str) -> dict[str, float]:
    await setup_database(url)
    coordinator = await staff_accounts.create_account(
        email="bench@example.org",
        password="bench-password-1",
        role="coordinator",
        name="B",
        now=NOW,
    )
    kita = (await Kita.insert(Kita(name="Bench KiTa")))[0]["id"]
    programme = (await Programme.insert(Programme(kind="rucksack", title="R", themes=[])))[0]["id"]
    weekly = parse_rule(RULE)
    timings: dict[str, list[float]] = {"expand": [], "preview": [], "save": [], "bulk insert": []}
    for _ in range(RUNS):
        t = time.perf_counter()
        plan = expand_rule(weekly)
        timings["expand"].append(time.perf_counter() - t)
        cohort = await new_cohort(kita, programme)
        t = time.perf_counter()
        await schedules.preview_schedule(staff=coordinator, cohort_id=cohort, rule=RULE, now=NOW)
        timings["preview"].append(time.perf_counter() - t)
        t = time.perf_counter()
        await schedules.save_schedule(staff=coordinator, cohort_id=cohort, rule=RULE, now=NOW)
        timings["save"].append(time.perf_counter() - t)
        other = await new_cohort(kita, programme)
        t = time.perf_counter()
        await Session.insert(
            *(
                Session(cohort=other, starts_at=p.starts_at, ends_at=p.ends_at, theme=p.theme)
                for p in plan.sessions
            )
        )
        timings["bulk insert"].append(time.perf_counter() - t)
    return {name: statistics.median(values) * 1000 for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--postgres", help="also measure on this PostgreSQL URL (name must contain 'bench')"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        print(f"Largest allowed rule: 3 weekdays, 60 sessions; median of {RUNS} runs (ms)")
        print(
            f"{'engine':<12}{'expand':>10}{'preview':>10}{'save':>10}{'bulk insert':>14}{'save/bulk':>11}"
        )
        for label, url in targets:
            result = asyncio.run(measure(url))
            print(
                f"{label:<12}{result['expand']:>10.2f}{result['preview']:>10.2f}"
                f"{result['save']:>10.2f}{result['bulk insert']:>14.2f}"
                f"{result['save'] / result['bulk insert']:>10.1f}x"
            )


if __name__ == "__main__":
    main()
