"""Jinja filters for dates and times: always shown in Europe/Berlin, in the page's language."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from babel.dates import format_datetime, format_time
from babel.numbers import format_decimal
from jinja2 import pass_context
from jinja2.runtime import Context

from programmes import i18n
from programmes.clock import BERLIN

_DATE_TIME: Final = {"de": "EEE, d. MMM yyyy, HH:mm", "en": "EEE d MMM yyyy, HH:mm"}


def _language(context: Context) -> str:
    return str(context.get("lang", i18n.DEFAULT_LANGUAGE))


def berlin_datetime(moment: datetime, language: str) -> str:
    pattern = _DATE_TIME.get(language, _DATE_TIME["de"])
    return format_datetime(moment, pattern, tzinfo=BERLIN, locale=language)


def berlin_range(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """'Mi., 2. Dez. 2026, 18:00–20:00'; the end with its date when it is another day."""
    start = berlin_datetime(starts_at, language)
    if starts_at.astimezone(BERLIN).date() == ends_at.astimezone(BERLIN).date():
        return f"{start}–{format_time(ends_at, 'HH:mm', tzinfo=BERLIN, locale=language)}"
    return f"{start} – {berlin_datetime(ends_at, language)}"


@pass_context
def datetime_filter(context: Context, moment: datetime) -> str:
    return berlin_datetime(moment, _language(context))


@pass_context
def range_filter(context: Context, starts_at: datetime, ends_at: datetime) -> str:
    return berlin_range(starts_at, ends_at, _language(context))


@pass_context
def number_filter(context: Context, value: int | float | str | None) -> str:
    """A figure in the page's language (1,5 in German); text such as "< 5" as it is."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    return format_decimal(value, format="#,##0.##", locale=_language(context))


FILTERS: Final = {
    "berlin_datetime": datetime_filter,
    "berlin_range": range_filter,
    "number": number_filter,
}
