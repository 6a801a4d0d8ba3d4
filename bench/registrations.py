"""Registrations per second: the real server driven by wrk, next to the ceiling of its own SQL.

Usage, from the repository root (needs wrk: apt-get install wrk):

    PYTHONPATH=src python bench/registrations.py [--seconds 10] [--connections 50]
        [--rounds 3] [--postgres [URL]] [--no-sqlite] [--workdir DIR] [--show-sql]

For each engine (SQLite in a temporary directory: --workdir puts it on the disk a real
database would use, as a tmpfs would make every fsync free; PostgreSQL with --postgres,
default URL postgresql://postgres@127.0.0.1:5432/programmes_bench_reg, dropped and created
afresh) it

1. builds a fresh database with one open public run of 1,000,000 seats;
2. records the SQL of a registration: two registrations through `register_person` (the one
   domain function the API's controller calls; after a first one that fills the calendar
   cache, as a running server's is filled) with every statement captured as the engine
   runs it, reads through SQLite's persistent readers too, compiled, with its arguments
   and whether it ran in the write transaction. What differs between the two (the address, its dedupe key, ids returned by
   an earlier statement, tokens, times) becomes a slot filled afresh for every replay;
3. starts `programmes serve --workers 2` (no access log, registration limit off, no mail
   server: the sender marks mail as held) and drives it with `wrk -t2 -c{connections}`
   and a Lua script that gives every request an address of its own (run tag, wrk thread
   number set in `setup`, a counter per thread), posting JSON to
   POST /api/v1/events/{id}/registrations without cookies: /api/ is outside the CSRF check
   (its writes authenticate by bearer token only; this route needs none). First a 2 s
   warm-up, then --seconds. It counts the registrations actually stored: a repeated address
   would be answered from the existing registration and flatter the figure;
4. stops the server and measures the ceiling: the recorded statements replayed with the
   bare driver at the same concurrency, 2 processes x connections/2 tasks, for --seconds,
   each registration in its own transaction with a unique address; statements the request
   runs outside its transaction run outside it here too. SQLite: sqlite3 with the engine's
   connection settings (synchronous=FULL, foreign keys, the WAL file, 30 s busy timeout),
   BEGIN IMMEDIATE, writers queued on an in-process lock and the same file lock as
   programmes.db, one connection and thread per task. PostgreSQL: asyncpg, one pooled
   connection per task, no reset query (as programmes.db's pool).

Steps 3 and 4 are repeated --rounds times, interleaved, so that other work on the machine
weighs on both alike. Per round and as medians it prints: the server's requests/s, stored
rows/s, p50/p99 latency and responses other than 201; the ceiling's rows/s and p50/p99; and
the ratio of stored rows/s to the ceiling's (target: at least 50 % on both engines). It
never asserts. Every run stops by itself; all traffic stays on 127.0.0.1. --show-sql prints
the recorded statements.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import multiprocessing
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/programmes_bench_reg"
WORKERS = 2
WARM_UP_SECONDS = 2

LUA = r"""
-- one address per request, unique across wrk's threads: run tag, thread number, counter
local threads = {}
local counter = 0
thread_number = 0
other = 0

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  tag = args[1]
  headers = {["Content-Type"] = "application/json"}
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"name":"Bench Person","email":"%s-%d-%d@bench.example","consent":true}',
    tag, thread_number, counter)
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status ~= 201 then other = other + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("other") end
  io.write(string.format("not_201 %d\n", total))
end
"""


# --------------------------------------------------------------------------------------------
# the database


async def recreate_postgres(url: str) -> None:
    import asyncpg

    admin, name = url.rsplit("/", 1)
    if "bench" not in name and "test" not in name:
        raise SystemExit(f"refusing to recreate {url}: its name must contain bench or test")
    conn = await asyncpg.connect(admin + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    from programmes import db
    from programmes.settings import parse_database_url

    db.configure(parse_database_url(url))
    async with db.connection_pool(min_size=1, max_size=4):
        yield


async def prepare(url: str) -> int:
    """A fresh, migrated database with one open public run of plenty of seats."""
    from programmes import db
    from programmes.settings import parse_database_url
    from programmes.tables import Cohort, Programme, Session

    config = parse_database_url(url)
    if config.engine == "postgres":
        await recreate_postgres(url)
    db.configure(config)
    await db.migrate()
    start = datetime.now(UTC) + timedelta(days=30)
    programme = Programme(kind="training", title="Bench", is_public=True, status="published")
    await programme.save()
    cohort = Cohort(
        programme=programme.id,
        title="Bench run",
        capacity=1_000_000,
        max_seats_per_registration=1,
        status="published",
    )
    await cohort.save()
    await Session(cohort=cohort.id, starts_at=start, ends_at=start + timedelta(hours=2)).save()
    return int(cohort.id)


async def stored(url: str, tag: str) -> int:
    """Registrations stored for addresses starting with `tag-` (every person the bench
    creates is registered once)."""
    from programmes.tables import Person

    async with database(url):
        return int(await Person.count().where(Person.email.like(f"{tag}-%")))


# --------------------------------------------------------------------------------------------
# recording the statements of one registration

#: How one argument of a replayed statement is filled: ("value", v), ("email",), ("key",),
#: ("returned", statement index, column), ("unique", recorded text), ("now",), ("today",).
Slot = tuple[Any, ...]


@dataclass(frozen=True)
class Step:
    sql: str
    slots: tuple[Slot, ...]
    in_transaction: bool


@dataclass(frozen=True)
class Ran:
    sql: str
    args: list[Any]
    in_transaction: bool
    rows: list[dict[str, Any]]


@contextmanager
def recording() -> Iterator[list[Ran]]:
    """Every statement the engine runs while the block is active (patched on the class:
    PostgresEngine has slots), reads through SQLite's persistent readers too (outside any
    transaction, as they run; the freshness check of the run's calendar file is one)."""
    from programmes import db, sqlite_engine

    engine_class: Any = type(db.engine())
    original = engine_class.run_querystring
    original_fetch = sqlite_engine._Reader.fetch
    ran: list[Ran] = []

    async def recorded(self: Any, querystring: Any, *args: Any, **kwargs: Any) -> Any:
        in_transaction = self.current_transaction.get() is not None
        rows = await original(self, querystring, *args, **kwargs)
        sql, values = querystring.compile_string(engine_type=self.engine_type)
        ran.append(Ran(sql, list(values), in_transaction, [dict(r) for r in rows or []]))
        return rows

    def recorded_read(self: Any, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        rows = original_fetch(self, sql, args)
        ran.append(Ran(sql, list(args), False, [dict(r) for r in rows]))
        return rows

    engine_class.run_querystring = recorded
    sqlite_engine._Reader.fetch = recorded_read  # type: ignore[method-assign]
    try:
        yield ran
    finally:
        engine_class.run_querystring = original
        sqlite_engine._Reader.fetch = original_fetch  # type: ignore[method-assign]


async def record_registration(url: str, cohort: int) -> list[Step]:
    """The statements of a registration with a slot for everything that differs between
    two registrations."""
    from programmes.domain.enrolment.registration_mail import MailContext
    from programmes.domain.enrolment.registrations import PersonInput, register_person
    from programmes.domain.feeds.calendars import Calendars, FeedCache, FeedSite
    from programmes.domain.mail import outbox

    outbox.set_message_id_host("127.0.0.1")
    base_url = "http://127.0.0.1"
    # one cache for all, as a server process has: the first registration builds the run's
    # calendar file, the recorded ones check that it is still fresh (as the server does)
    calendars = Calendars(site=FeedSite.for_base_url(base_url), cache=FeedCache())
    runs: list[tuple[str, list[Ran]]] = []
    async with database(url):
        for email in (
            "record-warm@bench.example",
            "record-a@bench.example",
            "record-b@bench.example",
        ):
            with recording() as ran:
                await register_person(
                    cohort_id=cohort,
                    data=PersonInput(name="Bench Person", email=email, consent=True),
                    notice_version="2026-09",
                    mail=MailContext(base_url=base_url, now=datetime.now(UTC), calendars=calendars),
                )
            runs.append((email, ran))
    runs = runs[1:]
    (email_a, a), (email_b, b) = runs
    if [s.sql for s in a] != [s.sql for s in b]:
        raise SystemExit("two registrations ran different statements; cannot replay them")
    return [
        Step(
            x.sql,
            tuple(_slot(a, b, i, j, email_a, email_b) for j in range(len(x.args))),
            x.in_transaction,
        )
        for i, x in enumerate(a)
    ]


def _slot(a: list[Ran], b: list[Ran], i: int, j: int, email_a: str, email_b: str) -> Slot:
    from programmes.domain.enrolment.registrations import email_key

    va, vb = a[i].args[j], b[i].args[j]
    if type(va) is type(vb) and va == vb:
        return ("value", va)
    if isinstance(va, datetime):
        return ("now",)
    if isinstance(va, type(datetime.now().date())):
        return ("today",)
    if (va, vb) == (email_a, email_b):
        return ("email",)
    if (va, vb) == (email_key(email_a), email_key(email_b)):
        return ("key",)
    for k in range(i - 1, -1, -1):
        if a[k].rows and b[k].rows:
            for column, value in a[k].rows[0].items():
                if (value, b[k].rows[0].get(column)) == (va, vb) and type(value) is type(va):
                    return ("returned", k, column)
    if isinstance(va, str):
        return ("unique", va)
    raise SystemExit(f"cannot replay argument {j} of {a[i].sql!r}: {va!r} / {vb!r}")


def fill(step: Step, email: str, key: str, tag: str, returned: list[Any]) -> list[Any]:
    now = datetime.now(UTC)
    values: list[Any] = []
    for slot in step.slots:
        kind = slot[0]
        if kind == "value":
            values.append(slot[1])
        elif kind == "email":
            values.append(email)
        elif kind == "key":
            values.append(key)
        elif kind == "returned":
            values.append(returned[slot[1]][0][slot[2]])
        elif kind == "unique":
            values.append(tag + slot[1][len(tag) :])
        elif kind == "now":
            values.append(now)
        else:
            values.append(now.date())
    return values


# --------------------------------------------------------------------------------------------
# the ceiling: the recorded statements with the bare driver


@dataclass(frozen=True)
class Replay:
    engine: str
    target: str  # SQLite path or PostgreSQL URL
    steps: list[Step]
    tasks: int
    start_at: float  # time.time() at which every process starts
    seconds: float
    tag: str  # of this replay's addresses


def replay_process(replay: Replay, process: int, results: Any) -> None:
    try:
        if replay.engine == "sqlite":
            results.put(_replay_sqlite(replay, process))
        else:
            results.put(asyncio.run(_replay_postgres(replay, process)))
    except BaseException as error:
        results.put(error)
        raise


def _identity(tag: str, process: int, task: int, n: int) -> tuple[str, str, str]:
    from programmes.domain.enrolment.registrations import email_key

    email = f"{tag}-{process}-{task}-{n}@bench.example"
    return email, email_key(email), f"{tag}.{process}.{task}.{n}."


def _groups(steps: list[Step]) -> list[tuple[bool, list[Step]]]:
    """The steps in runs of (in the transaction or not, steps), in order."""
    groups: list[tuple[bool, list[Step]]] = []
    for step in steps:
        if groups and groups[-1][0] == step.in_transaction:
            groups[-1][1].append(step)
        else:
            groups.append((step.in_transaction, [step]))
    return groups


def _replay_sqlite(replay: Replay, process: int) -> tuple[int, list[float]]:
    from piccolo.engine.sqlite import dict_factory  # also registers Piccolo's adapters

    from programmes.sqlite_engine import DurableSQLiteEngine

    settings = DurableSQLiteEngine(replay.target).connection_kwargs
    groups = _groups(replay.steps)
    process_lock = threading.Lock()
    latencies: list[list[float]] = [[] for _ in range(replay.tasks)]
    errors: list[BaseException] = []
    end = replay.start_at + replay.seconds

    def register(connection: sqlite3.Connection, lock_file: int, ids: tuple[str, str, str]) -> None:
        returned: list[Any] = []
        for in_transaction, steps in groups:
            if not in_transaction:
                for step in steps:
                    returned.append(
                        connection.execute(step.sql, fill(step, *ids, returned)).fetchall()
                    )
                continue
            with process_lock:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    connection.execute("BEGIN IMMEDIATE")
                    try:
                        for step in steps:
                            rows = connection.execute(step.sql, fill(step, *ids, returned))
                            returned.append(rows.fetchall())
                    except BaseException:
                        connection.execute("ROLLBACK")
                        raise
                    connection.execute("COMMIT")
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def task(number: int) -> None:
        connection = sqlite3.connect(**settings)
        connection.row_factory = dict_factory
        lock_file = os.open(f"{replay.target}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            time.sleep(max(0.0, replay.start_at - time.time()))
            n = 0
            while time.time() < end and not errors:
                started = time.perf_counter()
                register(connection, lock_file, _identity(replay.tag, process, number, n))
                if time.time() <= end:
                    latencies[number].append(time.perf_counter() - started)
                n += 1
        except BaseException as error:
            errors.append(error)
        finally:
            os.close(lock_file)
            connection.close()

    threads = [threading.Thread(target=task, args=(t,)) for t in range(replay.tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    flat = [value for values in latencies for value in values]
    return len(flat), flat


async def _replay_postgres(replay: Replay, process: int) -> tuple[int, list[float]]:
    import asyncpg

    async def no_reset(connection: Any) -> None:
        pass

    groups = _groups(replay.steps)
    pool = await asyncpg.create_pool(
        replay.target, min_size=replay.tasks, max_size=replay.tasks, reset=no_reset
    )
    latencies: list[float] = []
    end = replay.start_at + replay.seconds

    async def register(ids: tuple[str, str, str]) -> None:
        returned: list[Any] = []
        for in_transaction, steps in groups:
            if not in_transaction:
                for step in steps:
                    returned.append(await pool.fetch(step.sql, *fill(step, *ids, returned)))
                continue
            async with pool.acquire() as connection, connection.transaction():
                for step in steps:
                    returned.append(await connection.fetch(step.sql, *fill(step, *ids, returned)))

    async def task(number: int) -> None:
        await asyncio.sleep(max(0.0, replay.start_at - time.time()))
        n = 0
        while time.time() < end:
            started = time.perf_counter()
            await register(_identity(replay.tag, process, number, n))
            if time.time() <= end:
                latencies.append(time.perf_counter() - started)
            n += 1

    try:
        await asyncio.gather(*(task(t) for t in range(replay.tasks)))
    finally:
        await pool.close()
    return len(latencies), latencies


def ceiling(
    engine: str, target: str, steps: list[Step], connections: int, seconds: float, tag: str
) -> Load:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    replay = Replay(engine, target, steps, connections // WORKERS, time.time() + 3, seconds, tag)
    processes = [
        context.Process(target=replay_process, args=(replay, number, results), daemon=True)
        for number in range(WORKERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    if failed:
        raise SystemExit(f"the ceiling's replay failed: {failed[0]!r}")
    latencies = [value for _, values in outcomes for value in values]
    # every replay counted here committed its registration within the time
    committed = sum(count for count, _ in outcomes) / seconds
    return Load(committed, committed, percentile(latencies, 0.5), percentile(latencies, 0.99), 0)


# --------------------------------------------------------------------------------------------
# the server under wrk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def server(url: str, workdir: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PROGRAMMES_DATABASE_URL": url,
        "PROGRAMMES_SECRET_KEY": "bench-" + "x" * 40,
        "PROGRAMMES_BASE_URL": base,
        "PROGRAMMES_REGISTRATION_LIMIT": "off",
    }
    env.pop("PROGRAMMES_SMTP_URL", None)
    command = [sys.executable, "-m", "programmes.cli", "serve", "--port", str(port)]
    command += ["--workers", str(WORKERS), "--no-access-log"]
    with (workdir / f"server-{port}.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: see {workdir}/server-{port}.log")
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    rows_per_second: float
    p50_ms: float
    p99_ms: float
    not_201: int


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(
    url: str, script: Path, *, seconds: float, connections: int, tag: str
) -> subprocess.Popen[str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s"]
    command += [str(script), url, "--", tag]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def wrk_figures(process: subprocess.Popen[str]) -> tuple[float, float, float, float, int]:
    """Elapsed seconds, requests/s, p50 ms, p99 ms and the responses other than 201 of a
    finished wrk."""
    text, _ = process.communicate()
    elapsed = re.search(r"\d+ requests in ([\d.]+)(us|ms|s|m)\b", text)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s|m)\b", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s|m)\b", text)
    other = re.search(r"not_201 (\d+)", text)
    if process.returncode or not (elapsed and rate and p50 and p99 and other):
        raise SystemExit(f"wrk failed:\n{text}")
    return (
        float(elapsed.group(1)) * _UNITS[elapsed.group(2)] / 1000,
        float(rate.group(1)),
        float(p50.group(1)) * _UNITS[p50.group(2)],
        float(p99.group(1)) * _UNITS[p99.group(2)],
        int(other.group(1)),
    )


def settled(url: str, tag: str) -> int:
    """The registrations stored for addresses of `tag`, once the server has answered the
    requests wrk left in flight."""
    count = asyncio.run(stored(url, tag))
    while True:
        time.sleep(0.5)
        again = asyncio.run(stored(url, tag))
        if again == count:
            return count
        count = again


def over_http(
    url: str, cohort: int, workdir: Path, connections: int, seconds: float, tag: str
) -> Load:
    """wrk's figures, and the registrations of the measured run actually stored, over wrk's
    time (this counts the up to `connections` requests in flight when wrk stops, too)."""
    script = workdir / "registrations.lua"
    script.write_text(LUA, encoding="utf-8")
    with server(url, workdir) as base:
        target = f"{base}/api/v1/events/{cohort}/registrations"
        warm_up = wrk(
            target, script, seconds=WARM_UP_SECONDS, connections=connections, tag="w" + tag
        )
        wrk_figures(warm_up)
        settled(url, "w" + tag)
        elapsed, rate, p50, p99, other = wrk_figures(
            wrk(target, script, seconds=seconds, connections=connections, tag=tag)
        )
        rows = settled(url, tag)
    return Load(rate, rows / elapsed, p50, p99, other)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


# --------------------------------------------------------------------------------------------


def bench(label: str, url: str, workdir: Path, args: argparse.Namespace) -> list[tuple[Load, Load]]:
    """Rounds of (the server under wrk, then the ceiling), interleaved so that a change in
    the machine's load during the run hits both alike."""
    from programmes.settings import parse_database_url

    config = parse_database_url(url)
    cohort = asyncio.run(prepare(url))
    steps = asyncio.run(record_registration(url, cohort))
    if args.show_sql:
        print(f"{label}: {len(steps)} statements per registration")
        for step in steps:
            print(f"  {'tx ' if step.in_transaction else '   '}{step.sql[:150]}")
    target = str(config.sqlite_path) if config.is_sqlite else url
    rounds = []
    for number in range(args.rounds):
        http = over_http(url, cohort, workdir, args.connections, args.seconds, f"load{number}")
        bare = ceiling(
            config.engine, target, steps, args.connections, args.seconds, f"ceiling{number}"
        )
        rounds.append((http, bare))
        print(f"{label} round {number + 1}: {row(http, bare)}", flush=True)
    return rounds


def row(http: Load, bare: Load) -> str:
    return (
        f"{http.requests_per_second:>8.0f}{http.rows_per_second:>8.0f}"
        f"{http.p50_ms:>8.1f}{http.p99_ms:>8.1f}{http.not_201:>8}"
        f"{bare.rows_per_second:>9.0f}{bare.p50_ms:>8.1f}{bare.p99_ms:>8.1f}"
        f"{http.rows_per_second / bare.rows_per_second:>7.0%}"
    )


def median_load(loads: list[Load]) -> Load:
    return Load(
        statistics.median(x.requests_per_second for x in loads),
        statistics.median(x.rows_per_second for x in loads),
        statistics.median(x.p50_ms for x in loads),
        statistics.median(x.p99_ms for x in loads),
        sum(x.not_201 for x in loads),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10, help="seconds of load (wrk -d)")
    parser.add_argument("--connections", type=int, default=50, help="wrk -c; ceiling tasks")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per engine")
    parser.add_argument(
        "--postgres", nargs="?", const=DEFAULT_POSTGRES, help=f"default {DEFAULT_POSTGRES}"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--show-sql", action="store_true", help="print the recorded statements")
    parser.add_argument("--workdir", type=Path, help="where the temporary directory goes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/registrations.py needs wrk: apt-get install -y wrk")
    header = (
        f"{'req/s':>8}{'rows/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'not 201':>8}"
        f"{'ceiling':>9}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>7}"
    )
    print(f"{'':<19}{header}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-registrations-", dir=args.workdir) as tmp:
        targets = [] if args.no_sqlite else [("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}")]
        if args.postgres:
            targets.append(("PostgreSQL", args.postgres))
        for label, url in targets:
            results.append((label, bench(label, url, Path(tmp), args)))
    print()
    print(
        f"Registrations: programmes serve --workers {WORKERS} under wrk -t2 "
        f"-c{args.connections} -d{args.seconds:g}s, next to the ceiling (its SQL with the "
        f"bare driver, {WORKERS} processes x {args.connections // WORKERS} tasks); "
        f"medians of {args.rounds} interleaved rounds"
    )
    print(f"{'engine':<19}{header}")
    for label, rounds in results:
        http = median_load([h for h, _ in rounds])
        bare = median_load([b for _, b in rounds])
        print(f"{label:<19}{row(http, bare)}")
    print("ratio = stored rows/s over HTTP / the ceiling's rows/s; target >= 50 %")


if __name__ == "__main__":
    main()
