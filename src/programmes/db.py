"""Database engines, the Piccolo app registry, and the write transaction.

One engine is active per process. `configure(config)` builds it from the settings and binds
every table to it; `piccolo_conf.py` and the CLI call it before any query. SQLite runs with
WAL, `synchronous=FULL`, a busy timeout and IMMEDIATE write transactions, serialised inside
each process so that workers never spin on "database is locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import sqlite3
import time
import warnings
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import anyio.to_thread
from piccolo.apps.migrations.tables import Migration
from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.query.methods.raw import Raw
from piccolo.query.methods.select import Select
from piccolo.querystring import QueryString
from piccolo.table import Table
from piccolo_api.session_auth.tables import SessionsBase

from programmes import hold_times, work_charges
from programmes.settings import DatabaseConfig, SettingsError
from programmes.sqlite_engine import DurableSQLiteEngine
from programmes.tables import ALL_TABLES

log = logging.getLogger(__name__)

APP_REGISTRY = AppRegistry(apps=["programmes.piccolo_app", "piccolo_api.session_auth.piccolo_app"])

#: The active engine; Piccolo's `engine_finder()` reads it through PICCOLO_CONF.
DB: Engine[Any] | None = None


async def _keep_session(connection: object) -> None:
    """Pool connections go back without asyncpg's reset query (RESET ALL, UNLISTEN, ...):
    one round trip saved on every query. Nothing here changes session state (no SET, no
    LISTEN, no advisory locks); an open transaction is still rolled back by asyncpg."""


@asynccontextmanager
async def connection_pool(min_size: int = 2, max_size: int = 10) -> AsyncIterator[None]:
    """Reuse connections while the block runs: a pool on PostgreSQL (Piccolo otherwise opens
    a connection per query), shared and idle connections on SQLite."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session)
        try:
            yield
        finally:
            await db.close_connection_pool()
    elif isinstance(db, DurableSQLiteEngine):
        await db.start_connection_pool()
        try:
            yield
        finally:
            await db.close_connection_pool()
    else:
        yield


def all_tables() -> tuple[type[Table], ...]:
    return (*ALL_TABLES, SessionsBase, Migration)


def create_engine(config: DatabaseConfig) -> Engine[Any]:
    if config.is_sqlite:
        assert config.sqlite_path is not None
        return DurableSQLiteEngine(path=str(config.sqlite_path))
    assert config.dsn is not None
    with warnings.catch_warnings():
        # Piccolo connects once at construction to read the server version and only warns
        # when it cannot; `check_connection` reports an unreachable database clearly.
        warnings.simplefilter("ignore")
        return PostgresEngine(config={"dsn": config.dsn, "timeout": 10})


def use_engine(engine: Engine[Any]) -> Engine[Any]:
    """Make `engine` the one every table and Piccolo's migration runner uses."""
    global DB
    if isinstance(DB, DurableSQLiteEngine) and DB is not engine:
        DB.close_readers()
    DB = engine
    os.environ["PICCOLO_CONF"] = "programmes.db"
    for table in all_tables():
        table._meta.db = engine
    return engine


def configure(config: DatabaseConfig) -> Engine[Any]:
    return use_engine(create_engine(config))


def engine() -> Engine[Any]:
    if DB is None:
        raise RuntimeError("programmes.db.configure() has not been called")
    return DB


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def check_connection(config: DatabaseConfig) -> None:
    """Run one query; raise `SettingsError` naming the URL variable when it fails."""
    db = engine()
    try:
        if isinstance(db, DurableSQLiteEngine):
            # plain sqlite3: a failed aiosqlite connect leaves a thread that later reports
            # "Event loop is closed" on stderr after the one-line error
            with contextlib.closing(sqlite3.connect(db.path, timeout=1)) as connection:
                connection.execute("SELECT 1")
            return
        await db.run_ddl("SELECT 1")
    except (TimeoutError, OSError, sqlite3.Error) as exc:
        raise SettingsError(
            "PROGRAMMES_DATABASE_URL", f"cannot reach {config.display} ({_reason(exc)})"
        ) from None
    except Exception as exc:  # asyncpg raises its own hierarchy (auth, unknown database …)
        if type(exc).__module__.startswith("asyncpg"):
            raise SettingsError(
                "PROGRAMMES_DATABASE_URL", f"cannot use {config.display} ({_reason(exc)})"
            ) from None
        raise


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Run one SQL statement with `{}` placeholders and return its rows as dicts.

    For hot paths (taking a seat, queuing a mail, the audit trail): building a query with
    Piccolo costs 0.3–0.8 ms of Python per statement, several times the statement itself.
    The SQL written here is plain enough to mean the same on SQLite and PostgreSQL."""
    rows = await engine().run_querystring(QueryString(sql, *args))
    return list(rows or [])


def is_unique_violation(error: BaseException) -> bool:
    """Whether a database error is a UNIQUE conflict, on either engine."""
    if isinstance(error, sqlite3.IntegrityError):
        return "UNIQUE" in str(error)
    return type(error).__name__ == "UniqueViolationError"


class MigrationFailed(Exception):
    pass


async def migrate() -> None:
    """Apply every pending migration (Piccolo's, piccolo_api's sessions, ours).

    Piccolo's runner prints progress; it is captured so commands stay quiet on success and
    show it when something fails."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        result = await run_forwards(app_name="all")
    if not result.success:
        raise MigrationFailed(f"{result.message}\n{output.getvalue()}")
    db = engine()
    if isinstance(db, DurableSQLiteEngine):
        db.enable_wal()


_write_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _write_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _write_locks.get(loop)
    if lock is None:
        lock = _write_locks[loop] = asyncio.Lock()
    return lock


#: Callbacks to run once the outermost `write_transaction()` has committed.
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "programmes_after_commit", default=None
)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current `write_transaction()` has committed; forget it if
    the transaction rolls back. Outside a write transaction it runs at once.

    For cheap, synchronous nudges only (e.g. waking the mail sender): they must not
    touch the database, and an error in one is logged, never raised, because the data
    is already committed. The same callback registered twice runs once."""
    pending = _after_commit.get()
    if pending is None:
        _run_callbacks([callback])
    elif callback not in pending:
        pending.append(callback)


def in_write_transaction() -> bool:
    """Whether the caller runs inside `write_transaction()` (and so can use `after_commit`)."""
    return _after_commit.get() is not None


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:
            log.exception("after-commit callback %s failed", getattr(callback, "__name__", "?"))


@asynccontextmanager
async def write_transaction() -> AsyncIterator[None]:
    """A transaction for a use case that writes.

    SQLite: BEGIN IMMEDIATE takes the write lock up front (a DEFERRED transaction that reads
    and then writes fails with "database is locked" under load), and a per-process lock
    queues this process's writers in memory instead of in SQLite's busy loop. PostgreSQL:
    READ COMMITTED; scarce resources are taken with conditional UPDATEs. Nested calls join
    the outer transaction. Callbacks given to `after_commit()` run after the outermost one
    commits.
    """
    db = engine()
    if in_transaction(db):
        yield
        return
    callbacks: list[Callable[[], None]] = []
    token = _after_commit.set(callbacks)
    held_since = 0.0
    try:
        if isinstance(db, DurableSQLiteEngine):
            # the write lock measures its own hold times (released right after COMMIT)
            async with _write_lock(), db.write_lock() as lock, db.direct_write(lock):
                held_since = time.perf_counter()
                yield
        else:
            async with db.transaction():
                held_since = time.perf_counter()
                yield
    finally:
        _after_commit.reset(token)
        if held_since:
            held = time.perf_counter() - held_since
            work_charges.charge(held)  # the fair share counts it (work_charges.py)
            if hold_times.durations is not None and not isinstance(db, DurableSQLiteEngine):
                hold_times.durations.append(held)
    _run_callbacks(callbacks)


def in_transaction(db: Engine[Any]) -> bool:
    """Whether the calling task already runs inside a transaction of `db`."""
    if isinstance(db, DurableSQLiteEngine):
        return db.in_transaction()
    return db.current_transaction.get() is not None


class FreshQuery:
    """A read that must see every commit, prepared once and run very often.

    Building a Piccolo query with joins and compiling it costs more than running it, so it
    is compiled once. Piccolo opens a new SQLite connection and thread per query (1-4 ms,
    and under load every hand-over of the GIL between that thread and the busy event loop
    can wait 5 ms), so SQLite runs it on persistent read-only connections instead: small
    reads (`rows_inline`, the validation query of cached feeds) right on the event loop (a
    grouped read well under a millisecond; in WAL mode a reader never waits for a writer),
    large ones (`bulk=True`: hundreds of rows) in a worker thread on a connection of their
    own. Values come back as the driver returns them (SQLite: timestamps as text, booleans
    as 0/1; 1,000 joined rows took ~60 ms through Piccolo's converters, ~10 ms so).
    PostgreSQL runs the compiled query through Piccolo's pool.
    """

    def __init__(self, query: Select[Any] | Raw, *, bulk: bool = False) -> None:
        self._querystring = query.querystrings[0]
        self._sqlite = self._querystring.compile_string(engine_type="sqlite")
        self._bulk = bulk

    def rows_inline(self) -> list[Mapping[str, Any]] | None:
        """The rows, right now, if the engine can read without waiting (SQLite); else None."""
        db = engine()
        if isinstance(db, DurableSQLiteEngine) and not db.in_transaction():
            sql, args = self._sqlite
            return list(db.reader().fetch(sql, args))
        return None

    async def rows(self) -> list[Mapping[str, Any]]:
        db = engine()
        if isinstance(db, DurableSQLiteEngine) and not db.in_transaction():
            sql, args = self._sqlite
            if self._bulk:
                return list(await anyio.to_thread.run_sync(db.bulk_reader().fetch, sql, args))
            return list(db.reader().fetch(sql, args))
        return list(await db.run_querystring(self._querystring))


@asynccontextmanager
async def read_transaction() -> AsyncIterator[None]:
    """A consistent snapshot for reads that span several queries (reports, feeds)."""
    db = engine()
    if in_transaction(db):
        yield
        return
    async with db.transaction():
        yield
