"""Render calendar feeds (iCalendar, RFC 5545) as bytes: pure functions, no database, no web.

Why it is shaped like this
--------------------------
* **Per-event rendering, for caching.** The ``icalendar`` library is the only writer of
  properties here, but it is slow (about 0.2 s per 1,000 events), far too slow for the request
  path. So :func:`render_event` turns *one* session into the bytes of one ``VEVENT`` block. A
  caller caches those bytes keyed by ``(session_id, sequence, updated_at)`` and re-renders only
  what changed; :func:`render_calendar` then splices cached blocks into a ``VCALENDAR`` envelope
  with a byte join, which costs next to nothing. :func:`render_feed` is the cold path (render
  every event, then assemble) and is guaranteed to give the same bytes as the cached path.
* **Determinism, for ETags.** Same input, same bytes: nothing reads the clock ("now" never
  appears; ``DTSTAMP`` and ``LAST-MODIFIED`` come from ``updated_at``), properties are written
  in a fixed order, and the ``VTIMEZONE`` is a fixed definition of Europe/Berlin built from
  icalendar's component classes (EU rules: summer time from the last Sunday of March, standard
  time from the last Sunday of October) rather than derived from whichever tzdata is installed.
  A strong ETag can therefore be a hash of the body, and workers agree on it.

Text normalisation (SUMMARY, LOCATION, DESCRIPTION, CATEGORIES, calendar name)
------------------------------------------------------------------------------
Applied by :func:`normalise_text` before icalendar escapes the value:

1. CR LF and a lone CR become LF. iCalendar has one escape for a line break (``\\n``) and no
   way to carry a lone CR distinctly, so every line break is written, and read back, as LF.
2. NUL and the other control characters that RFC 5545 forbids in TEXT values (U+0000-U+0008,
   U+000B-U+001F, U+007F) are removed. TAB and LF are kept.
3. Lone surrogates (not encodable as UTF-8) become U+FFFD.

Everything else, including ``;``, ``,``, ``\\``, ``:``, right-to-left scripts, emoji and
combining marks, round-trips exactly. Datetimes are written to the second (microseconds are
dropped).

One deliberate deviation from icalendar's own escaping: ``vText`` turns the two characters
``\\N`` in *input* text into a line break (it treats them as a "newline marker"), which would
corrupt text such as ``C:\\Nutzer``. :class:`_Text` is a ``vText`` whose escaping omits that
step and is otherwise identical; icalendar still writes, parameterises and folds every line.

Line folding is icalendar's: lines of at most 75 octets, split between characters (never
inside a UTF-8 sequence), CRLF line ends. The tests check this on every output.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard
from icalendar.prop import vCategory, vDuration, vRecur, vText, vUri

from programmes.clock import BERLIN

__all__ = [
    "BERLIN",
    "MAX_REMINDER",
    "PRODID",
    "REFRESH",
    "TZID",
    "CalendarInfo",
    "FeedEvent",
    "Geo",
    "event_uid",
    "normalise_text",
    "render_calendar",
    "render_event",
    "render_feed",
]

TZID: Final = BERLIN.key
PRODID: Final = "-//programmes//Haus der Kulturen//DE"
REFRESH: Final = timedelta(hours=1)

#: The earliest reminder a private feed may carry (`FeedEvent.alarm`): a week before.
MAX_REMINDER: Final = timedelta(days=7)
#: RFC 7986 COLOR: a CSS3 colour name.
_COLOR: Final = re.compile(r"[a-z]{3,30}")
_MAX_SEQUENCE: Final = 2**31 - 1  # RFC 5545 INTEGER is a signed 32-bit value
_EVENT_BEGIN: Final = b"BEGIN:VEVENT\r\n"
_EVENT_END: Final = b"END:VEVENT\r\n"
_CALENDAR_END: Final = b"END:VCALENDAR\r\n"

# Anything that normalise_text changes: CR, forbidden controls (NUL included), lone surrogates.
_NEEDS_CLEANING: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")
_CONTROLS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATES: Final = re.compile(r"[\ud800-\udfff]")
# A host name (or IPv4 / bracketed IPv6 literal) with an optional port; nothing that could
# smuggle a delimiter into the UID.
_HOST: Final = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?|\[[0-9a-f:.]{2,45}\])(?::[0-9]{1,5})?"
)
# A URI value is written verbatim (no TEXT escaping), so refuse whitespace and controls.
_URL: Final = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f]+")


def normalise_text(text: str) -> str:
    """Return ``text`` as it will be written (and read back) in a TEXT property.

    See the module docstring for the rules: line breaks become LF, forbidden control characters
    (NUL included) are removed, lone surrogates become U+FFFD.
    """
    if _NEEDS_CLEANING.search(text) is None:
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub("", text)
    return _SURROGATES.sub("\ufffd", text)


class _Text(vText):
    """A TEXT value escaped exactly per RFC 5545 section 3.3.11.

    icalendar's ``vText`` first rewrites a literal ``\\N`` in the input to a line break; this
    subclass does not, so a backslash followed by ``N`` survives. The value must already be
    normalised (no CR, no controls).
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        return (
            self.replace("\\", "\\\\")
            .replace(";", "\\;")
            .replace(",", "\\,")
            .replace("\n", "\\n")
            .encode("utf-8")
        )


def _text(value: str) -> _Text:
    return _Text(normalise_text(value))


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


_PARAM_UNSAFE: Final = re.compile(r'["\x00-\x1f\x7f]')


def _param_text(text: str) -> str:
    """A parameter value: no line breaks, controls or double quotes (RFC 5545 has no escape
    for them there; a quote becomes an apostrophe, the rest a space)."""
    return _PARAM_UNSAFE.sub(lambda m: "'" if m.group() == '"' else " ", normalise_text(text))


@dataclass(frozen=True, slots=True)
class Geo:
    """Where a session takes place, when its coordinates are known: written as ``GEO`` and
    as Apple's ``X-APPLE-STRUCTURED-LOCATION`` (Apple Calendar shows a map and travel
    time from it; ``title`` is the place's name, ``address`` its street, postcode and town).
    Coordinates in degrees (WGS 84), written to six decimals (about 10 cm)."""

    latitude: float
    longitude: float
    title: str = ""
    address: str = ""

    def __post_init__(self) -> None:
        if not -90 <= self.latitude <= 90:
            raise ValueError("latitude must be between -90 and 90")
        if not -180 <= self.longitude <= 180:
            raise ValueError("longitude must be between -180 and 180")

    @property
    def uri(self) -> str:
        return f"geo:{self.latitude:.6f},{self.longitude:.6f}"


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One session as it appears in a feed. Validated on construction.

    Datetimes must be aware (any time zone); ``starts_at``/``ends_at`` are written as
    Europe/Berlin wall time, ``updated_at`` as UTC (``DTSTAMP`` and ``LAST-MODIFIED``).
    ``url`` is written verbatim, so it must be an http(s) URL without whitespace or controls;
    ``None`` writes no URL at all. Text fields are normalised when rendered, never refused.
    """

    session_id: int
    sequence: int
    cancelled: bool
    starts_at: datetime
    ends_at: datetime
    updated_at: datetime
    summary: str
    location: str
    description: str
    url: str | None
    category: str
    #: TRANSP: public feeds show dates people may attend, not time they are busy.
    transparent: bool = False
    #: A reminder this long before the start (VALARM), 0 to `MAX_REMINDER`; None: none.
    alarm: timedelta | None = None
    #: The place's coordinates, when known (GEO, X-APPLE-STRUCTURED-LOCATION).
    geo: Geo | None = None

    def __post_init__(self) -> None:
        if self.session_id < 1:
            raise ValueError("session_id must be positive")
        if not 0 <= self.sequence <= _MAX_SEQUENCE:
            raise ValueError("sequence must be between 0 and 2**31 - 1")
        _require_aware("starts_at", self.starts_at)
        _require_aware("ends_at", self.ends_at)
        _require_aware("updated_at", self.updated_at)
        if self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        if self.url is not None and _URL.fullmatch(self.url) is None:
            raise ValueError("url must be an http(s) URL without whitespace or control characters")
        if self.alarm is not None and not timedelta(0) <= self.alarm <= MAX_REMINDER:
            raise ValueError("alarm must be between 0 and a week")


def event_uid(session_id: int, host: str) -> str:
    """The UID of a session's event, ``session-<id>@<host>``; stable for the session's life.

    ``host`` is lower-cased and must be a plain host name (optionally with a port).
    """
    host = host.lower()
    if session_id < 1:
        raise ValueError("session_id must be positive")
    if _HOST.fullmatch(host) is None:
        raise ValueError("host must be a plain host name")
    return f"session-{session_id}@{host}"


def render_event(event: FeedEvent, *, host: str) -> bytes:
    """Render one ``VEVENT`` block: ``b"BEGIN:VEVENT\\r\\n...END:VEVENT\\r\\n"``.

    The bytes depend only on ``event`` and ``host``, so they can be cached under
    ``(session_id, sequence, updated_at)`` and spliced by :func:`render_calendar`.
    """
    updated = event.updated_at.astimezone(UTC).replace(microsecond=0)
    category = vCategory([])
    category.cats = [_text(event.category)]

    component = Event()
    component.add("UID", _Text(event_uid(event.session_id, host)))
    component.add("SEQUENCE", event.sequence)
    component.add("STATUS", _Text("CANCELLED" if event.cancelled else "CONFIRMED"))
    component.add("DTSTAMP", updated)
    component.add("LAST-MODIFIED", updated)
    component.add("DTSTART", event.starts_at.astimezone(BERLIN).replace(microsecond=0))
    component.add("DTEND", event.ends_at.astimezone(BERLIN).replace(microsecond=0))
    component.add("SUMMARY", _text(event.summary))
    component.add("LOCATION", _text(event.location))
    if event.geo is not None:
        component.add("GEO", (round(event.geo.latitude, 6), round(event.geo.longitude, 6)))
        params = {"VALUE": "URI", "X-APPLE-RADIUS": "70"}
        if event.geo.address:
            params["X-ADDRESS"] = _param_text(event.geo.address)
        if event.geo.title:
            params["X-TITLE"] = _param_text(event.geo.title)
        component.add("X-APPLE-STRUCTURED-LOCATION", vUri(event.geo.uri, params=params))
    component.add("DESCRIPTION", _text(event.description))
    if event.url is not None:
        component.add("URL", event.url)
    component.add("CATEGORIES", category)
    component.add("TRANSP", _Text("TRANSPARENT" if event.transparent else "OPAQUE"))
    if event.alarm is not None:
        alarm = Alarm()
        alarm.add("ACTION", _Text("DISPLAY"))
        alarm.add("TRIGGER", -event.alarm if event.alarm else timedelta(0))
        alarm.add("DESCRIPTION", _text(event.summary))
        component.add_component(alarm)
    block: bytes = component.to_ical(sorted=False)
    return block


def _berlin_timezone() -> Timezone:
    """Europe/Berlin with the EU rules since 1996, as a fixed ``VTIMEZONE``."""
    daylight = TimezoneDaylight()
    daylight.add("TZNAME", "CEST")
    daylight.add("TZOFFSETFROM", timedelta(hours=1))
    daylight.add("TZOFFSETTO", timedelta(hours=2))
    # Floating local time, as RFC 5545 requires for DTSTART inside a VTIMEZONE.
    daylight.add("DTSTART", datetime(1970, 3, 29, 2, 0, 0))  # noqa: DTZ001
    daylight.add("RRULE", vRecur(freq="YEARLY", bymonth=3, byday="-1SU"))

    standard = TimezoneStandard()
    standard.add("TZNAME", "CET")
    standard.add("TZOFFSETFROM", timedelta(hours=2))
    standard.add("TZOFFSETTO", timedelta(hours=1))
    standard.add("DTSTART", datetime(1970, 10, 25, 3, 0, 0))  # noqa: DTZ001
    standard.add("RRULE", vRecur(freq="YEARLY", bymonth=10, byday="-1SU"))

    tz = Timezone()
    tz.add("TZID", TZID)
    tz.add_component(daylight)
    tz.add_component(standard)
    return tz


@dataclass(frozen=True, slots=True)
class CalendarInfo:
    """What a calendar says about itself (RFC 7986, and the X-WR- names older apps read).

    ``color`` is a CSS3 colour name (``COLOR``); ``source`` the feed's own http(s) address
    (``SOURCE``: where a calendar app fetches it again)."""

    name: str
    description: str = ""
    color: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        if self.color is not None and _COLOR.fullmatch(self.color) is None:
            raise ValueError("color must be a CSS3 colour name")
        if self.source is not None and _URL.fullmatch(self.source) is None:
            raise ValueError("source must be an http(s) URL without whitespace or controls")


@functools.lru_cache(maxsize=256)
def _calendar_head(info: CalendarInfo, method_publish: bool) -> bytes:
    """Everything of the calendar before its events (cached: it depends on two values).

    No ``METHOD`` by default: a feed is not an iTIP message (RFC 5546), and ``PUBLISH``
    would require an ``ORGANIZER`` on every event, which makes Outlook treat an entry as a
    meeting invitation to answer (docs/calendars.md)."""
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", PRODID)
    calendar.add("CALSCALE", "GREGORIAN")
    if method_publish:
        calendar.add("METHOD", "PUBLISH")
    # icalendar does not escape X- properties unless they are given as TEXT values.
    calendar.add("NAME", _text(info.name))
    calendar.add("X-WR-CALNAME", _text(info.name))
    if info.description:
        calendar.add("DESCRIPTION", _text(info.description))
        calendar.add("X-WR-CALDESC", _text(info.description))
    if info.color is not None:
        calendar.add("COLOR", _Text(info.color))
    if info.source is not None:
        calendar.add("SOURCE", vUri(info.source, params={"VALUE": "URI"}))
    calendar.add("X-WR-TIMEZONE", _Text(TZID))
    calendar.add("REFRESH-INTERVAL", vDuration(REFRESH, params={"VALUE": "DURATION"}))
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    calendar.add_component(_berlin_timezone())
    whole: bytes = calendar.to_ical(sorted=False)
    if not whole.endswith(_CALENDAR_END):  # pragma: no cover - icalendar contract
        raise RuntimeError("unexpected calendar serialisation")
    return whole[: -len(_CALENDAR_END)]


def render_calendar(
    *, name: str | CalendarInfo, events: Iterable[bytes], method_publish: bool = False
) -> bytes:
    """Assemble a ``VCALENDAR`` from event blocks made by :func:`render_event`.

    The blocks are spliced in, in the given order, after the ``VTIMEZONE`` and before
    ``END:VCALENDAR``. Each must be a whole ``VEVENT`` block (checked cheaply).
    """
    info = name if isinstance(name, CalendarInfo) else CalendarInfo(name)
    parts = [_calendar_head(info, method_publish)]
    for block in events:
        if not (block.startswith(_EVENT_BEGIN) and block.endswith(_EVENT_END)):
            raise ValueError("event blocks must come from render_event")
        parts.append(block)
    parts.append(_CALENDAR_END)
    return b"".join(parts)


def render_feed(*, name: str | CalendarInfo, events: Sequence[FeedEvent], host: str) -> bytes:
    """Render every event and assemble the calendar (the cold path, without a cache)."""
    return render_calendar(name=name, events=[render_event(e, host=host) for e in events])
