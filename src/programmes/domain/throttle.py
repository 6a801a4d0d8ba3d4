"""Fixed-window counters in the database, so that limits hold across all workers and
restarts (sign-in attempts, public registrations).

A request is counted *before* the work it guards, with one atomic statement per counter:

    INSERT INTO rate_counter (bucket, window_start, hits) VALUES (:bucket, :now, 1)
    ON CONFLICT (bucket) DO UPDATE SET <a new window with 1 hit, or hits + 1>
    RETURNING hits

The statement hands every caller its own place in the window, so of any number of
concurrent requests exactly `limit` see a count within the limit. There is no read before
the write (two requests reading the same count would both pass) and no second INSERT that
could collide with another worker's (a unique violation, a 500). SQLite (3.35 and later)
and PostgreSQL both run it; on PostgreSQL a concurrent insert of the same bucket waits for
the first one and then updates it.

Counters only hold a SHA-256 of their key (`bucket_for`): no address or e-mail is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from programmes.db import fetch, write_transaction

_COUNT_HIT = (
    "INSERT INTO rate_counter (bucket, window_start, hits) VALUES ({}, {}, 1) "
    "ON CONFLICT (bucket) DO UPDATE SET "
    "hits = CASE WHEN rate_counter.window_start <= {} THEN 1 ELSE rate_counter.hits + 1 END, "
    "window_start = CASE WHEN rate_counter.window_start <= {} "
    "THEN excluded.window_start ELSE rate_counter.window_start END "
    "RETURNING hits"
)
_GIVE_BACK = "UPDATE rate_counter SET hits = hits - 1 WHERE bucket = {} AND hits > 0"
_CLEAR = "DELETE FROM rate_counter WHERE bucket = {}"


def bucket_for(*parts: str) -> str:
    """A stable, non-reversible name for a throttled key (no address or e-mail stored)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Quota:
    """At most `limit` requests per `window` for one bucket."""

    bucket: str
    limit: int
    window: timedelta


async def count_hit(bucket: str, *, window: timedelta, now: datetime) -> int:
    """Count one hit and return the hits in the current window, this one included."""
    rows = await fetch(_COUNT_HIT, bucket, now, now - window, now - window)
    return int(rows[0]["hits"])


async def admit(quotas: Sequence[Quota], *, now: datetime) -> bool:
    """Count this request against each quota in turn; False at the first one it exceeds.

    A quota after the exceeded one is not counted, so the order says who pays for a refused
    request: a burst that a narrow quota (one address) refuses never reaches a wide one
    (one account from anywhere), and cannot use it up for everybody else."""
    async with write_transaction():
        for quota in quotas:
            if await count_hit(quota.bucket, window=quota.window, now=now) > quota.limit:
                return False
    return True


async def give_back(*buckets: str) -> None:
    """Take one hit off each bucket (a request that turned out not to count)."""
    async with write_transaction():
        for bucket in buckets:
            await fetch(_GIVE_BACK, bucket)


async def clear(bucket: str) -> None:
    async with write_transaction():
        await fetch(_CLEAR, bucket)
