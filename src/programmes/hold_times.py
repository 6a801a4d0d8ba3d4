"""How long write transactions hold what every other writer waits for: the write lock on
SQLite, a pool connection on PostgreSQL. Measured for the mixed-load benchmark
(`bench/mixed.py`), which shows whether a registration's transaction is a short run of
statements or waits on the event loop while others queue behind it.

Off unless the setting `PROGRAMMES_HOLD_TIMES` names a folder; then each server process
keeps the durations in memory (a float per transaction) and writes them to
`holds-<pid>.txt` there when the app shuts down. Off, it costs one check per transaction.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

#: Seconds each write transaction held the lock or connection (None: not measuring).
durations: list[float] | None = None


def measured_into(folder: Path) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A lifespan that measures while the app runs and writes the durations (milliseconds,
    one per line) to `folder` when it shuts down."""

    @asynccontextmanager
    async def measuring(app: Any) -> AsyncIterator[None]:
        global durations
        durations = []
        try:
            yield
        finally:
            lines = "".join(f"{seconds * 1000:.3f}\n" for seconds in durations)
            durations = None
            (folder / f"holds-{os.getpid()}.txt").write_text(lines, encoding="ascii")

    return measuring
