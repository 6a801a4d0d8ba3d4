"""Mixed load: registrations, the public feed and the start page at once, next to each alone.

Usage, from the repository root (needs wrk: apt-get install wrk):

    PYTHONPATH=src python bench/mixed.py [--seconds 20] [--rounds 2] [--postgres [URL]]
        [--no-sqlite] [--workdir DIR]

For each engine (SQLite in a temporary directory, or --workdir; PostgreSQL with --postgres,
default URL postgresql://postgres@127.0.0.1:5432/programmes_bench_mixed, dropped and
created afresh) it loads the demo data, adds five open public runs with plenty of seats,
and for every phase copies that database afresh and starts `programmes serve --workers 2
--no-access-log` (registration limit off, no mail server) on the copy. The streams (wrk,
one thread each):

* registrations: 10 connections posting JSON to /api/v1/events/{id}/registrations, each
  request with an address of its own (Lua, as bench/registrations.py); the rate counted is
  the registrations actually stored;
* feed: 10 connections fetching /feeds/public.ics;
* start page: 5 connections loading /.

Phases per round: each stream alone; all three together; a realistic mix: registrations
at full speed while the feed is polled with its ETag (answered 304) at about 50
requests/s; and, as the baseline, all three together with PROGRAMMES_FAIR_SHARE=off (each
worker's event loop first come, first served: web/fair_share.py). Every phase prints, per stream, requests/s and p99, and for registrations the
hold time of the write transactions (how long each held SQLite's write lock or a PostgreSQL
pool connection: p50/p99, from `PROGRAMMES_HOLD_TIMES`). The summary gives medians over the
rounds and each stream's rate together as a share of its rate alone, with the targets:
a third of its rate alone for every stream in the three-stream mix, registration p99 under
300 ms, and registrations keeping 80 % of their rate alone in the realistic mix. It never
asserts; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

import registrations as one_stream  # noqa: E402  (the registration Lua, server, settling)

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/programmes_bench_mixed"
EXTRA_RUNS = 5
REGISTER_CONNECTIONS = 10
FEED_CONNECTIONS = 10
PAGE_CONNECTIONS = 5
POLLS_PER_SECOND = 50

#: Polls the feed with its ETag at a modest fixed rate: each connection waits between
#: requests so that all of them together send about POLLS_PER_SECOND.
POLL_LUA = r"""
function init(args)
  etag = args[1]
  pause = tonumber(args[2])
  wrk.headers["If-None-Match"] = etag
end
function delay()
  return pause
end
"""

#: Stops wrk from calling a phase a failure for 304s; counts other statuses.
COUNT_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status >= 400 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write(string.format("bad %d\n", total))
end
"""


@dataclass
class Figures:
    rate: float
    p99_ms: float


@dataclass
class Phase:
    name: str
    streams: dict[str, Figures] = field(default_factory=dict)
    holds_ms: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# the database


def prepare(url: str, workdir: Path) -> int:
    """Demo data plus five open public runs; the run registrations go to."""
    if url.startswith("postgresql"):
        asyncio.run(one_stream.recreate_postgres(url))
    env = {**os.environ, **server_environment(url), "PYTHONPATH": str(ROOT / "src")}
    subprocess.run(
        [sys.executable, "-m", "programmes.cli", "demo"],
        env=env,
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    return asyncio.run(add_open_runs(url))


async def add_open_runs(url: str) -> int:
    from programmes import db
    from programmes.settings import parse_database_url
    from programmes.tables import Cohort, Programme, Session

    config = parse_database_url(url)
    db.configure(config)
    async with db.connection_pool(min_size=1, max_size=2):
        programme = await Programme.select(Programme.id).where(Programme.kind == "training").first()
        assert programme is not None, "the demo has a training programme"
        first = datetime.now(UTC) + timedelta(days=21)
        runs = []
        for n in range(EXTRA_RUNS):
            cohort = Cohort(
                programme=programme["id"],
                title=f"Offener Termin {n + 1}",
                capacity=1_000_000,
                max_seats_per_registration=1,
                status="published",
            )
            await cohort.save()
            starts = first + timedelta(days=7 * n)
            await Session(
                cohort=cohort.id, starts_at=starts, ends_at=starts + timedelta(hours=3)
            ).save()
            runs.append(int(cohort.id))
    return runs[0]


@contextmanager
def fresh_copy(url: str, tag: str) -> Iterator[str]:
    """A copy of the prepared database for one phase, dropped afterwards: every phase starts
    from the same rows (with one database, each phase's thousands of registrations slowed
    the phases after it: registrations alone fell by a third over four rounds)."""
    if url.startswith("sqlite"):
        source = Path(url.removeprefix("sqlite:///"))
        target = source.with_name(f"{source.stem}-{tag}.sqlite")
        with closing(sqlite3.connect(source)) as original, closing(sqlite3.connect(target)) as copy:
            original.backup(copy)
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        return
    admin, name = url.rsplit("/", 1)
    copy_name = f"{name}_{tag}".lower()
    asyncio.run(postgres(admin, f'CREATE DATABASE "{copy_name}" TEMPLATE "{name}"'))
    try:
        yield f"{admin}/{copy_name}"
    finally:
        asyncio.run(postgres(admin, f'DROP DATABASE IF EXISTS "{copy_name}" WITH (FORCE)'))


async def postgres(admin: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin + "/postgres")
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def server_environment(url: str) -> dict[str, str]:
    return {
        "PROGRAMMES_DATABASE_URL": url,
        "PROGRAMMES_SECRET_KEY": "bench-" + "x" * 40,
        "PROGRAMMES_REGISTRATION_LIMIT": "off",
    }


@contextmanager
def server(url: str, workdir: Path, holds: Path, *, fair_share: bool = True) -> Iterator[str]:
    """`programmes serve --workers 2`, measuring hold times into `holds`."""
    holds.mkdir(parents=True, exist_ok=True)
    saved = dict(os.environ)
    os.environ.update(server_environment(url), PROGRAMMES_HOLD_TIMES=str(holds))
    os.environ["PROGRAMMES_FAIR_SHARE"] = "on" if fair_share else "off"
    try:
        with one_stream.server(url, workdir) as base:
            yield base
    finally:
        os.environ.clear()
        os.environ.update(saved)


def hold_times(holds: Path) -> list[float]:
    values: list[float] = []
    for path in holds.glob("holds-*.txt"):
        values += [float(line) for line in path.read_text().split()]
    return values


# --------------------------------------------------------------------------------------------
# wrk

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def start_wrk(
    url: str, seconds: float, connections: int, script: Path, *args: str
) -> subprocess.Popen[str]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s"]
    command += [str(script), url, "--", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> tuple[float, float, float]:
    """Elapsed seconds, requests/s and p99 ms of a finished wrk."""
    text, _ = process.communicate()
    elapsed = re.search(r"\d+ requests in ([\d.]+)(us|ms|s|m)\b", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", text)
    bad = re.search(r"(?:bad|not_201) (\d+)", text)
    if process.returncode or not (elapsed and rate and p99):
        raise SystemExit(f"wrk failed:\n{text}")
    if bad and int(bad.group(1)) and "not_201" not in bad.group(0):
        raise SystemExit(f"errors under load:\n{text}")
    return (
        float(elapsed.group(1)) * _UNITS[elapsed.group(2)] / 1000,
        float(rate.group(1)),
        float(p99.group(1)) * _UNITS[p99.group(2)],
    )


# --------------------------------------------------------------------------------------------
# phases


def run_phase(
    name: str,
    streams: list[str],
    *,
    url: str,
    run: int,
    workdir: Path,
    seconds: float,
    tag: str,
    fair_share: bool = True,
) -> Phase:
    """Start a server, warm it, run the named streams together for `seconds`."""
    scripts = workdir / "scripts"
    scripts.mkdir(exist_ok=True)
    (scripts / "register.lua").write_text(one_stream.LUA, encoding="utf-8")
    (scripts / "count.lua").write_text(COUNT_LUA, encoding="utf-8")
    (scripts / "poll.lua").write_text(POLL_LUA, encoding="utf-8")
    holds = workdir / f"holds-{tag}"
    phase = Phase(name)
    with server(url, workdir, holds, fair_share=fair_share) as base:
        feed = httpx.get(base + "/feeds/public.ics", timeout=30)
        httpx.get(base + "/", timeout=30)
        register = f"{base}/api/v1/events/{run}/registrations"
        one_stream.wrk_figures(
            one_stream.wrk(
                register, scripts / "register.lua", seconds=2, connections=4, tag="w" + tag
            )
        )
        running: dict[str, subprocess.Popen[str]] = {}
        for stream in streams:
            if stream == "registrations":
                running[stream] = start_wrk(
                    register, seconds, REGISTER_CONNECTIONS, scripts / "register.lua", tag
                )
            elif stream == "feed":
                running[stream] = start_wrk(
                    base + "/feeds/public.ics", seconds, FEED_CONNECTIONS, scripts / "count.lua"
                )
            elif stream == "start page":
                running[stream] = start_wrk(
                    base + "/", seconds, PAGE_CONNECTIONS, scripts / "count.lua"
                )
            elif stream == "feed 304 at 50/s":
                pause = 2 * 1000 / POLLS_PER_SECOND  # two connections
                running[stream] = start_wrk(
                    base + "/feeds/public.ics",
                    seconds,
                    2,
                    scripts / "poll.lua",
                    feed.headers["etag"],
                    f"{pause:g}",
                )
        for stream, process in running.items():
            elapsed, rate, p99 = finished(process)
            if stream == "registrations":
                rate = one_stream.settled(url, tag) / elapsed
            phase.streams[stream] = Figures(rate, p99)
    phase.holds_ms = hold_times(holds)
    return phase


PHASES = [
    ("registrations alone", ["registrations"]),
    ("feed alone", ["feed"]),
    ("start page alone", ["start page"]),
    ("all three together", ["registrations", "feed", "start page"]),
    ("realistic: feed 304s at 50/s", ["registrations", "feed 304 at 50/s"]),
]
#: The baseline: the three streams together with PROGRAMMES_FAIR_SHARE=off (first come,
#: first served on each worker's event loop; web/fair_share.py).
UNFAIR = "all three, fair share off"
PHASES.append((UNFAIR, PHASES[3][1]))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def print_phase(phase: Phase) -> None:
    cells = [f"{s}: {f.rate:7.0f}/s p99 {f.p99_ms:6.0f} ms" for s, f in phase.streams.items()]
    holds = ""
    if "registrations" in phase.streams and phase.holds_ms:
        holds = (
            f"  | held p50 {percentile(phase.holds_ms, 0.5):.1f} ms"
            f" p99 {percentile(phase.holds_ms, 0.99):.1f} ms"
        )
    print(f"  {phase.name:30} " + "; ".join(cells) + holds, flush=True)


def median(phases: list[Phase], stream: str) -> Figures:
    found = [p.streams[stream] for p in phases if stream in p.streams]
    return Figures(
        statistics.median(f.rate for f in found), statistics.median(f.p99_ms for f in found)
    )


def summary(label: str, rounds: list[dict[str, Phase]]) -> None:
    def of(phase: str, stream: str) -> Figures:
        return median([r[phase] for r in rounds], stream)

    print(f"\n{label}: medians over {len(rounds)} round(s)")
    print(
        f"  {'stream':22} {'alone':>16} {'together':>16} {'share':>7}  {'target':22}"
        "  fair share off"
    )
    rows = [
        ("registrations", "registrations alone", "all three together", "≥ 33 %, p99 < 300 ms"),
        ("feed", "feed alone", "all three together", "≥ 33 %"),
        ("start page", "start page alone", "all three together", "≥ 33 %"),
    ]
    for stream, alone_phase, mixed_phase, target in rows:
        alone, mixed = of(alone_phase, stream), of(mixed_phase, stream)
        unfair = of(UNFAIR, stream)
        print(
            f"  {stream:22} {alone.rate:7.0f}/s {alone.p99_ms:5.0f}ms"
            f" {mixed.rate:7.0f}/s {mixed.p99_ms:5.0f}ms {mixed.rate / alone.rate:6.0%}"
            f"  {target:22}  {unfair.rate:6.0f}/s {unfair.p99_ms:4.0f}ms"
            f" {unfair.rate / alone.rate:4.0%}"
        )
    alone = of("registrations alone", "registrations")
    real = of("realistic: feed 304s at 50/s", "registrations")
    polls = of("realistic: feed 304s at 50/s", "feed 304 at 50/s")
    print(
        f"  {'registrations + 304s':22} {alone.rate:7.0f}/s {alone.p99_ms:5.0f}ms"
        f" {real.rate:7.0f}/s {real.p99_ms:5.0f}ms {real.rate / alone.rate:6.0%}  ≥ 80 %"
        f"  (polls {polls.rate:.0f}/s)"
    )
    holds = [h for r in rounds for h in r["all three together"].holds_ms]
    alone_holds = [h for r in rounds for h in r["registrations alone"].holds_ms]
    print(
        f"  write transaction held: alone p50 {percentile(alone_holds, 0.5):.1f} ms"
        f" p99 {percentile(alone_holds, 0.99):.1f} ms; in the mix p50"
        f" {percentile(holds, 0.5):.1f} ms p99 {percentile(holds, 0.99):.1f} ms"
    )


def bench(label: str, url: str, workdir: Path, args: argparse.Namespace) -> None:
    print(f"\n== {label} ==", flush=True)
    run = prepare(url, workdir)
    rounds: list[dict[str, Phase]] = []
    for number in range(args.rounds):
        print(f" round {number + 1}", flush=True)
        phases: dict[str, Phase] = {}
        for name, streams in PHASES:
            tag = f"m{os.getpid()}r{number}p{len(phases)}"
            with fresh_copy(url, tag) as copy:
                phase = run_phase(
                    name,
                    streams,
                    url=copy,
                    run=run,
                    workdir=workdir,
                    seconds=args.seconds,
                    tag=tag,
                    fair_share=name != UNFAIR,
                )
            print_phase(phase)
            phases[name] = phase
        rounds.append(phases)
    summary(label, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    print(f"{os.cpu_count()} CPUs; {args.seconds:g} s per phase, {args.rounds} round(s)")
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(dir=args.workdir) as work:
            bench("SQLite", f"sqlite:///{work}/mixed.sqlite", Path(work), args)
    if args.postgres:
        with tempfile.TemporaryDirectory(dir=args.workdir) as work:
            bench("PostgreSQL", args.postgres, Path(work), args)


if __name__ == "__main__":
    main()
