"""Dates, times and figures in a language, and the Jinja glue that pages and mails share.

Every moment is shown in Europe/Berlin time, written by babel the way the language writes
it. `localise()` gives a Jinja environment the translations (`_()`, `gettext`, `ngettext`,
`{% trans %}`) and the filters below; both take the language from the render context's
`lang`, so concurrent renders in different languages never mix.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Final

from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from programmes import i18n
from programmes.clock import BERLIN

#: The default patterns of the `local_datetime` and `local_date` filters.
DATE_TIME: Final = "EEE d. MMM y, HH:mm"
DATE: Final = "EEE d. MMM y"
#: A date with its time as a sentence of a mail says it: "Dienstag, 1. September 2026, 09:00".
LONG_DATE_TIME: Final = "EEEE, d. MMMM y, HH:mm"
#: A date with its time in each language's own punctuation ("Mi., 2. Dez. 2026, 18:00").
_DAY_AND_TIME: Final = {"de": "EEE, d. MMM yyyy, HH:mm", "en": "EEE d MMM yyyy, HH:mm"}


def local_datetime(moment: datetime, language: str, pattern: str = DATE_TIME) -> str:
    return format_datetime(moment, pattern, tzinfo=BERLIN, locale=language)


def local_date(day: date, language: str, pattern: str = DATE) -> str:
    return format_date(day, pattern, locale=language)


def clock(moment: datetime, language: str) -> str:
    """The time of day in Berlin, "18:00"."""
    return format_time(moment, "HH:mm", tzinfo=BERLIN, locale=language)


def berlin_datetime(moment: datetime, language: str) -> str:
    return local_datetime(moment, language, _DAY_AND_TIME.get(language, _DAY_AND_TIME["de"]))


@functools.lru_cache(maxsize=4096)
def berlin_range(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """'Mi., 2. Dez. 2026, 18:00–20:00'; the end with its date when it is another day.
    Cached: the start page shows the same dates on every request, and babel takes ~50 µs
    a range (a pure function of its arguments, aware datetimes included)."""
    start = berlin_datetime(starts_at, language)
    if starts_at.astimezone(BERLIN).date() == ends_at.astimezone(BERLIN).date():
        return f"{start}–{clock(ends_at, language)}"
    return f"{start} – {berlin_datetime(ends_at, language)}"


def number(value: int | float | str | None, language: str) -> str:
    """A figure in the language (1,5 in German); text such as "< 5" as it is."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return format_decimal(value, format="#,##0.##", locale=language)


def localise(env: Environment) -> Environment:
    """`env` with the translations and the filters, in the render context's language."""
    i18n.install_gettext(env)
    env.filters.update(FILTERS)
    return env


def _language(context: Context) -> str:
    return str(context.get("lang", i18n.DEFAULT_LANGUAGE))


@pass_context
def _local_datetime(context: Context, moment: datetime | None, pattern: str = DATE_TIME) -> str:
    return "" if moment is None else local_datetime(moment, _language(context), pattern)


@pass_context
def _local_date(context: Context, day: date | None, pattern: str = DATE) -> str:
    return "" if day is None else local_date(day, _language(context), pattern)


@pass_context
def _clock(context: Context, moment: datetime | None) -> str:
    return "" if moment is None else clock(moment, _language(context))


@pass_context
def _when(context: Context, moment: datetime) -> str:
    return local_datetime(moment, _language(context), LONG_DATE_TIME)


@pass_context
def _berlin_datetime(context: Context, moment: datetime) -> str:
    return berlin_datetime(moment, _language(context))


@pass_context
def _berlin_range(context: Context, starts_at: datetime, ends_at: datetime) -> str:
    return berlin_range(starts_at, ends_at, _language(context))


@pass_context
def _number(context: Context, value: int | float | str | None) -> str:
    return number(value, _language(context))


FILTERS: Final = {
    "local_datetime": _local_datetime,
    "local_date": _local_date,
    "clock": _clock,
    "when": _when,
    "berlin_datetime": _berlin_datetime,
    "berlin_range": _berlin_range,
    "number": _number,
}
