"""Import a KiTa's closure days from the iCalendar (.ics) address the KiTa publishes.

A coordinator pastes the address of the KiTa's closure calendar; this module downloads it and
turns its events into closures (inclusive day ranges), which the caller stores. There is no
database and no web framework here.

Why the care: the address and everything behind it are untrusted remote input. The server may
be slow or down, may redirect anywhere (including to ``file:`` or ``ftp:`` addresses), may send
an endless body, a web page instead of a calendar, or a calendar whose repeat rules would expand
to millions of occurrences. So every step is bounded, and every refusal is a domain error with a
message a coordinator can act on (``field="url"``):

* the download in time (one overall deadline, not only per network read), in size (the body is
  streamed and abandoned at ``max_bytes``, also when it is compressed or sent without a
  ``Content-Length``) and in redirects (each target is checked again: only http and https);
* the expansion of repeating events (RRULE) in the window asked for only, in chunks, in the
  number of occurrences, in the number of repeat rules, in their kind (nothing more often than
  daily; no filters that could make the date library search until the year 9999 for a day that
  never comes), in their numbers (an INTERVAL of 0, on which the date library loops for ever;
  COUNT with UNTIL; days, weeks and months that never come; each refusal names the rule) and
  in time (a deadline checked between chunks);
* reading a downloaded calendar as a whole (parsing and expansion) in a helper process that
  holds itself to a memory limit and CPU time, and is killed when it has not answered by its
  deadline: a hard bound for any input, also for one that the checks above do not foresee.

Repeat rules are expanded by the ``recurring-ical-events`` library (which also honours EXDATE,
RDATE, moved and cancelled occurrences and ``X-WR-TIMEZONE``) rather than by hand.

Unreachable servers, refused connections, time-outs and HTTP errors raise ``Unavailable``; an
address or a file that cannot be used (bad scheme, bad redirect, too large, not iCalendar,
malformed or too complex) raises ``InvalidInput``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import math
import os
import re
import resource
import socket
import ssl
import subprocess
import sys
import time
import zlib
from calendar import monthrange
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx
import icalendar
import msgspec
import recurring_ical_events

from programmes.clock import BERLIN
from programmes.domain.errors import InvalidInput, Unavailable

__all__ = [
    "ALLOWED_SCHEMES",
    "DEFAULT_REASON",
    "MAX_URL_LENGTH",
    "FetchLimits",
    "ImportedClosure",
    "ParseLimits",
    "fetch_calendar",
    "import_closures",
    "parse_closures",
    "parse_closures_bounded",
    "validate_calendar_url",
]

log = logging.getLogger(__name__)

#: The schemes a calendar address may use (also after every redirect).
ALLOWED_SCHEMES: Final = ("https", "http")
#: Longest address accepted; the ``Kita.closures_ical_url`` column holds 2,000 characters.
MAX_URL_LENGTH: Final = 2_000
#: The reason stored when an event has no (or a blank) SUMMARY.
DEFAULT_REASON: Final = "KiTa geschlossen"
#: ``ClosureDay.reason`` holds 200 characters, ``ClosureDay.source_uid`` 500.
MAX_REASON_LENGTH: Final = 200
MAX_SOURCE_UID_LENGTH: Final = 500


_ALLOWED_FREQUENCIES: Final = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
#: Filters that only make sense for monthly or yearly rules. Combined with a daily or weekly
#: rule they can describe a day that never comes (the 31st of February), for which the date
#: library searches day by day until the year 9999 (seconds per rule).
_COARSE_FILTERS: Final = ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS")
_TIME_FILTERS: Final = ("BYHOUR", "BYMINUTE", "BYSECOND")
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = timedelta(days=31)
_REQUEST_HEADERS: Final = {
    "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1",
    "Accept-Encoding": "gzip",
    "User-Agent": "programmes-closure-import/1 (KiTa closure calendar import)",
}


@dataclass(frozen=True)
class ImportedClosure:
    """One closure read from the calendar: an inclusive range of days and why."""

    first_day: date
    last_day: date  # inclusive
    reason: str  # the event's SUMMARY, stripped; "" -> "KiTa geschlossen"
    source_uid: str  # UID of the VEVENT (plus the occurrence date for recurring ones)


@dataclass(frozen=True)
class FetchLimits:
    """How much the download of a calendar may cost at most."""

    timeout_seconds: float = 10.0  # for the whole download, redirects included
    max_bytes: int = 1_000_000  # of the (decompressed) body
    max_redirects: int = 3

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0 or self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError(f"FetchLimits out of range: {self!r}")


@dataclass(frozen=True)
class ParseLimits:
    """How much reading a calendar may cost at most."""

    max_occurrences: int = 1_000  # closures in the window, repetitions included
    max_recurrence_rules: int = 50  # RRULE lines in the whole file
    max_seconds: float = 5.0  # for expanding the events (checked between steps)
    max_window_days: int = 1_830  # about five years
    max_interval: int = 1_000  # INTERVAL of a repeat rule (0 would repeat for ever)
    max_count: int = 10_000  # COUNT of a repeat rule
    # The hard bounds of the helper process that reads a downloaded calendar: its memory,
    # and the time it may take beyond ``max_seconds`` to start (it is killed after both).
    max_memory_bytes: int = 500_000_000
    start_seconds: float = 5.0

    def __post_init__(self) -> None:
        if (
            self.max_occurrences <= 0
            or self.max_recurrence_rules < 0
            or self.max_seconds <= 0
            or self.max_window_days <= 0
            or self.max_interval <= 0
            or self.max_count <= 0
            or self.max_memory_bytes <= 0
            or self.start_seconds < 0
        ):
            raise ValueError(f"ParseLimits out of range: {self!r}")


# --------------------------------------------------------------------------------------------
# The address


def validate_calendar_url(url: str) -> str:
    """Return the address without surrounding blanks, or refuse it (``InvalidInput``, "url").

    Only ``http://`` and ``https://`` addresses with a server name are accepted: anything else
    (``file:``, ``ftp:``, ``data:``, ``javascript:``, no scheme at all) would make the service
    read its own files or talk protocols it has no business with.
    """
    candidate = url.strip()
    allowed = "Only web addresses starting with https:// or http:// can be imported"
    if not candidate:
        raise InvalidInput(
            "Enter the address of the KiTa's calendar. "
            f"{allowed} (for example https://kita.example.de/schliesstage.ics).",
            field="url",
        )
    if len(candidate) > MAX_URL_LENGTH:
        raise InvalidInput(
            f"The address is too long ({len(candidate):,} characters; at most "
            f"{MAX_URL_LENGTH:,} are allowed). {allowed}.",
            field="url",
        )
    if any(character.isspace() or not character.isprintable() for character in candidate):
        raise InvalidInput(
            f"The address contains spaces or invisible characters. {allowed}.", field="url"
        )
    try:
        parts = urlsplit(candidate)
    except ValueError:
        raise InvalidInput(
            f"The address is not a valid web address. {allowed}.", field="url"
        ) from None
    scheme = parts.scheme.lower()
    rest = candidate[len(scheme) + 1 :] if scheme else candidate
    if scheme not in ALLOWED_SCHEMES or not rest.startswith("//"):
        if scheme == "webcal":
            hint = " Replace webcal:// at the start of the address with https://."
        elif scheme in ALLOWED_SCHEMES:
            hint = f" The address must start with {scheme}:// followed by the server name."
        elif scheme and not rest[:1].isdigit():  # "localhost:8080/..." has no scheme at all
            hint = f" This address starts with “{scheme}:”, which cannot be imported."
        else:
            hint = " This address does not start with https:// or http://."
        raise InvalidInput(f"{allowed}.{hint}", field="url")
    try:
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0..65535
    except ValueError:
        raise InvalidInput(
            f"The address has an invalid port number. {allowed}.", field="url"
        ) from None
    if not hostname:
        raise InvalidInput(
            f"The address has no server name after {scheme}://. {allowed}.", field="url"
        )
    try:
        httpx.URL(candidate)
    except httpx.InvalidURL:
        raise InvalidInput(
            f"The address is not a valid web address. {allowed}.", field="url"
        ) from None
    return candidate


def _place(url: httpx.URL | str) -> str:
    """The server named in messages: host, and the port when it is not the default."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    return f"{parsed.host}:{parsed.port}" if parsed.port is not None else parsed.host


def _size(n: int) -> str:
    """1_000_000 -> "1 MB", 250_000 -> "250 kB", 512 -> "512 bytes" (decimal units)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g} MB"
    if n >= 1_000:
        return f"{n / 1_000:.3g} kB"
    return f"{n} bytes"


# --------------------------------------------------------------------------------------------
# The download


async def fetch_calendar(
    url: str,
    *,
    limits: FetchLimits = FetchLimits(),
    client: httpx.AsyncClient | None = None,
) -> bytes:
    """Download the calendar at ``url`` within ``limits`` and return its (decoded) body.

    Redirects are followed by hand, at most ``limits.max_redirects`` of them, and each target
    is validated like the address itself. ``client`` may be a shared client; its own redirect
    and time-out settings are overridden for these requests, and it is not closed here.
    """
    download = _Download(httpx.URL(validate_calendar_url(url)), limits)
    try:
        async with asyncio.timeout(limits.timeout_seconds):
            if client is not None:
                return await download.run(client)
            async with httpx.AsyncClient(
                follow_redirects=False, timeout=limits.timeout_seconds
            ) as own_client:
                return await download.run(own_client)
    except TimeoutError:
        raise download.timed_out() from None


class _Download:
    """One download: remembers where it is, so that every message names the right server."""

    def __init__(self, url: httpx.URL, limits: FetchLimits) -> None:
        self.url = url
        self.limits = limits
        self.body = b""

    def timed_out(self) -> Unavailable:
        return Unavailable(
            f"The calendar server {_place(self.url)} did not deliver the calendar within "
            f"{self.limits.timeout_seconds:g} seconds. It may be overloaded or down; "
            "try again later.",
            field="url",
        )

    async def run(self, client: httpx.AsyncClient) -> bytes:
        redirects = 0
        while True:
            next_url = await self._request(client)
            if next_url is None:
                return self.body
            if redirects >= self.limits.max_redirects:
                raise InvalidInput(
                    f"The calendar address on {_place(self.url)} redirects more than "
                    f"{_times(self.limits.max_redirects)} (perhaps in a loop). Open it in a "
                    "browser and use the address it finally ends at.",
                    field="url",
                )
            redirects += 1
            self.url = next_url

    async def _request(self, client: httpx.AsyncClient) -> httpx.URL | None:
        """Request ``self.url``; return the redirect target, or None with ``self.body`` set."""
        place = _place(self.url)
        try:
            async with client.stream(
                "GET",
                self.url,
                headers=_REQUEST_HEADERS,
                follow_redirects=False,
                timeout=self.limits.timeout_seconds,
            ) as response:
                if response.status_code in _REDIRECT_STATUSES:
                    return self._redirect_target(response)
                _check_status(response, place)
                self.body = await _read_bounded(response, self.limits.max_bytes, place)
                return None
        except httpx.TimeoutException:
            raise self.timed_out() from None
        except httpx.InvalidURL:
            # httpx prepares the next request of every redirect, and gives up on a Location
            # such as "javascript:alert(1)" before the response reaches us.
            raise self._bad_redirect("an address that is not a web address") from None
        except httpx.RemoteProtocolError as exc:
            if "location header" in str(exc).lower():
                raise self._bad_redirect("an address that is not a web address") from None
            raise Unavailable(_broke_off(place), field="url") from exc
        except httpx.ConnectError as exc:
            raise Unavailable(_connect_problem(exc, place), field="url") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(_broke_off(place), field="url") from exc

    def _redirect_target(self, response: httpx.Response) -> httpx.URL:
        place = _place(self.url)
        location = response.headers.get("Location", "").strip()
        if not location:
            raise Unavailable(
                f"The calendar server {place} answered with a redirect "
                f"(HTTP {response.status_code}) but did not say where to.",
                field="url",
            )
        shown = location if len(location) <= 100 else location[:99] + "…"
        try:
            target = self.url.join(location)
            return httpx.URL(validate_calendar_url(str(target)))
        except (InvalidInput, httpx.InvalidURL):
            raise self._bad_redirect(f"“{shown}”") from None

    def _bad_redirect(self, target: str) -> InvalidInput:
        return InvalidInput(
            f"The calendar address on {_place(self.url)} redirects to {target}, which cannot "
            "be imported: only https:// and http:// addresses are allowed, also after a "
            "redirect. Ask the KiTa for the calendar's public iCal address.",
            field="url",
        )


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _broke_off(place: str) -> str:
    return (
        f"The connection to the calendar server {place} broke off while the calendar was "
        "being downloaded. Try again later."
    )


def _check_status(response: httpx.Response, place: str) -> None:
    status = response.status_code
    if status < 300:
        return
    what = f"HTTP {status}" + (f" {response.reason_phrase}" if response.reason_phrase else "")
    if status in (401, 403):
        advice = "the calendar is not public. Ask the KiTa for the public (shared) iCal address."
    elif status in (404, 410):
        advice = "there is no calendar at this address. Check the address with the KiTa."
    elif status >= 500:
        advice = "the server has a problem right now. Try again later."
    else:
        advice = "the calendar could not be downloaded. Check the address with the KiTa."
    raise Unavailable(f"The calendar server {place} answered “{what}”: {advice}", field="url")


def _too_large(place: str, max_bytes: int) -> InvalidInput:
    return InvalidInput(
        f"The file at this address on {place} is larger than {_size(max_bytes)}, far more than "
        "a closure calendar needs, so it was not imported. Check that the address points at "
        "the KiTa's closure calendar.",
        field="url",
    )


async def _read_bounded(response: httpx.Response, max_bytes: int, place: str) -> bytes:
    """Stream the body and stop as soon as it (or its decompressed form) exceeds max_bytes."""
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(place, max_bytes)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    decompressor: zlib._Decompress | None
    if encoding in ("", "identity"):
        decompressor = None
    elif encoding in ("gzip", "x-gzip"):
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decompressor = zlib.decompressobj()
    else:
        raise InvalidInput(
            f"The calendar server {place} sent the file compressed as “{encoding[:40]}”, "
            "which cannot be read.",
            field="url",
        )
    received = 0
    parts: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            received += len(raw)
            if received > max_bytes:
                raise _too_large(place, max_bytes)
            # Never inflate more than what is still allowed (plus one byte to notice excess).
            part = (
                raw if decompressor is None else decompressor.decompress(raw, max_bytes - size + 1)
            )
            size += len(part)
            if size > max_bytes:
                raise _too_large(place, max_bytes)
            parts.append(part)
        if decompressor is not None:
            tail = decompressor.flush()
            size += len(tail)
            if size > max_bytes:
                raise _too_large(place, max_bytes)
            parts.append(tail)
    except zlib.error:
        raise InvalidInput(
            f"The calendar server {place} sent a damaged compressed file.", field="url"
        ) from None
    return b"".join(parts)


def _connect_problem(exc: httpx.ConnectError, place: str) -> str:
    """Say why a connection could not be made, in words a coordinator understands."""
    cause: BaseException | None = exc
    seen = 0
    while cause is not None and seen < 10:
        if isinstance(cause, socket.gaierror):
            return (
                f"The calendar server {place} could not be found. Check the address for "
                "typing errors."
            )
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"The calendar server {place} refused the connection. Check the address; if it "
                "is right, the KiTa's calendar server may be down, so try again later."
            )
        if isinstance(cause, ssl.SSLError):
            return (
                f"A secure connection to the calendar server {place} could not be made (its "
                "certificate could not be verified)."
            )
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return f"The calendar server {place} could not be reached. Try again later."


# --------------------------------------------------------------------------------------------
# Reading the calendar


def parse_closures(
    data: bytes,
    *,
    window_start: date,
    window_end: date,
    limits: ParseLimits = ParseLimits(),
) -> list[ImportedClosure]:
    """Read the closures of an iCalendar file that touch ``[window_start, window_end]``.

    All-day events cover DTSTART up to the day before DTEND (DTEND is exclusive, RFC 5545);
    timed events cover every Europe/Berlin day they touch. Repeating events are expanded within
    the window only. Cancelled events and occurrences are left out. Closures are returned with
    their own dates (not clipped to the window), sorted by first day, without duplicates.
    """
    if window_end < window_start:
        raise InvalidInput("The end of the import period is before its start.", field="window_end")
    if (window_end - window_start).days + 1 > limits.max_window_days:
        raise InvalidInput(
            f"The import period may be at most {limits.max_window_days:,} days long.",
            field="window_end",
        )
    calendars = _read_calendars(data)  # bounded by the size of the download
    collector = _Collector(window_start, window_end, limits)  # the deadline starts here
    for calendar in calendars:
        events = [c for c in calendar.subcomponents if isinstance(c, icalendar.Event)]
        _check_events(events, limits)
        for recurring, group in _series_groups(events):
            _expand(calendar, group, recurring, collector)
    return collector.result()


def _not_icalendar(what: str) -> InvalidInput:
    return InvalidInput(
        f"The file at this address is not an iCalendar file: {what}. Use the address of the "
        "KiTa's calendar subscription (iCal/ICS, often ending in .ics), not the address of a "
        "web page.",
        field="url",
    )


def _read_calendars(data: bytes) -> list[icalendar.Calendar]:
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise _not_icalendar("it is empty")
    if text[:15].upper() != b"BEGIN:VCALENDAR":
        head = text[:1]
        if head == b"<":
            raise _not_icalendar("it looks like a web page (HTML)")
        if head in (b"{", b"["):
            raise _not_icalendar("it looks like JSON data")
        raise _not_icalendar("it does not start with BEGIN:VCALENDAR")
    try:
        components = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError, UnicodeError):
        raise _not_icalendar("it is incomplete or damaged and cannot be read") from None
    calendars = [c for c in components if isinstance(c, icalendar.Calendar)]
    if not calendars:  # e.g. cut off before END:VCALENDAR
        raise _not_icalendar("it is incomplete or damaged and cannot be read")
    return calendars


def _summary(component: icalendar.cal.Component) -> str:
    text = " ".join(str(component.get("SUMMARY", "")).split())
    if not text:
        return DEFAULT_REASON
    return text if len(text) <= MAX_REASON_LENGTH else text[: MAX_REASON_LENGTH - 1] + "…"


def _malformed(event: icalendar.cal.Component, problem: str) -> InvalidInput:
    return InvalidInput(
        f"The calendar cannot be imported: the event “{_summary(event)[:80]}” {problem}. "
        "Ask the KiTa to correct it in their calendar.",
        field="url",
    )


def _check_events(events: Sequence[icalendar.Event], limits: ParseLimits) -> None:
    """Refuse events that are malformed or whose repetition could not be expanded cheaply."""
    rules = 0
    extra_dates = 0
    for event in events:
        try:
            start = event.start
            end = event.end
        except (icalendar.InvalidCalendar, ValueError, KeyError, TypeError):
            raise _malformed(event, "has a missing or unreadable start or end") from None
        if _as_instant(end) < _as_instant(start):
            raise _malformed(event, "ends before it starts")
        for rdates in _as_list(event.get("RDATE")):
            extra_dates += len(getattr(rdates, "dts", ()))
        for rule in _as_list(event.get("RRULE")):
            rules += 1
            _check_rule(event, rule, limits)
    if rules > limits.max_recurrence_rules:
        raise InvalidInput(
            f"The calendar has {rules:,} repeating events; at most "
            f"{limits.max_recurrence_rules:,} can be imported. Check that the address points "
            "at the KiTa's closure calendar.",
            field="url",
        )
    if extra_dates > limits.max_occurrences:
        raise InvalidInput(
            f"The calendar lists {extra_dates:,} extra repetition dates; at most "
            f"{limits.max_occurrences:,} can be imported.",
            field="url",
        )


def _check_rule(event: icalendar.cal.Component, rule: object, limits: ParseLimits) -> None:
    if not isinstance(rule, icalendar.vRecur):
        raise _malformed(event, "has a repeat rule (RRULE) that cannot be read")
    frequency = str(_first(rule.get("FREQ")) or "").upper()
    if not frequency:
        raise _malformed(event, "has a repeat rule (RRULE) without a frequency")
    if frequency not in _ALLOWED_FREQUENCIES:
        raise _malformed(
            event,
            f"repeats {frequency.lower()}, more often than once a day, which is not a closure",
        )
    for name in _TIME_FILTERS:
        if len(_as_list(rule.get(name))) > 1:
            raise _malformed(event, "repeats several times a day, which is not a closure")
    if frequency in ("DAILY", "WEEKLY"):
        used = [name for name in _COARSE_FILTERS if rule.get(name)]
        ordinal_days = [d for d in _as_list(rule.get("BYDAY")) if str(d)[:1] in "+-0123456789"]
        if used or ordinal_days:
            raise _malformed(
                event,
                f"has a {frequency.lower()} repeat rule with monthly or yearly conditions "
                f"({', '.join(used) or 'BYDAY with a number'}), which is not supported",
            )
    _check_rule_values(event, rule, frequency, limits)


def _check_rule_values(
    event: icalendar.cal.Component, rule: icalendar.vRecur, frequency: str, limits: ParseLimits
) -> None:
    """Refuse, naming the rule, what the date library would loop on for ever (INTERVAL=0),
    search until the year 9999 for (a day that never comes), or expand without end."""

    def refuse(problem: str) -> InvalidInput:
        return _malformed(event, f"has the repeat rule {_rule_text(rule)}, which {problem}")

    numbers = {name: _rule_numbers(rule, name, refuse) for name in _NUMBERED_PARTS}
    interval = numbers["INTERVAL"]
    if interval and not (len(interval) == 1 and 1 <= interval[0] <= limits.max_interval):
        raise refuse(f"needs an INTERVAL from 1 to {limits.max_interval:,}")
    if rule.get("COUNT") and rule.get("UNTIL"):
        raise refuse("ends both after a number of times (COUNT) and on a date (UNTIL)")
    count = numbers["COUNT"]
    if count and not (len(count) == 1 and 1 <= count[0] <= limits.max_count):
        raise refuse(f"needs a COUNT from 1 to {limits.max_count:,}")
    for name, (low, high) in _PART_RANGES.items():
        if any(not low <= abs(n) <= high or (n < 0 and name == "BYMONTH") for n in numbers[name]):
            raise refuse(f"has a {name} outside {low} to {high}")
    ordinals = [_ordinal(day, refuse) for day in _as_list(rule.get("BYDAY"))]
    most = 5 if frequency == "MONTHLY" or numbers["BYMONTH"] else 53
    if any(n is not None and not 1 <= abs(n) <= most for n in ordinals):
        raise refuse(f"has a BYDAY with a number outside 1 to {most}")
    months = set(numbers["BYMONTH"]) or set(range(1, 13))
    if numbers["BYMONTHDAY"] and not any(
        abs(day) <= _LONGEST_MONTH[month] for day in numbers["BYMONTHDAY"] for month in months
    ):
        raise refuse("names a day that no month of it has, so it never comes")
    if (
        numbers["BYYEARDAY"]
        and numbers["BYMONTH"]
        and not any(
            month in _months_of_year_day(day) for day in numbers["BYYEARDAY"] for month in months
        )
    ):
        raise refuse("names a day of the year that lies in none of its months, so it never comes")
    if (
        numbers["BYWEEKNO"]
        and numbers["BYMONTH"]
        and not any(
            month in _months_of_week(week) for week in numbers["BYWEEKNO"] for month in months
        )
    ):
        raise refuse("names a week that lies in none of its months, so it never comes")


#: The parts of a rule that hold whole numbers, and the range each number must lie in
#: (negative numbers count from the end; a month has no such form).
_NUMBERED_PARTS: Final = (
    "INTERVAL",
    "COUNT",
    "BYMONTH",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYSETPOS",
)
_PART_RANGES: Final = {
    "BYMONTH": (1, 12),
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYSETPOS": (1, 366),
}
#: Days of each month in a leap year (the most a month can have).
_LONGEST_MONTH: Final = {month: monthrange(2024, month)[1] for month in range(1, 13)}
_ORDINAL_DAY = re.compile(r"([+-]?\d+)?(MO|TU|WE|TH|FR|SA|SU)")


def _rule_text(rule: icalendar.vRecur) -> str:
    """The rule as written in the calendar, shortened for a message."""
    text = "RRULE:" + rule.to_ical().decode("utf-8", "replace")  # type: ignore[no-untyped-call]
    return f"“{text if len(text) <= 120 else text[:119] + '…'}”"


def _rule_numbers(
    rule: icalendar.vRecur, name: str, refuse: Callable[[str], InvalidInput]
) -> list[int]:
    numbers = []
    for value in _as_list(rule.get(name)):
        try:
            numbers.append(int(value))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise refuse(f"has a {name} that is not a whole number") from None
        if numbers[-1] == 0 and name != "INTERVAL" and name != "COUNT":
            raise refuse(f"has a {name} of 0")
    return numbers


def _ordinal(day: object, refuse: Callable[[str], InvalidInput]) -> int | None:
    """The number of a BYDAY entry ("-1FR" -> -1, "MO" -> None)."""
    match = _ORDINAL_DAY.fullmatch(str(day).strip().upper())
    if match is None:
        raise refuse(f"has a BYDAY “{str(day)[:20]}” that is not a weekday")
    if match[1] is None:
        return None
    if int(match[1]) == 0:
        raise refuse("has a BYDAY with the number 0")
    return int(match[1])


@functools.cache
def _months_of_year_day(day: int) -> frozenset[int]:
    """The months a day of the year (1..366, or counted from the end) falls in, in common
    and leap years."""
    months: set[int] = set()
    for year in (2023, 2024):
        length = 366 if year == 2024 else 365
        number = day if day > 0 else length + day + 1
        if 1 <= number <= length:
            months.add((date(year, 1, 1) + timedelta(days=number - 1)).month)
    return frozenset(months)


@functools.cache
def _months_of_week(week: int) -> frozenset[int]:
    """The months the days of an ISO week number (or counted from the end) fall in, over a
    28-year cycle (every pattern of weekdays and leap years)."""
    months: set[int] = set()
    for year in range(2001, 2029):
        weeks = date(year, 12, 28).isocalendar().week
        number = week if week > 0 else weeks + week + 1
        if 1 <= number <= weeks:
            monday = date.fromisocalendar(year, number, 1)
            months.update((monday + timedelta(days=d)).month for d in range(7))
    return frozenset(months)


def _first(values: object) -> object:
    listed = _as_list(values)
    return listed[0] if listed else None


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return [value]


def _as_instant(value: date | datetime) -> datetime:
    """A comparable instant: dates are midnight in Berlin, floating times are Berlin time."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=BERLIN)
    return datetime.combine(value, clock_time(), BERLIN)


def _is_recurring(event: icalendar.cal.Component) -> bool:
    return any(name in event for name in ("RRULE", "RDATE", "RECURRENCE-ID"))


def _series_groups(
    events: Sequence[icalendar.Event],
) -> Iterator[tuple[bool, list[icalendar.Event]]]:
    """Each repeating series (all VEVENTs of its UID) alone, then all single events together.

    Expanding series one by one lets the deadline be checked between them.
    """
    recurring_uids = {str(e.get("UID", "")) for e in events if _is_recurring(e) and "UID" in e}
    series: dict[str, list[icalendar.Event]] = {}
    singles: list[icalendar.Event] = []
    for event in events:
        uid = str(event.get("UID", ""))
        if "UID" in event and uid in recurring_uids:
            series.setdefault(uid, []).append(event)
        elif _is_recurring(event):  # a repeating event without UID is a series of its own
            series[f"#{len(series)}"] = [event]
        else:
            singles.append(event)
    for group in series.values():
        yield True, group
    if singles:
        yield False, singles


def _expand(
    calendar: icalendar.Calendar,
    group: list[icalendar.Event],
    recurring: bool,
    collector: _Collector,
) -> None:
    part = icalendar.Calendar()
    for name, value in calendar.items():
        part[name] = value
    for component in calendar.subcomponents:
        if component.name == "VTIMEZONE":
            part.add_component(component)
    for event in group:
        part.add_component(event)
    # Pad by a day on each side: timed events are placed on Berlin days below.
    chunk_start = collector.window_start - timedelta(days=1)
    stop = collector.window_end + timedelta(days=2)
    try:
        query = recurring_ical_events.of(part)
        while chunk_start < stop:
            collector.check_time()
            # Single events cannot multiply, so they are read in one go.
            chunk_end = min(chunk_start + _CHUNK, stop) if recurring else stop
            for occurrence in query.between(chunk_start, chunk_end):
                collector.add(occurrence, recurring)
            chunk_start = chunk_end
    except (InvalidInput, Unavailable):
        raise
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise _malformed(group[0], "has dates or a repeat rule that cannot be read") from exc


class _Collector:
    """Gathers closures in the window, enforcing the occurrence cap and the deadline."""

    def __init__(self, window_start: date, window_end: date, limits: ParseLimits) -> None:
        self.window_start = window_start
        self.window_end = window_end
        self.limits = limits
        self.deadline = time.monotonic() + limits.max_seconds
        self.by_key: dict[str, ImportedClosure] = {}

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _too_complex(self.limits)

    def add(self, occurrence: icalendar.cal.Component, recurring: bool) -> None:
        if str(occurrence.get("STATUS", "")).strip().upper() == "CANCELLED":
            return
        first_day, last_day = _days(occurrence.decoded("DTSTART"), _end_of(occurrence))
        if last_day < self.window_start or first_day > self.window_end:
            return
        reason = _summary(occurrence)
        key = _source_uid(occurrence, recurring, first_day, last_day, reason)
        if key in self.by_key:
            return
        self.by_key[key] = ImportedClosure(first_day, last_day, reason, key)
        if len(self.by_key) > self.limits.max_occurrences:
            raise InvalidInput(
                f"The calendar has more than {self.limits.max_occurrences:,} closures between "
                f"{self.window_start.isoformat()} and {self.window_end.isoformat()}, more than "
                "a KiTa can have. Check that the address points at the KiTa's closure calendar "
                "and that its repeating events end.",
                field="url",
            )

    def result(self) -> list[ImportedClosure]:
        # The same days with the same reason under two UIDs (a copied event) count once: the
        # one read first wins, so re-importing the same file gives the same result.
        unique: dict[tuple[date, date, str], ImportedClosure] = {}
        for closure in self.by_key.values():
            unique.setdefault((closure.first_day, closure.last_day, closure.reason), closure)
        return sorted(
            unique.values(), key=lambda c: (c.first_day, c.last_day, c.reason, c.source_uid)
        )


def _too_complex(limits: ParseLimits) -> InvalidInput:
    return InvalidInput(
        f"The calendar is too complex to be read within {limits.max_seconds:g} seconds. "
        "Check that the address points at the KiTa's closure calendar.",
        field="url",
    )


def _end_of(occurrence: icalendar.cal.Component) -> date | datetime:
    end: date | datetime = occurrence.decoded("DTEND" if "DTEND" in occurrence else "DTSTART")
    return end


def _local(value: datetime) -> datetime:
    return value.astimezone(BERLIN) if value.tzinfo is not None else value.replace(tzinfo=BERLIN)


def _days(start: date | datetime, end: date | datetime) -> tuple[date, date]:
    """The inclusive Berlin days an event covers."""
    if isinstance(start, datetime):
        begins = _local(start)
        ends = _local(end) if isinstance(end, datetime) else _as_instant(end)
        if ends <= begins:
            return begins.date(), begins.date()
        # An event ending at midnight does not touch the following day.
        return begins.date(), (ends - timedelta(microseconds=1)).date()
    end_day = _local(end).date() if isinstance(end, datetime) else end
    if end_day <= start:
        return start, start
    return start, end_day - timedelta(days=1)  # DTEND of an all-day event is exclusive


def _source_uid(
    occurrence: icalendar.cal.Component,
    recurring: bool,
    first_day: date,
    last_day: date,
    reason: str,
) -> str:
    uid = str(occurrence.get("UID", "")).strip()
    if not uid:
        digest = hashlib.sha256(f"{first_day}|{last_day}|{reason}".encode()).hexdigest()
        uid = f"no-uid-{digest[:32]}"
    key = uid
    if recurring:
        recurrence_id = occurrence.get("RECURRENCE-ID")
        original: date | datetime = (
            recurrence_id.dt if recurrence_id is not None else occurrence.decoded("DTSTART")
        )
        day = _local(original).date() if isinstance(original, datetime) else original
        key = f"{uid}#{day.isoformat()}"
    if len(key) > MAX_SOURCE_UID_LENGTH:
        key = "sha256-" + hashlib.sha256(key.encode()).hexdigest()
    return key


# --------------------------------------------------------------------------------------------
# Both together


async def import_closures(
    url: str,
    *,
    window_start: date,
    window_end: date,
    limits: FetchLimits = FetchLimits(),
    client: httpx.AsyncClient | None = None,
    parse_limits: ParseLimits = ParseLimits(),
) -> list[ImportedClosure]:
    """Download the calendar at ``url`` and read its closures in the window.

    Reading runs in a helper process with hard limits (:func:`parse_closures_bounded`),
    waited for in a worker thread, so that no calendar can hold up the event loop or the
    server.
    """
    data = await fetch_calendar(url, limits=limits, client=client)
    return await asyncio.to_thread(
        parse_closures_bounded,
        data,
        window_start=window_start,
        window_end=window_end,
        limits=parse_limits,
    )


# --------------------------------------------------------------------------------------------
# The helper process
#
# The checks above refuse every repeat rule known to make the date library loop or search
# until the year 9999, and the expansion checks its deadline between steps. But a single step
# runs inside the library, and the file comes from anywhere: so a downloaded calendar is read
# in a process of its own, which limits its own memory and CPU time before it reads anything,
# and which is killed when it has not answered within ``max_seconds + start_seconds``.

#: This module, run by ``python -m`` as the helper.
_HELPER_MODULE: Final = "programmes.domain.planning.closure_import"
#: Where the ``programmes`` package lives, for the helper's import path.
_SOURCE_ROOT: Final = str(Path(__file__).resolve().parents[3])


class _Job(msgspec.Struct, frozen=True):
    data: bytes
    window_start: date
    window_end: date
    limits: ParseLimits


class _Outcome(msgspec.Struct, frozen=True):
    closures: list[ImportedClosure] = msgspec.field(default_factory=list)
    refusal: str | None = None  # the message of an InvalidInput
    field: str | None = None


def parse_closures_bounded(
    data: bytes,
    *,
    window_start: date,
    window_end: date,
    limits: ParseLimits = ParseLimits(),
) -> list[ImportedClosure]:
    """:func:`parse_closures` in a helper process: at most ``limits.max_memory_bytes`` of
    memory, killed after ``limits.max_seconds + limits.start_seconds`` (wall clock and CPU).
    Blocks the calling thread until then."""
    job = msgspec.msgpack.encode(_Job(data, window_start, window_end, limits))
    try:
        finished = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-P", "-m", _HELPER_MODULE],
            input=job,
            capture_output=True,
            timeout=limits.max_seconds + limits.start_seconds,
            env={"PYTHONPATH": _helper_path()},  # nothing else: no settings, no secrets
            check=False,
        )
    except subprocess.TimeoutExpired:  # the helper is killed (SIGKILL) by now
        raise _too_complex(limits) from None
    if finished.returncode != 0:  # over its CPU time (SIGXCPU) or memory, or it crashed
        log.warning("calendar reader ended with status %s", finished.returncode)
        raise _beyond_limits(limits)
    try:
        outcome = msgspec.msgpack.decode(finished.stdout, type=_Outcome)
    except msgspec.DecodeError:
        log.warning("calendar reader answered something unreadable")
        raise _beyond_limits(limits) from None
    if outcome.refusal is not None:
        raise InvalidInput(outcome.refusal, field=outcome.field or "url")
    return outcome.closures


def _helper_path() -> str:
    inherited = os.environ.get("PYTHONPATH", "")
    return _SOURCE_ROOT + (os.pathsep + inherited if inherited else "")


def _beyond_limits(limits: ParseLimits) -> InvalidInput:
    return InvalidInput(
        f"The calendar cannot be read within {limits.max_seconds:g} seconds and "
        f"{_size(limits.max_memory_bytes)} of memory. Check that the address points at the "
        "KiTa's closure calendar.",
        field="url",
    )


def _limit_resources(limits: ParseLimits) -> None:
    """The helper's own hard limits, set before it reads the calendar: address space, and
    CPU seconds (the kernel ends it with SIGXCPU, then SIGKILL a second later). Limits that
    are already lower stay."""
    cpu = math.ceil(limits.max_seconds + limits.start_seconds)
    for kind, soft, hard in (
        (resource.RLIMIT_AS, limits.max_memory_bytes, limits.max_memory_bytes),
        (resource.RLIMIT_CPU, cpu, cpu + 1),
    ):
        _, current = resource.getrlimit(kind)
        if current != resource.RLIM_INFINITY:
            soft, hard = min(soft, current), min(hard, current)
        resource.setrlimit(kind, (soft, hard))


def _helper_main() -> None:
    """The helper: a job on stdin, its outcome on stdout (both msgpack)."""
    job = msgspec.msgpack.decode(sys.stdin.buffer.read(), type=_Job)
    _limit_resources(job.limits)
    try:
        outcome = _Outcome(
            closures=parse_closures(
                job.data,
                window_start=job.window_start,
                window_end=job.window_end,
                limits=job.limits,
            )
        )
    except InvalidInput as error:
        outcome = _Outcome(refusal=error.message, field=error.field)
    except MemoryError:
        outcome = _Outcome(refusal=_beyond_limits(job.limits).message, field="url")
    sys.stdout.buffer.write(msgspec.msgpack.encode(outcome))


if __name__ == "__main__":
    _helper_main()
