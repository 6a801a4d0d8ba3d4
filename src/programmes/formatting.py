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

from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.numbers import format_decimal
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from programmes import i18n
from programmes.clock import BERLIN

#: The patterns below are German; each has its counterpart in the other languages
#: (`_IN_LANGUAGE`), so a template names the German pattern and gets the reader's. A language
#: with no counterpart gets Babel's own form of the same fields (`_SKELETON`).
#: The default patterns of the `local_datetime` and `local_date` filters.
DATE_TIME: Final = "EEE d. MMM y, HH:mm"
DATE: Final = "EEE d. MMM y"
#: A date with its time as a sentence of a mail says it: "Dienstag, 1. September 2026, 09:00".
LONG_DATE_TIME: Final = "EEEE, d. MMMM y, HH:mm"
#: "Donnerstag, 31. Dezember 2026" (pages of an event).
LONG_DATE: Final = "EEEE, d. MMMM y"
#: "31. Dezember 2026" (certificates).
DAY_MONTH_YEAR: Final = "d. MMMM y"
#: A date with its time in each language's own punctuation ("Mi., 2. Dez. 2026, 18:00").
DAY_AND_TIME: Final = "EEE, d. MMM yyyy, HH:mm"

_IN_LANGUAGE: Final[dict[str, dict[str, str]]] = {
    DATE_TIME: {"en": "EEE d MMM y, HH:mm", "tr": "d MMM y EEE, HH:mm", "ar": "EEE d MMM y، HH:mm"},
    DATE: {"en": "EEE d MMM y", "tr": "d MMM y EEE", "ar": "EEE d MMM y"},
    LONG_DATE_TIME: {
        "en": "EEEE, d MMMM y, HH:mm",
        "tr": "d MMMM y EEEE, HH:mm",
        "ar": "EEEE، d MMMM y، HH:mm",
    },
    LONG_DATE: {"en": "EEEE, d MMMM y", "tr": "d MMMM y EEEE", "ar": "EEEE، d MMMM y"},
    DAY_MONTH_YEAR: {"en": "d MMMM y", "tr": "d MMMM y", "ar": "d MMMM y"},
    DAY_AND_TIME: {
        "en": "EEE d MMM yyyy, HH:mm",
        "tr": "d MMM yyyy EEE, HH:mm",
        "ar": "EEE d MMM yyyy، HH:mm",
    },
    "EEE, d. MMM yyyy": {"en": "EEE d MMM yyyy", "tr": "d MMM yyyy EEE", "ar": "EEE d MMM yyyy"},
    "EEE d. MMM": {"en": "EEE d MMM", "tr": "d MMM EEE", "ar": "EEE d MMM"},
    "dd.MM.": {"en": "dd/MM", "tr": "dd.MM", "ar": "dd/MM"},
}
#: (Babel skeleton of the date, with the time of day) for a language `_IN_LANGUAGE` lacks.
_SKELETON: Final[dict[str, tuple[str, bool]]] = {
    DATE_TIME: ("yMMMEd", True),
    DATE: ("yMMMEd", False),
    LONG_DATE_TIME: ("yMMMMEEEEd", True),
    LONG_DATE: ("yMMMMEEEEd", False),
    DAY_MONTH_YEAR: ("yMMMMd", False),
    DAY_AND_TIME: ("yMMMEd", True),
    "EEE, d. MMM yyyy": ("yMMMEd", False),
    "EEE d. MMM": ("MMMEd", False),
    "dd.MM.": ("dM", False),
}


def _pattern(pattern: str, language: str) -> str | None:
    """The language's form of a German pattern; None when Babel's own form is to be used."""
    if language == "de" or pattern not in _SKELETON:
        return pattern
    return _IN_LANGUAGE.get(pattern, {}).get(language)


def local_datetime(moment: datetime, language: str, pattern: str = DATE_TIME) -> str:
    own = _pattern(pattern, language)
    if own is not None:
        return format_datetime(moment, own, tzinfo=BERLIN, locale=language)
    skeleton, with_time = _SKELETON[pattern]
    day = format_skeleton(skeleton, moment, tzinfo=BERLIN, locale=language, fuzzy=True)
    return f"{day}, {clock(moment, language)}" if with_time else day


def local_date(day: date, language: str, pattern: str = DATE) -> str:
    own = _pattern(pattern, language)
    if own is not None:
        return format_date(day, own, locale=language)
    return format_skeleton(_SKELETON[pattern][0], day, locale=language, fuzzy=True)


def clock(moment: datetime, language: str) -> str:
    """The time of day in Berlin, "18:00"."""
    return format_time(moment, "HH:mm", tzinfo=BERLIN, locale=language)


def berlin_datetime(moment: datetime, language: str) -> str:
    return local_datetime(moment, language, DAY_AND_TIME)


@functools.lru_cache(maxsize=4096)
def berlin_range(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """'Mi., 2. Dez. 2026, 18:00–20:00'; the end with its date when it is another day.
    Cached: the start page shows the same dates on every request, and babel takes ~50 µs
    a range (a pure function of its arguments, aware datetimes included)."""
    if starts_at.astimezone(BERLIN).date() == ends_at.astimezone(BERLIN).date():
        if i18n.direction(language) == "rtl":
            day = local_datetime(starts_at, language, _DATE_OF[DAY_AND_TIME])
            return f"{day}{_COMMA.get(language, ', ')}{clock_range(starts_at, ends_at, language)}"
        return f"{berlin_datetime(starts_at, language)}–{clock(ends_at, language)}"
    return f"{berlin_datetime(starts_at, language)} – {berlin_datetime(ends_at, language)}"


def clock_range(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """'18:00–20:00'. In a right-to-left language the two times are isolated left to right:
    a dash between two numbers in Arabic text would otherwise show '20:00–18:00'."""
    span = f"{clock(starts_at, language)}–{clock(ends_at, language)}"
    return f"{_LTR_ISOLATE}{span}{_POP_ISOLATE}" if i18n.direction(language) == "rtl" else span


def when_range(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """A mail's "Dienstag, 1. September 2026, 09:00 – 11:00" (same day assumed)."""
    if i18n.direction(language) == "rtl":
        day = local_datetime(starts_at, language, _DATE_OF[LONG_DATE_TIME])
        return f"{day}{_COMMA.get(language, ', ')}{clock_range(starts_at, ends_at, language)}"
    return f"{local_datetime(starts_at, language, LONG_DATE_TIME)} – {clock(ends_at, language)}"


def day_and_times(starts_at: datetime, ends_at: datetime, language: str) -> str:
    """An event page's "Donnerstag, 31. Dezember 2026, 18:00–20:00" (same day assumed)."""
    day = local_datetime(starts_at, language, LONG_DATE)
    return f"{day}{_COMMA.get(language, ', ')}{clock_range(starts_at, ends_at, language)}"


_LTR_ISOLATE: Final = "\u2066"
_POP_ISOLATE: Final = "\u2069"
#: The date part of a pattern with the time of day.
_DATE_OF: Final = {DAY_AND_TIME: "EEE, d. MMM yyyy", LONG_DATE_TIME: LONG_DATE}
#: The comma before the time of day where it is not ", ".
_COMMA: Final = {"ar": "، "}


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
def _clock_range(context: Context, starts_at: datetime, ends_at: datetime) -> str:
    return clock_range(starts_at, ends_at, _language(context))


@pass_context
def _when_range(context: Context, starts_at: datetime, ends_at: datetime) -> str:
    return when_range(starts_at, ends_at, _language(context))


@pass_context
def _lang_attr(context: Context, text: object) -> Markup:
    """` lang="de"` for a text (`catalogue.translations.Localised`) that is not in the
    page's language, so screen readers and hyphenation treat it right; else nothing."""
    language = getattr(text, "lang", None)
    if not language or language == _language(context):
        return Markup("")
    return Markup(' lang="{}"').format(language)


@pass_context
def _isolate(context: Context, text: object) -> str:
    """A name or title inside a right-to-left sentence of a plain-text mail, isolated so
    that Latin text and digits keep their order (first-strong isolate … pop)."""
    if i18n.direction(_language(context)) != "rtl":
        return str(text)
    return f"\u2068{text}\u2069"


@pass_context
def _day_and_times(context: Context, starts_at: datetime, ends_at: datetime) -> str:
    return day_and_times(starts_at, ends_at, _language(context))


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
    "clock_range": _clock_range,
    "when_range": _when_range,
    "day_and_times": _day_and_times,
    "number": _number,
    "lang_attr": _lang_attr,
    "isolate": _isolate,
}
