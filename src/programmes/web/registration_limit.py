"""Rate limit for public registrations, per client address, shared by all workers.

Controllers call it before the registration itself: the request is counted with one atomic
statement (`throttle.admit`), so of any number of concurrent requests from one address
exactly the limit gets through, and a refused one writes nothing else."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Request

from programmes.domain import throttle
from programmes.domain.errors import N_, TooManyRequests
from programmes.settings import Settings


async def check_registration_limit(
    request: Request[Any, Any, Any], settings: Settings, now: datetime
) -> None:
    limit = settings.registration_limit
    if limit is None:
        return
    address = request.client.host if request.client else "unknown"
    quota = throttle.Quota(
        throttle.bucket_for("registration", address), limit.hits, timedelta(minutes=limit.minutes)
    )
    if not await throttle.admit((quota,), now=now):
        raise TooManyRequests(
            N_(
                "Too many registrations from your connection. "
                "Please try again in %(minutes)s minutes."
            ),
            retry_after=limit.minutes * 60,
            minutes=limit.minutes,
        )
