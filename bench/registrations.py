"""Registrations per second over HTTP against the seat-taking SQL alone.

Usage: python bench/registrations.py [--seconds 10] [--clients 50] [--postgres URL]

For each engine it starts `programmes serve --workers 2` itself on a fresh database with 20
open runs (plenty of seats), drives `--clients` concurrent clients posting registrations
(JSON API, unique addresses) for a fixed time, and prints registrations/s with p50/p99
latency. In the same run it measures the ceiling: the conditional UPDATE that takes a seat,
committed one by one with the bare driver (sqlite3 with BEGIN IMMEDIATE and
synchronous=FULL; asyncpg with a pool of `--clients` connections). Targets:
HTTP at least 20 % of the ceiling on SQLite, 35 % on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

RUNS = 20
SEAT_SQL = (
    "UPDATE cohort SET seats_taken = seats_taken + 1 "
    "WHERE id = {p} AND (capacity IS NULL OR seats_taken + 1 <= capacity)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(url: str) -> list[int]:
    """Migrate a fresh database and create RUNS open runs with plenty of seats."""
    from programmes import db
    from programmes.settings import parse_database_url
    from programmes.tables import Cohort, Programme, Session

    config = parse_database_url(url)
    if config.engine == "postgres":
        import asyncpg

        admin, name = url.rsplit("/", 1)
        conn = await asyncpg.connect(admin + "/postgres")
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()
    db.configure(config)
    await db.migrate()
    start = datetime.now(UTC) + timedelta(days=30)
    programme = (
        await Programme.insert(
            Programme(
                kind="training",
                title="Bench",
                is_public=True,
                status="published",
                themes=[],
            )
        )
    )[0]["id"]
    cohorts = []
    for _ in range(RUNS):
        cohort = (
            await Cohort.insert(
                Cohort(
                    programme=programme,
                    title="Bench run",
                    capacity=1_000_000,
                    max_seats_per_registration=1,
                    status="published",
                )
            )
        )[0]["id"]
        await Session.insert(
            Session(cohort=cohort, starts_at=start, ends_at=start + timedelta(hours=2))
        )
        cohorts.append(cohort)
    return cohorts


def start_server(url: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PROGRAMMES_DATABASE_URL": url,
        "PROGRAMMES_SECRET_KEY": "bench-" + "x" * 40,
        "PROGRAMMES_BASE_URL": f"http://127.0.0.1:{port}",
        "PROGRAMMES_REGISTRATION_LIMIT": "off",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "programmes.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--no-access-log",
        ],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


async def drive(
    port: int, cohorts: list[int], clients: int, seconds: float
) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:

        async def one_client(n: int) -> None:
            nonlocal errors
            i = 0
            while time.monotonic() < stop:
                body = {"name": "Bench", "email": f"c{n}-{i}@bench.example", "consent": True}
                t = time.perf_counter()
                response = await client.post(
                    f"/api/v1/events/{cohorts[(n + i) % len(cohorts)]}/registrations", json=body
                )
                latencies.append(time.perf_counter() - t)
                if response.status_code != 201:
                    errors += 1
                i += 1

        begin = time.monotonic()
        await asyncio.gather(*(one_client(n) for n in range(clients)))
        elapsed = time.monotonic() - begin
    return int(len(latencies) / elapsed), latencies, errors


def sqlite_ceiling(path: str, cohorts: list[int], seconds: float) -> int:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA synchronous = FULL")
    done, stop, i = 0, time.monotonic() + seconds, 0
    begin = time.monotonic()
    while time.monotonic() < stop:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(SEAT_SQL.format(p="?"), (cohorts[i % len(cohorts)],))
        conn.execute("COMMIT")
        done += 1
        i += 1
    conn.close()
    return int(done / (time.monotonic() - begin))


async def postgres_ceiling(url: str, cohorts: list[int], clients: int, seconds: float) -> int:
    import asyncpg

    pool = await asyncpg.create_pool(url, min_size=clients, max_size=clients)
    done = 0
    stop = time.monotonic() + seconds

    async def worker(n: int) -> None:
        nonlocal done
        i = 0
        while time.monotonic() < stop:
            await pool.execute(SEAT_SQL.format(p="$1"), cohorts[(n + i) % len(cohorts)])
            done += 1
            i += 1

    begin = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(clients)))
    rate = int(done / (time.monotonic() - begin))
    await pool.close()
    return rate


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--postgres", help="e.g. postgresql://postgres@127.0.0.1:5432/programmes_bench_test"
    )
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for label, url in targets:
            cohorts = asyncio.run(prepare(url))
            port = free_port()
            server = start_server(url, port, Path(tmp))
            try:
                asyncio.run(drive(port, cohorts, args.clients, 2))  # warm up
                rate, latencies, errors = asyncio.run(
                    drive(port, cohorts, args.clients, args.seconds)
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
            if label == "SQLite":
                ceiling = sqlite_ceiling(str(Path(tmp) / "bench.sqlite"), cohorts, args.seconds)
            else:
                ceiling = asyncio.run(postgres_ceiling(url, cohorts, args.clients, args.seconds))
            rows.append(
                (
                    label,
                    rate,
                    percentile(latencies, 0.5),
                    percentile(latencies, 0.99),
                    errors,
                    ceiling,
                )
            )
    print(
        f"Registrations over HTTP ({args.clients} clients, {args.seconds:.0f} s, 2 workers) vs the seat SQL alone"
    )
    print(
        f"{'engine':<12}{'reg/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'ceiling/s':>11}{'ratio':>8}"
    )
    for label, rate, p50, p99, errors, ceiling in rows:
        print(
            f"{label:<12}{rate:>8}{p50:>9.1f}{p99:>9.1f}{errors:>8}{ceiling:>11}{rate / ceiling:>8.0%}"
        )


if __name__ == "__main__":
    main()
