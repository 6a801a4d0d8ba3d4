"""Benchmark: calendar feeds served by the real server, next to ceilings from the same run.

Run from the repository root (PYTHONPATH=src):

    python bench/feeds.py [--sessions 1000] [--duration 5] [--postgres [URL]] [--no-sqlite]

For each engine (SQLite always; PostgreSQL with --postgres, default URL
postgresql://postgres@127.0.0.1:5432/programmes_feeds_test, recreated) it builds a fresh
database with N public sessions, starts `programmes serve` (one worker, no access log) and a
bare Litestar app served the same way (bench/bare_app.py) on free ports of 127.0.0.1, and
prints:

  1. warm public feed: req/s and p99 (wrk -t2 -c64), next to the bare route serving the
     same bytes; and the same for a 304 (If-None-Match);
  2. cold render: the first request after start, and a full re-render in a warm process
     (every programme touched, so every entry is stale), next to icalendar alone building
     the same N events in this process;
  3. one change: the request after one session changed, next to the cold render;
  4. /health p99 while the feed is rebuilt over and over (a loop touches sessions or all
     programmes and requests the feed), next to its idle p99.

Targets (docs/performance.md): warm and 304 >= 70 % of the bare route; cold render
<= 1.2x icalendar alone; one change <= 10 % of a cold render; /health p99 during rebuilds
<= 3x idle. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from piccolo.engine.postgres import PostgresEngine

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

from ical_render import naive  # noqa: E402

from programmes import db  # noqa: E402
from programmes.domain.feeds.content import Wording, feed_event  # noqa: E402
from programmes.domain.feeds.scopes import PublicScope, SessionRow, feed_window  # noqa: E402
from programmes.settings import parse_database_url  # noqa: E402
from programmes.tables import Cohort, Programme, Session  # noqa: E402

SECRET = "bench-secret-" + "x" * 40
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/programmes_feeds_test"
IDENTITY = {"accept-encoding": "identity"}
FEED = "/feeds/public.ics"


# --------------------------------------------------------------------------------------------
# data


async def build_data(sessions: int) -> None:
    """N public sessions: trainings of 3 dates and info evenings of 1 date, over 300 days."""
    now = datetime.now(UTC).replace(microsecond=0)
    programmes = []
    for i in range(20):
        kind = "training" if i % 2 == 0 else "info_event"
        programmes.append(
            Programme(
                kind=kind,
                title=f"{'Training' if kind == 'training' else 'Infoabend'} {i}: "
                "Vielfalt, Sprache und Teilhabe im Alltag",
                title_en=f"Programme {i}",
                summary="Ein Angebot der Integrationsagentur.",
                is_public=True,
                status="published",
                themes=[],
                updated_at=now,
            )
        )
    programme_ids = [int(r["id"]) for r in await Programme.insert(*programmes)]
    cohorts, dates = [], []
    made = 0
    run = 0
    while made < sessions:
        programme = programme_ids[run % len(programme_ids)]
        count = min(3 if run % 2 == 0 else 1, sessions - made)
        cohorts.append(
            Cohort(
                programme=programme,
                title=f"Gruppe {run}",
                location="Haus der Kulturen, Raum 2, Gartenstraße 5, 45699 Herten",
                language="Deutsch",
                capacity=20,
                status="published",
                updated_at=now,
            )
        )
        dates.append(count)
        made += count
        run += 1
    cohort_ids = [int(r["id"]) for r in await Cohort.insert(*cohorts)]
    rows = []
    for n, (cohort_id, count) in enumerate(zip(cohort_ids, dates, strict=True)):
        first = now + timedelta(days=1 + (n * 300) // len(cohort_ids), hours=n % 5)
        for k in range(count):
            start = first + timedelta(days=7 * k)
            rows.append(
                Session(
                    cohort=cohort_id,
                    starts_at=start,
                    ends_at=start + timedelta(hours=2),
                    theme="Sprache im Alltag" if n % 3 == 0 else None,
                    updated_at=now,
                )
            )
    for chunk in range(0, len(rows), 500):
        await Session.insert(*rows[chunk : chunk + 500])


async def recreate_postgres(url: str) -> None:
    import asyncpg

    parts = url.rsplit("/", 1)
    name = parts[1]
    if "test" not in name and "bench" not in name:
        raise SystemExit(f"refusing to recreate {url}: its name must contain test or bench")
    conn = await asyncpg.connect(parts[0] + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    engine = db.configure(parse_database_url(url))
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=4)
    try:
        yield
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


async def touch_programmes() -> None:
    """Every entry stale: a full re-render (like renaming every programme)."""
    await Programme.update({Programme.updated_at: datetime.now(UTC)}, force=True)


async def touch_session(session_id: int) -> None:
    await Session.update(
        {Session.sequence: Session.sequence + 1, Session.updated_at: datetime.now(UTC)}
    ).where(Session.id == session_id)


# --------------------------------------------------------------------------------------------
# processes


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


async def start(command: list[str], env: dict[str, str], cwd: Path, port: int) -> Server:
    log = (cwd / f"server-{port}.log").open("wb")
    process = subprocess.Popen(  # noqa: ASYNC220 (a server that outlives this call)
        command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"server exited: see {log.name}")
            try:
                await http.get("/ok" if "bare_app" in command[1] else "/health")
                return Server(process, base)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


# --------------------------------------------------------------------------------------------
# measuring

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass
class Load:
    rps: float
    p99_ms: float

    def __str__(self) -> str:
        return f"{self.rps:9.0f} req/s  p99 {self.p99_ms:7.2f} ms"


async def wrk(
    url: str, *, duration: int, connections: int = 64, threads: int = 2, headers: Sequence[str] = ()
) -> Load:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    process = await asyncio.create_subprocess_exec(
        *command, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    text = out.decode()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    if not rps or not p99:
        raise SystemExit(f"cannot read wrk output:\n{text}\n{err.decode()}")
    if "Non-2xx or 3xx responses" in text:
        raise SystemExit(f"errors under load:\n{text}")
    return Load(float(rps.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)])


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median(load.rps for load in loads),
        statistics.median(load.p99_ms for load in loads),
    )


async def timed_get(http: httpx.AsyncClient, url: str) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await http.get(url, headers=IDENTITY)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response


async def median_after(
    http: httpx.AsyncClient, change: Callable[[], Awaitable[None]], repeats: int
) -> float:
    samples = []
    for _ in range(repeats):
        await change()
        elapsed, _ = await timed_get(http, FEED)
        samples.append(elapsed)
        await asyncio.sleep(0.05)
    return statistics.median(samples)


def icalendar_alone(rows: list[SessionRow], base_url: str, repeats: int) -> float:
    events = [feed_event(row, Wording(base_url=base_url, language="de")) for row in rows]
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        naive(events)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


async def rebuild_loop(
    http: httpx.AsyncClient, change: Callable[[], Awaitable[None]], stop: asyncio.Event
) -> int:
    rebuilds = 0
    while not stop.is_set():
        await change()
        await http.get(FEED, headers=IDENTITY)
        rebuilds += 1
    return rebuilds


async def health_during(
    base: str, http: httpx.AsyncClient, change: Callable[[], Awaitable[None]], duration: int
) -> tuple[Load, int]:
    stop = asyncio.Event()
    loop_task = asyncio.create_task(rebuild_loop(http, change, stop))
    load = await wrk(f"{base}/health", duration=duration, connections=8, threads=1)
    stop.set()
    return load, await loop_task


# --------------------------------------------------------------------------------------------
# the run


async def bench_engine(engine: str, url: str, args: argparse.Namespace, work: Path) -> None:
    print(f"\n== {engine}: {args.sessions} public sessions ==", flush=True)
    if engine == "postgres":
        await recreate_postgres(url)
    env = {
        **os.environ,
        "PROGRAMMES_ENV": "development",
        "PROGRAMMES_DATABASE_URL": url,
        "PROGRAMMES_SECRET_KEY": SECRET,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)]),
    }
    async with database(url):
        await db.migrate()
        await build_data(args.sessions)
        # Planner statistics, as autovacuum (PostgreSQL) would have them for a database in
        # use; without them PostgreSQL joins the fresh tables with nested loops (~70 ms).
        await db.engine().run_ddl("ANALYZE")
        session_ids = [int(r["id"]) for r in await Session.select(Session.id)]
        window = feed_window(datetime.now(UTC), days_back=30, days_ahead=400)
        rows = await PublicScope(None, window).rows()
        assert len(rows) == args.sessions, len(rows)

        port, bare_port = free_port(), free_port()
        serve = [sys.executable, "-m", "programmes.cli", "serve", "--port", str(port)]
        server = await start([*serve, "--no-access-log"], env, work, port)
        bare: Server | None = None
        try:
            async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
                first, response = await timed_get(http, FEED)
                body, etag = response.content, response.headers["etag"]
                (work / "body.ics").write_bytes(body)
                bare = await start(
                    [sys.executable, str(BENCH / "bare_app.py"), str(bare_port)],
                    {**env, "BENCH_BODY_FILE": str(work / "body.ics"), "BENCH_ETAG": etag},
                    work,
                    bare_port,
                )
                await report(args, http, server, bare, body, etag, first, rows, session_ids)
        finally:
            server.stop()
            if bare is not None:
                bare.stop()


async def report(
    args: argparse.Namespace,
    http: httpx.AsyncClient,
    server: Server,
    bare: Server,
    body: bytes,
    etag: str,
    first: float,
    rows: list[SessionRow],
    session_ids: list[int],
) -> None:
    d = args.duration
    not_modified = [f"If-None-Match: {etag}"]
    size = len(body) / 1024
    print(f"feed: {len(body)} bytes ({size:.0f} KiB), {args.sessions} events", flush=True)

    # Interleaved rounds, medians: the machine is shared, and its load drifts within seconds.
    runs: dict[str, list[Load]] = {"feed": [], "bare": [], "feed304": [], "bare304": []}
    for _ in range(args.rounds if "1" in args.sections else 0):
        runs["feed"].append(await wrk(server.base + FEED, duration=d))
        runs["bare"].append(await wrk(bare.base + "/feed", duration=d))
        runs["feed304"].append(await wrk(server.base + FEED, duration=d, headers=not_modified))
        runs["bare304"].append(await wrk(bare.base + "/feed", duration=d, headers=not_modified))
    if "1" in args.sections:
        print(f"1. warm (wrk -t2 -c64, identity body; median of {args.rounds} interleaved rounds)")
    for ours, ceiling, label in (("feed", "bare", ""), ("feed304", "bare304", " 304")):
        if "1" not in args.sections:
            break
        ratios = [o.rps / c.rps for o, c in zip(runs[ours], runs[ceiling], strict=True)]
        print(f"   feed{label:<12}{median_load(runs[ours])}")
        print(
            f"   bare route{label:<6}{median_load(runs[ceiling])}    "
            f"feed/bare {statistics.median(ratios):5.0%}  (>= 70 %)  "
            f"rounds {min(ratios):.0%}-{max(ratios):.0%}"
        )

    if "2" in args.sections or "3" in args.sections:
        # Interleaved: one icalendar-alone build, one full re-render, and so on.
        library_samples, cold_samples = [], []
        for _ in range(args.repeats):
            library_samples.append(icalendar_alone(rows, "http://127.0.0.1:8000", repeats=1))
            cold_samples.append(await median_after(http, touch_programmes, repeats=1))
        library, cold = statistics.median(library_samples), statistics.median(cold_samples)
        ratio = statistics.median(
            c / lib for c, lib in zip(cold_samples, library_samples, strict=True)
        )
        print(f"2. cold render (median of {args.repeats}; request time as the client sees it)")
        print(f"   first request after start          {first * 1000:8.1f} ms")
        print(f"   full re-render in a warm process   {cold * 1000:8.1f} ms")
        print(f"   icalendar alone, same {len(rows)} events  {library * 1000:8.1f} ms")
        print(f"   re-render / icalendar alone        {ratio:8.2f}x   (<= 1.2x)")

    if "3" in args.sections:
        changed = iter(session_ids[len(session_ids) // 2 :])
        one = await median_after(
            http, lambda: touch_session(next(changed)), repeats=args.repeats * 2
        )
        print(f"3. one session changed (median of {args.repeats * 2})")
        print(f"   request after the change           {one * 1000:8.1f} ms")
        print(f"   / cold re-render                   {one / cold:8.1%}   (<= 10 %)")

    if "4" in args.sections:
        touches = iter(session_ids * 1000)
        samples: dict[str, list[Load]] = {"idle": [], "one": [], "all": []}
        counts = {"one": 0, "all": 0}
        for _ in range(args.rounds):
            samples["idle"].append(
                await wrk(server.base + "/health", duration=d, connections=8, threads=1)
            )
            load, n = await health_during(
                server.base, http, lambda: touch_session(next(touches)), d
            )
            samples["one"].append(load)
            counts["one"] += n
            load, n = await health_during(server.base, http, touch_programmes, d)
            samples["all"].append(load)
            counts["all"] += n
        idle = median_load(samples["idle"])
        print(f"4. /health (wrk -t1 -c8; median of {args.rounds} interleaved rounds)")
        print(f"   idle                               {idle}")
        for key, label in (
            ("one", "one session touched per rebuild"),
            ("all", "every entry stale per rebuild"),
        ):
            busy = median_load(samples[key])
            # each round's busy p99 against the idle p99 measured just before it
            pairs = zip(samples[key], samples["idle"], strict=True)
            ratios = [busy_round.p99_ms / idle_round.p99_ms for busy_round, idle_round in pairs]
            print(
                f"   {label:<35}{busy}   p99 x{busy.p99_ms / idle.p99_ms:4.1f}  "
                f"({counts[key]} rebuilds)  (<= 3x)  rounds x{min(ratios):.1f}-x{max(ratios):.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--repeats", type=int, default=5, help="samples per median")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved wrk rounds")
    parser.add_argument("--sections", default="1234", help="which measurements, e.g. 24")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, default=None)
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/feeds.py needs wrk: apt-get install -y wrk")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load {load:.2f}; python {sys.version.split()[0]}")
    work = Path(tempfile.mkdtemp(prefix="feeds-bench-"))
    try:
        if not args.no_sqlite:
            asyncio.run(bench_engine("sqlite", f"sqlite:///{work}/bench.sqlite", args, work))
        if args.postgres:
            asyncio.run(bench_engine("postgres", args.postgres, args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
