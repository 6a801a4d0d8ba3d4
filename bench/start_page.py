"""How long the public start page takes with 200 upcoming events (target: < 30 ms).

Usage: python bench/start_page.py [--postgres postgresql://postgres@127.0.0.1/programmes_start_bench]
Seeds 200 published public runs (trainings and info events, two dates each over the next
months, some full, some with few places, some cancelled), then requests `/` (page 1 of 4:
the domain reads all 200 runs, the page shows 50 cards), `/?page=4`, a month filter and
the gzipped start page over HTTP (in-process ASGI, so the figure is the server's: routing,
two queries, grouping, the template and the middleware) and prints the median and the 90th
percentile of 50 requests each, with the size sent. It never asserts; the machine's other
work shows in the figures, so run it more than once on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from programmes import db
from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.settings import load_settings, parse_database_url

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
RUNS, REQUESTS = 200, 50


async def setup_database(url: str) -> None:
    """A fresh, migrated database (PostgreSQL: dropped and created)."""
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


async def seed() -> None:
    themes: Any = "[]" if db.is_sqlite() else []
    programmes = await insert_many(
        "programme",
        ["kind", "title", "title_en", "themes", "status", "is_public"],
        [
            (kind, f"{title} {n}", f"{title} {n} (en)", themes, "published", True)
            for n in range(10)
            for kind, title in (("training", "Schulung"), ("info_event", "Infoabend"))
        ],
    )
    cohorts = await insert_many(
        "cohort",
        ["programme", "title", "location", "language", "capacity", "seats_taken", "status"],
        [
            (
                programmes[i % len(programmes)],
                f"Termin {i}",
                f"Haus der Kulturen, Raum {i % 7}",
                "Deutsch" if i % 3 else "Türkisch",
                20,
                (0, 18, 20, 5)[i % 4],
                "cancelled" if i % 25 == 0 else "published",
            )
            for i in range(RUNS)
        ],
    )
    await insert_many(
        "cohort_session",
        ["cohort", "starts_at", "ends_at", "location", "status", "sequence"],
        [
            (cohort, start, start + timedelta(hours=2), "", "scheduled", 0)
            for i, cohort in enumerate(cohorts)
            for start in (
                NOW + timedelta(days=1 + i, hours=i % 5),
                NOW + timedelta(days=8 + i, hours=i % 5),
            )
        ],
    )


async def timed(
    http: httpx.AsyncClient, path: str, **headers: str
) -> tuple[float, float, float, int]:
    """Median and 90th percentile of the wall time, the median CPU time of the process (its
    SQLite thread included: what a request costs the server, whatever else the machine
    runs) in ms, and the bytes sent."""
    times, cpu, size = [], [], 0
    for _ in range(REQUESTS):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = await http.get(path, headers=headers)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert response.status_code == 200, (path, response.status_code)
        size = int(response.headers["content-length"])
    times.sort()
    return (
        statistics.median(times) * 1000,
        times[int(len(times) * 0.9)] * 1000,
        statistics.median(cpu) * 1000,
        size,
    )


async def measure(url: str, workdir: Path) -> None:
    await setup_database(url)
    await seed()
    settings = load_settings(
        {
            "PROGRAMMES_ENV": "test",
            "PROGRAMMES_DATABASE_URL": url,
            "PROGRAMMES_SECRET_KEY": "bench-" + "x" * 40,
            "PROGRAMMES_BASE_URL": "http://testserver",
            "PROGRAMMES_FEED_RENDERER": "thread",
        },
        workdir=workdir,
    )
    app = create_app(settings, clock=FrozenClock(NOW), send_mail=False)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await http.get("/")  # templates compiled, pool warm
            engine = "SQLite" if db.is_sqlite() else "PostgreSQL"
            print(f"{engine}: {RUNS} upcoming events, {REQUESTS} requests each")
            print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            for label, path, headers in (
                ("/ (50 cards)", "/", {"accept-encoding": "identity"}),
                ("/ gzipped", "/", {"accept-encoding": "gzip"}),
                ("/?page=4", "/?page=4", {"accept-encoding": "identity"}),
                ("/?month=2027-01", "/?month=2027-01", {"accept-encoding": "identity"}),
            ):
                median, p90, cpu, size = await timed(http, path, **headers)
                print(
                    f"  {label:<18} median {median:6.1f} ms  p90 {p90:6.1f} ms  "
                    f"CPU {cpu:6.1f} ms  {size / 1024:5.1f} KB sent  (target < 30 ms)"
                )


def main() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="measure on this PostgreSQL URL instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite:///{tmp}/start.sqlite"
        asyncio.run(measure(url, Path(tmp)))


if __name__ == "__main__":
    main()
