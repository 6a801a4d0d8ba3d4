"""Whether the service can do its work right now."""

from __future__ import annotations

import asyncio
import logging

from programmes.db import engine
from programmes.sqlite_engine import DurableSQLiteEngine

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 3.0


async def database_ok() -> bool:
    """One trivial query with a short timeout; any failure means unhealthy.

    On SQLite it reads the migration table through the persistent read-only connection
    (microseconds, no thread); Piccolo would open a connection and a thread per check."""
    database = engine()
    try:
        if isinstance(database, DurableSQLiteEngine):
            database.reader().fetch("SELECT COUNT(*) AS n FROM migration", [])
            return True
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await database.run_ddl("SELECT 1")
    except Exception as exc:  # any driver error means the database is not usable
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True
