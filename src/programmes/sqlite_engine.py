"""Piccolo's SQLite engine with this service's durability, locking and connection reuse.

* Durability: every connection runs with `synchronous=FULL` and foreign keys on; the file
  uses write-ahead logging; a busy timeout covers brief contention.
* Migrations: SQLite has no ALTER TABLE … ADD CONSTRAINT, which Piccolo emits; see
  `_add_constraint`.
* Speed: Piccolo opens a new connection (and thread) for every query outside a transaction
  and for every transaction, about 0.7 ms each. With the pool started (the app's lifespan
  does), SELECTs outside transactions run right on the event loop on one read-only
  connection with Piccolo's type conversions (`typed_reader`: in WAL mode a reader never
  waits for a writer, and an indexed read takes microseconds, where a hop to aiosqlite's
  thread and back waited a turn of a busy loop), other statements outside transactions
  share one autocommit connection, and transactions reuse idle connections. Without the
  pool the engine behaves exactly like Piccolo's.
* Writers across processes queue on a file lock (`write_lock`) rather than in SQLite's
  busy handler, which sleeps in growing steps and makes bursts slow.
* Short write transactions (`direct_write`): inside the write lock, statements run right on
  the event loop on the process's writer connection. Through aiosqlite each statement was a
  hop to its thread and back, and on a loop busy with other requests every return waited
  its turn, so the lock every writer of every process queues on was held for many turns of
  the loop (bench/mixed.py: a registration held it ~20 ms p50 beside feed traffic, ~2 ms
  alone). A statement inside the lock never waits for another writer, and takes
  microseconds.
* COMMIT (the fsync) runs on the event loop too while the disk syncs quickly (`CommitTimer`):
  handed to a worker thread, it waited for the GIL beside the loop and the render thread and
  the lock stayed held meanwhile (held p50 4 ms in the mix, 1.4 ms alone; registrations
  starved at 20 % of their rate alone). On the loop the whole write transaction is one step
  of one task with no await inside: 0.7 ms held, alone and in the mix. The loop waits for
  the fsync meanwhile (the GIL is free for the render thread), which is cheaper than the
  hand-over while syncs take under `CommitTimer.LOOP_LIMIT`; a slow disk (a network volume,
  a busy HDD) moves COMMIT back to a worker thread by itself. There it is handed over
  before the loop goes on (`_in_thread_at_once`), and the thread releases the lock.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

import aiosqlite
import anyio.to_thread
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory
from piccolo.querystring import QueryString

from programmes import hold_times

#: Seconds a SQLite connection waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT = 30.0
#: A plain reader runs on the event loop; it must never wait long (WAL readers only wait
#: in rare recovery cases).
SQLITE_READER_TIMEOUT = 2.0

_ADD_CONSTRAINT = re.compile(
    r'^ALTER TABLE "?(?P<table>\w+)"? ADD CONSTRAINT "?(?P<name>\w+)"? (?P<body>(CHECK|UNIQUE).*)$',
    re.IGNORECASE | re.DOTALL,
)


class _DurableConnection(sqlite3.Connection):
    """A SQLite connection that always syncs fully and enforces foreign keys."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA synchronous = FULL")
        self.execute("PRAGMA foreign_keys = ON")


class _Reader:
    """One persistent, read-only, autocommit SQLite connection, one statement at a time.
    In WAL mode every statement reads the latest commit and never waits for a writer."""

    def __init__(self, path: str, *, timeout: float = SQLITE_READER_TIMEOUT) -> None:
        self._connection = sqlite3.connect(
            path, timeout=timeout, isolation_level=None, check_same_thread=False
        )
        self._connection.execute("PRAGMA query_only = ON")
        self._lock = threading.Lock()

    def fetch(self, sql: str, args: list[Any]) -> list[dict[str, Any]]:
        with self._lock:
            return _dicts(self._connection.execute(sql, args))

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _commit(connection: sqlite3.Connection, lock: WriteLock | None) -> None:
    """COMMIT (the fsync), or ROLLBACK if it fails, then let the next writer in at once.
    In a worker thread (`CommitTimer`), the lock is released from there: the event loop may
    be busy for a while before it resumes the task."""
    try:
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        if lock is not None:
            lock.release()


async def _in_thread_at_once(func: Callable[..., None], *args: Any) -> None:
    """Run `func` in a worker thread, handed over before this task lets the loop go on, and
    wait for its end even if the task is cancelled meanwhile (a COMMIT cannot be called
    back; the cancellation is raised after it).

    Not `anyio.to_thread.run_sync`: it first yields one turn of the event loop, and under
    load a turn is several milliseconds of other requests' steps, all with the write lock
    held (bench/mixed.py, COMMIT forced into the thread: held p50 6.2 ms in the mix; handed
    over at once, 2.5 ms)."""
    future = asyncio.get_running_loop().run_in_executor(None, func, *args)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        if not future.done():
            await asyncio.wait([future])
        raise


class CommitTimer:
    """Where COMMIT runs: on the event loop while the disk syncs quickly, else in a thread.

    Keeps a moving average of how long COMMITs take (each new one counts for a tenth). A
    COMMIT on the loop stops every other request of the worker for its duration, so once
    the average reaches `LOOP_LIMIT` they go to a worker thread, and come back once it falls
    below again (commits in the thread are measured too)."""

    __slots__ = ("average",)

    LOOP_LIMIT = 0.002
    WEIGHT = 0.1

    def __init__(self) -> None:
        self.average = 0.0

    @property
    def on_loop(self) -> bool:
        return self.average < self.LOOP_LIMIT

    def commit(self, connection: sqlite3.Connection, lock: WriteLock | None) -> None:
        """`_commit`, timed."""
        started = time.perf_counter()
        try:
            _commit(connection, lock)
        finally:
            took = time.perf_counter() - started
            self.average += (took - self.average) * self.WEIGHT


class WriteLock:
    """The file lock all writers of all processes queue on, held only while writing.

    A free lock is taken right away. A held one is tried again on the event loop, every
    0.2 ms at first and then every 2 ms at most, rather than waited for in a worker thread:
    a lock taken in a thread stays held, unused, until the busy event loop gets round to the
    waiting task (with feed and page traffic on the loop that was the larger part of every
    registration's hold, and every writer of every process waited for it). Taken on the
    loop, it is taken by a task that runs at that moment and goes straight on to write.
    `release` may be called from the COMMIT's thread (see `_commit`); it is idempotent."""

    __slots__ = ("_fd", "_held", "_since")

    FIRST_RETRY = 0.0002
    LAST_RETRY = 0.002

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._held = False
        self._since = 0.0

    def _try(self) -> bool:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        self._held = True
        self._since = time.perf_counter()
        return True

    async def acquire(self) -> None:
        retry = self.FIRST_RETRY
        while not self._try():
            await asyncio.sleep(retry)
            retry = min(retry * 2, self.LAST_RETRY)

    def release(self) -> None:
        if self._held:
            self._held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            if hold_times.durations is not None:
                hold_times.durations.append(time.perf_counter() - self._since)

    def close(self) -> None:
        self.release()
        os.close(self._fd)


def _is_read(sql: str) -> bool:
    """Whether a statement only reads (a plain SELECT; the reader refuses anything else)."""
    return sql.lstrip()[:6].upper() == "SELECT"


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    if cursor.description is None:  # a statement without RETURNING
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


#: The writer connection while this task runs a direct write transaction.
_writing: ContextVar[sqlite3.Connection | None] = ContextVar("programmes_writing", default=None)


class DurableSQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine with this service's durability and locking settings."""

    def __init__(self, path: str) -> None:
        super().__init__(path=path, timeout=SQLITE_BUSY_TIMEOUT, factory=_DurableConnection)
        self._pooling = False
        self._idle: list[aiosqlite.Connection] = []
        self._shared: aiosqlite.Connection | None = None
        self._reader: _Reader | None = None
        self._bulk_reader: _Reader | None = None
        self._writer: sqlite3.Connection | None = None
        self._typed_reader: sqlite3.Connection | None = None
        self.commits = CommitTimer()

    async def get_connection(self) -> aiosqlite.Connection:
        """Like Piccolo's, but the connection's worker thread is a daemon.

        aiosqlite runs each connection in a non-daemon thread that lives until the
        connection is closed; one connection left open anywhere (a cancelled request, a
        test that forgot to close its pool) kept the whole process from exiting, which
        showed up as a CI run that printed its results and never ended. SQLite itself
        is safe to abandon mid-transaction (WAL, synchronous=FULL), so nothing is lost.
        The foreign-key pragma is set by the connection factory."""
        connection = aiosqlite.connect(**self.connection_kwargs)
        connection._thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        return connection

    # ------------------------------------------------------------------ plain readers

    def reader(self) -> _Reader:
        """The read-only connection the event loop itself reads with (small, quick reads)."""
        if self._reader is None:
            self._reader = _Reader(self.path)
        return self._reader

    def bulk_reader(self) -> _Reader:
        """The read-only connection worker threads read large results with."""
        if self._bulk_reader is None:
            self._bulk_reader = _Reader(self.path, timeout=SQLITE_BUSY_TIMEOUT)
        return self._bulk_reader

    def typed_reader(self) -> sqlite3.Connection:
        """The read-only connection the event loop runs Piccolo's and `db.fetch`'s SELECTs
        on outside transactions: the same type conversions as Piccolo's connections
        (declared types become dates, datetimes, booleans, JSON), rows as dicts."""
        if self._typed_reader is None:
            connection = sqlite3.connect(
                **{
                    **self.connection_kwargs,
                    "timeout": SQLITE_READER_TIMEOUT,
                    "check_same_thread": False,
                }
            )
            connection.execute("PRAGMA query_only = ON")
            connection.row_factory = dict_factory
            self._typed_reader = connection
        return self._typed_reader

    def close_readers(self) -> None:
        for reader in (self._reader, self._bulk_reader):
            if reader is not None:
                reader.close()
        self._reader = self._bulk_reader = None
        if self._typed_reader is not None:
            self._typed_reader.close()
            self._typed_reader = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    # ------------------------------------------------------------------ short writes

    def in_transaction(self) -> bool:
        """Whether the calling task runs inside a transaction (Piccolo's or a direct one)."""
        return self.current_transaction.get() is not None or _writing.get() is not None

    def writer(self) -> sqlite3.Connection:
        """The connection this process writes with (only under the write lock)."""
        if self._writer is None:
            connection = sqlite3.connect(**{**self.connection_kwargs, "check_same_thread": False})
            connection.row_factory = dict_factory
            self._writer = connection
        return self._writer

    @asynccontextmanager
    async def direct_write(self, lock: WriteLock | None = None) -> AsyncIterator[None]:
        """A write transaction whose statements, and usually its COMMIT, run on the event
        loop (see the module's docstring and `CommitTimer`). The caller holds both write
        locks, so BEGIN IMMEDIATE finds SQLite's lock free; should a process outside them
        hold it (a migration), it is waited for in a thread instead of on the loop."""
        connection = self.writer()
        try:
            connection.execute("PRAGMA busy_timeout = 0")
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            connection.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT * 1000)}")
            await anyio.to_thread.run_sync(connection.execute, "BEGIN IMMEDIATE")
        token = _writing.set(connection)
        try:
            yield
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        else:
            if self.commits.on_loop:
                self.commits.commit(connection, lock)
            else:
                await _in_thread_at_once(self.commits.commit, connection, lock)
        finally:
            _writing.reset(token)

    # ------------------------------------------------------------------ connection reuse

    async def start_connection_pool(self, **_: Any) -> None:
        self._pooling = True

    async def close_connection_pool(self) -> None:
        self._pooling = False
        self.close_readers()
        connections, self._idle = self._idle, []
        if self._shared is not None:
            connections.append(self._shared)
            self._shared = None
        for connection in connections:
            await connection.close()

    async def acquire(self) -> aiosqlite.Connection:
        if self._pooling and self._idle:
            return self._idle.pop()
        return await self.get_connection()

    async def release(self, connection: aiosqlite.Connection) -> None:
        """Keep the connection for the next transaction, or close it and wait for that
        (a close left to finish in the background may find its event loop gone)."""
        if self._pooling and len(self._idle) < 4:
            self._idle.append(connection)
        else:
            await connection.close()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _PooledTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )

    async def run_querystring(self, querystring: QueryString, in_pool: bool = False) -> Any:
        writing = _writing.get()
        if writing is not None:  # no await: the statement runs without leaving the loop
            query, args = querystring.compile_string(engine_type=self.engine_type)
            return writing.execute(query, args).fetchall()
        if not self._pooling or self.current_transaction.get() is not None:
            return await super().run_querystring(querystring, in_pool=in_pool)
        query, args = querystring.compile_string(engine_type=self.engine_type)
        if _is_read(query):  # no await either: see `typed_reader`
            return self.typed_reader().execute(query, args).fetchall()
        if self._shared is None:
            self._shared = await self.get_connection()
        return list(await self._shared.execute_fetchall(query, args))

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        """Piccolo runs `PRAGMA foreign_keys` before every statement of a transaction and
        reads results through a cursor (three thread hops); the connection factory set the
        pragma already, so one hop does."""
        return list(await connection.execute_fetchall(query, args or []))

    @asynccontextmanager
    async def write_lock(self) -> AsyncIterator[WriteLock]:
        """Exclusive among all processes using this database file, released on exit at the
        latest (also when the process dies: the kernel drops the lock with the file
        descriptor); `direct_write` releases it as soon as its COMMIT is done."""
        lock = WriteLock(f"{self.path}.write-lock")
        try:
            await lock.acquire()
            yield lock
        finally:
            lock.close()

    async def run_ddl(self, ddl: str, in_pool: bool = False) -> Any:
        """Run DDL, translating what SQLite cannot do (see `_add_constraint`)."""
        match = _ADD_CONSTRAINT.match(ddl.strip())
        if match is None:
            return await super().run_ddl(ddl, in_pool=in_pool)
        return await self._add_constraint(*match.group("table", "name", "body"))

    async def _add_constraint(self, table: str, name: str, body: str) -> Any:
        """SQLite has no ALTER TABLE … ADD CONSTRAINT, and Piccolo's migrations emit one
        right after each CREATE TABLE. A UNIQUE constraint becomes a unique index (same
        guarantee, same error); a CHECK is folded into the CREATE TABLE statement, which is
        only safe while the table is still empty, so a populated table is refused."""
        if body.upper().startswith("UNIQUE"):
            columns = body[len("UNIQUE") :].strip()
            return await super().run_ddl(f'CREATE UNIQUE INDEX "{name}" ON "{table}" {columns}')
        probe = f'SELECT 1 AS x FROM "{table}" LIMIT 1'  # noqa: S608 (a name from Piccolo's DDL)
        if await super().run_ddl(probe):
            raise RuntimeError(
                f"SQLite cannot add CHECK constraint {name} to {table}, which has rows: "
                "write a table-rebuild migration instead"
            )
        schema = (
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = "  # noqa: S608
            f"'{table}' AND sql IS NOT NULL ORDER BY type = 'table' DESC"
        )
        rows = await super().run_ddl(schema)
        create, *indexes = (row["sql"] for row in rows)
        create = create[: create.rindex(")")] + f', CONSTRAINT "{name}" {body})'
        await super().run_ddl(f'DROP TABLE "{table}"')
        for statement in (create, *indexes):
            await super().run_ddl(statement)
        return []

    def enable_wal(self) -> None:
        """Switch the file to write-ahead logging (persistent; readers never block writers)."""
        with sqlite3.connect(self.path, timeout=SQLITE_BUSY_TIMEOUT) as conn:
            conn.execute("PRAGMA journal_mode = WAL")


class _PooledTransaction(SQLiteTransaction):
    """A transaction on a reused connection, handed back (not closed) at the end."""

    engine: DurableSQLiteEngine

    async def get_connection(self) -> aiosqlite.Connection:
        return await self.engine.acquire()

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
        except BaseException:
            await self.connection.close()
            raise
        else:
            await self.engine.release(self.connection)
        finally:
            self.engine.current_transaction.reset(self.context)
        return exception is None
