"""Where SQLite's COMMIT runs: on the event loop while the disk syncs quickly, in a worker
thread once it is slow, so a slow disk never stops a worker's other requests for long."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from programmes import db, hold_times, sqlite_engine
from programmes.db import write_transaction
from programmes.sqlite_engine import CommitTimer, DurableSQLiteEngine
from programmes.tables import Kita
from tests.conftest import ENGINE

pytestmark = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite's write path only")


@pytest.fixture
def commit_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The thread each COMMIT ran in, in order."""
    threads: list[int] = []
    real_commit = sqlite_engine._commit

    def recorded(connection: sqlite3.Connection, lock: sqlite_engine.WriteLock | None) -> None:
        threads.append(threading.get_ident())
        real_commit(connection, lock)

    monkeypatch.setattr(sqlite_engine, "_commit", recorded)
    return threads


def engine() -> DurableSQLiteEngine:
    found = db.engine()
    assert isinstance(found, DurableSQLiteEngine)
    return found


async def add_kita(name: str) -> None:
    async with write_transaction():
        await Kita.insert(Kita(name=name))


async def test_a_quick_commit_runs_on_the_event_loop_and_the_row_is_stored(
    commit_threads: list[int],
) -> None:
    engine().commits.average = 0.0
    await add_kita("KiTa Sonnenschein")

    assert commit_threads == [threading.get_ident()]
    with sqlite3.connect(engine().path) as other:  # another connection sees the commit
        names = [row[0] for row in other.execute("SELECT name FROM kita")]
    assert names == ["KiTa Sonnenschein"]


async def test_a_slow_disk_moves_commits_off_the_loop_and_a_quick_one_brings_them_back(
    commit_threads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    timer = engine().commits
    timer.average = 0.0
    real_commit = sqlite_engine._commit
    slow = CommitTimer.LOOP_LIMIT * 3

    def slow_commit(connection: sqlite3.Connection, lock: sqlite_engine.WriteLock | None) -> None:
        commit_threads.append(threading.get_ident())
        time.sleep(slow)  # a disk that takes 6 ms to sync
        real_commit(connection, lock)

    monkeypatch.setattr(sqlite_engine, "_commit", slow_commit)
    loop_thread = threading.get_ident()
    number = 0
    while timer.on_loop:
        number += 1
        await add_kita(f"KiTa {number}")
        assert number < 50, "slow commits must leave the loop"
    assert commit_threads and set(commit_threads) == {loop_thread}

    # now the loop goes on while the disk syncs
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    before = ticks
    commit_threads.clear()
    await add_kita("KiTa Regenbogen")
    ticker.cancel()
    assert commit_threads and loop_thread not in commit_threads
    assert ticks > before, "the event loop kept running during the slow COMMIT"

    monkeypatch.setattr(sqlite_engine, "_commit", real_commit)
    while not timer.on_loop:
        number += 1
        await add_kita(f"KiTa {number}")
        assert number < 200, "quick commits must come back to the loop"
    assert await Kita.count() == number + 1


async def test_a_commit_in_the_thread_does_not_hold_the_lock_through_a_busy_loop_turn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a slow disk the COMMIT goes to a worker thread. It is handed over before the
    loop goes on: a 100 ms piece of other work queued on the loop does not keep the write
    lock (every writer of every worker waits for it) held for those 100 ms."""
    timer = engine().commits
    monkeypatch.setattr(timer, "average", CommitTimer.LOOP_LIMIT * 10)  # commits in the thread
    monkeypatch.setattr(hold_times, "durations", [])

    async with write_transaction():
        await Kita.insert(Kita(name="KiTa Pusteblume"))
        asyncio.get_running_loop().call_soon(time.sleep, 0.1)  # another request's long step

    assert hold_times.durations is not None and len(hold_times.durations) == 1
    assert hold_times.durations[0] < 0.08
    assert await Kita.count().where(Kita.name == "KiTa Pusteblume") == 1


async def test_a_writer_cancelled_during_its_commit_in_the_thread_still_commits_and_frees_the_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that goes away while its COMMIT is in the thread: the row is stored (the
    COMMIT cannot be called back), the cancellation reaches the request, and the next
    writer gets the lock."""
    timer = engine().commits
    monkeypatch.setattr(timer, "average", CommitTimer.LOOP_LIMIT * 10)
    real_commit = sqlite_engine._commit
    committing = threading.Event()

    def slow_commit(connection: sqlite3.Connection, lock: sqlite_engine.WriteLock | None) -> None:
        committing.set()
        time.sleep(0.05)
        real_commit(connection, lock)

    monkeypatch.setattr(sqlite_engine, "_commit", slow_commit)
    writer = asyncio.create_task(add_kita("KiTa Abendstern"))
    assert await asyncio.to_thread(committing.wait, 5)
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writer

    monkeypatch.setattr(sqlite_engine, "_commit", real_commit)
    await asyncio.wait_for(add_kita("KiTa Morgenstern"), timeout=5)
    names = {row["name"] for row in await Kita.select(Kita.name)}
    assert {"KiTa Abendstern", "KiTa Morgenstern"} <= names
