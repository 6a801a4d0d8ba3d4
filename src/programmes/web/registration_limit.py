"""Rate limit for public registrations, per client address, shared by all workers."""

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
    window = timedelta(minutes=limit.minutes)
    bucket = throttle.bucket_for("registration", address)
    if await throttle.add_hit(bucket, window=window, now=now) > limit.hits:
        raise TooManyRequests(
            N_(
                "Too many registrations from your connection. "
                "Please try again in %(minutes)s minutes."
            ),
            retry_after=limit.minutes * 60,
            minutes=limit.minutes,
        )
