"""Time: where "now" comes from, the service's time zone, and stored stamps read back.

Where "now" comes from. Domain functions take `now` as an argument; the web layer and the
CLI get it from a `Clock`, which tests replace with a frozen one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]

#: The service's one time zone: dates are planned, shown and written to calendars in it.
BERLIN: Final = ZoneInfo("Europe/Berlin")


def system_clock() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until moved; for tests and reproducible demos."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


def as_utc(value: object) -> datetime | None:
    """A timestamp as an aware UTC datetime; SQLite's raw reads return the stored text."""
    if value is None:
        return None
    if isinstance(value, str):
        return _parse_stamp(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a timestamp: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@functools.lru_cache(maxsize=8192)
def _parse_stamp(text: str) -> datetime:
    """Stored timestamps repeat a lot (a run's updated_at on each of its sessions)."""
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
