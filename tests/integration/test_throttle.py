"""The counters behind the sign-in and registration limits (real database, both engines)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from programmes.domain import throttle
from programmes.tables import RateCounter
from tests.conftest import FROZEN_NOW

WINDOW = timedelta(minutes=10)


async def test_concurrent_hits_each_get_a_place_of_their_own() -> None:
    bucket = throttle.bucket_for("test", "concurrent")
    counts = await asyncio.gather(
        *(throttle.count_hit(bucket, window=WINDOW, now=FROZEN_NOW) for _ in range(40))
    )
    assert sorted(counts) == list(range(1, 41))


async def test_concurrent_requests_admit_exactly_the_limit() -> None:
    quota = throttle.Quota(throttle.bucket_for("test", "limit"), 7, WINDOW)
    admitted = await asyncio.gather(*(throttle.admit((quota,), now=FROZEN_NOW) for _ in range(30)))
    assert admitted.count(True) == 7


async def test_a_new_window_starts_counting_again() -> None:
    bucket = throttle.bucket_for("test", "window")
    for _ in range(3):
        await throttle.count_hit(bucket, window=WINDOW, now=FROZEN_NOW)
    just_before = FROZEN_NOW + WINDOW - timedelta(seconds=1)
    assert await throttle.count_hit(bucket, window=WINDOW, now=just_before) == 4
    assert await throttle.count_hit(bucket, window=WINDOW, now=FROZEN_NOW + WINDOW) == 1
    assert await throttle.count_hit(bucket, window=WINDOW, now=FROZEN_NOW + WINDOW) == 2


async def test_a_refusal_leaves_the_later_quotas_alone() -> None:
    narrow = throttle.Quota(throttle.bucket_for("test", "narrow"), 1, WINDOW)
    wide = throttle.Quota(throttle.bucket_for("test", "wide"), 5, WINDOW)
    results = [await throttle.admit((narrow, wide), now=FROZEN_NOW) for _ in range(4)]
    assert results == [True, False, False, False]
    assert await throttle.count_hit(wide.bucket, window=WINDOW, now=FROZEN_NOW) == 2


async def test_giving_back_never_goes_below_zero() -> None:
    bucket = throttle.bucket_for("test", "give back")
    await throttle.count_hit(bucket, window=WINDOW, now=FROZEN_NOW)
    await throttle.give_back(bucket)
    await throttle.give_back(bucket)
    assert await throttle.count_hit(bucket, window=WINDOW, now=FROZEN_NOW) == 1


async def test_counters_store_no_address() -> None:
    await throttle.count_hit(
        throttle.bucket_for("registration", "203.0.113.7"), window=WINDOW, now=FROZEN_NOW
    )
    rows = await RateCounter.select(RateCounter.bucket)
    assert rows and all("203.0.113.7" not in row["bucket"] for row in rows)
    assert all(len(row["bucket"]) == 64 for row in rows)
