"""Constrained types shared by the domain's inputs (decoded and checked by msgspec), and the
two range rules every input obeys: ids fit the database's INTEGER columns, and dates lie in
the years the service plans for.

A date outside those years is a typo (0202 for 2026, 9999 for "open end"), and near the ends
of Python's calendar (year 1, year 9999) converting a time between zones overflows. So every
date and every point in time a person enters passes `check_day` or `check_instant` before it
is converted, compared with stored data or stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

import msgspec

from programmes.domain.errors import N_, InvalidInput

#: Largest id the database's INTEGER columns hold on both engines.
MAX_ID = 2_147_483_647

#: A row id as clients send it: positive and within the database's range.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


def id_from_text(text: str) -> int | None:
    """The row id a path or query spells, or None when it spells none.

    Only ASCII digits count: `str.isdigit` also accepts "²" or "٣", which `int` then refuses
    or reads as another number."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


#: The years a date may lie in: the holiday calendar and common sense cover these, and
#: converting any time of them between time zones stays inside Python's calendar.
EARLIEST_YEAR: Final = 2000
LATEST_YEAR: Final = 2100


def check_day(day: date, *, field: str, error: type[InvalidInput] = InvalidInput) -> date:
    """`day`, or `error` (422; `InvalidParameter` for a query parameter: 400) naming `field`
    when it lies outside the years `EARLIEST_YEAR` to `LATEST_YEAR`."""
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise error(
            N_("%(name)s must lie in the years %(first)s to %(last)s."),
            field=field,
            name=field,
            first=EARLIEST_YEAR,
            last=LATEST_YEAR,
        )
    return day


def check_instant(value: datetime, *, field: str) -> datetime:
    """A point in time as sent: with its offset, and on a day in the planned years. The day
    is read as written (before any conversion, which could overflow)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            N_("Give a time with its time zone offset, e.g. 2027-03-01T09:00:00+01:00."),
            field=field,
        )
    check_day(value.date(), field=field)
    return value
