"""Fixed-window counters in the database, so that limits hold across all workers and
restarts: staff sign-in attempts and public registrations."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from programmes.db import write_transaction
from programmes.tables import RateCounter


def bucket_for(*parts: str) -> str:
    """A stable, non-reversible name for a throttled key (no address or e-mail stored)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


async def hits_in_window(bucket: str, *, window: timedelta, now: datetime) -> int:
    row = (
        await RateCounter.select(RateCounter.hits, RateCounter.window_start)
        .where(RateCounter.bucket == bucket)
        .first()
    )
    if row is None or row["window_start"] <= now - window:
        return 0
    return int(row["hits"])


async def add_hit(bucket: str, *, window: timedelta, now: datetime) -> int:
    """Count one hit and return the hits in the current window."""
    async with write_transaction():
        row = (
            await RateCounter.select(RateCounter.id, RateCounter.hits, RateCounter.window_start)
            .where(RateCounter.bucket == bucket)
            .first()
        )
        if row is None:
            await RateCounter.insert(RateCounter(bucket=bucket, window_start=now, hits=1))
            return 1
        if row["window_start"] <= now - window:
            await RateCounter.update({RateCounter.hits: 1, RateCounter.window_start: now}).where(
                RateCounter.id == row["id"]
            )
            return 1
        await RateCounter.update({RateCounter.hits: RateCounter.hits + 1}).where(
            RateCounter.id == row["id"]
        )
        return int(row["hits"]) + 1


async def clear(bucket: str) -> None:
    await RateCounter.delete().where(RateCounter.bucket == bucket)
