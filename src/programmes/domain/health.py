"""Whether the service can do its work right now."""

from __future__ import annotations

import asyncio
import logging

from programmes.db import engine

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 3.0


async def database_ok() -> bool:
    """One trivial query with a short timeout; any failure means unhealthy."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            await engine().run_ddl("SELECT 1")
    except Exception as exc:  # any driver error means the database is not usable
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return False
    return True
