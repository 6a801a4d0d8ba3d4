"""Tests for the calendar feed renderer (programmes.ical).

Golden files live in tests/unit/golden/; regenerate them after a deliberate change with
``UPDATE_GOLDEN=1 pytest tests/unit/test_ical.py`` and review the diff.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event
from icalendar.prop import vText

from programmes.clock import BERLIN
from programmes.ical import (
    PRODID,
    FeedEvent,
    _Text,
    event_uid,
    normalise_text,
    render_calendar,
    render_event,
    render_feed,
)

GOLDEN = Path(__file__).parent / "golden"
HOST = "programmes.example.org"

EVENT_PROPS = {
    "UID",
    "SEQUENCE",
    "STATUS",
    "DTSTAMP",
    "LAST-MODIFIED",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "URL",
    "CATEGORIES",
    "TRANSP",
}
CALENDAR_PROPS = {
    "VERSION",
    "PRODID",
    "CALSCALE",
    "METHOD",
    "NAME",
    "X-WR-CALNAME",
    "X-WR-TIMEZONE",
    "REFRESH-INTERVAL",
    "X-PUBLISHED-TTL",
}

HOSTILE = [
    "line\rbreak",
    "line\nbreak",
    "line\r\nbreak",
    "semi;colon",
    "com,ma",
    "back\\slash",
    "co:lon",
    "END:VEVENT\r\nBEGIN:VEVENT",
    "X\r\nX-EVIL:1",
    "\r\nX-EVIL:1\r\n",
    "X-EVIL:1",
    "C:\\Nutzer\\new\\N\\n",  # literal backslash-N / backslash-n, not line breaks
    "\\;\\,\\\\",
    "BEGIN:VCALENDAR\nEND:VCALENDAR",
    "DTSTART;TZID=Europe/Berlin:20000101T000000",
    '"quoted" <tag> &amp;',
    "مرحبا بكم في ورشة العمل",  # Arabic
    "ברוכים הבאים לסדנה",  # Hebrew
    "Добро пожаловать на семинар",  # Cyrillic
    "İstanbul ılık Şubat ğ",  # Turkish
    "👩‍👩‍👧‍👦 🇩🇪 😀 family",  # emoji, ZWJ sequence, flag
    "e\u0301 a\u0308 n\u0303 \u0915\u094d\u0937",  # combining marks, Devanagari conjunct
    " leading and trailing spaces ",
    "tab\there",
    "",
    "\u2028line separator\u2029paragraph\x85next line",
    "x" * 73 + "😀" * 40 + "ü" * 40,
]


# --------------------------------------------------------------------------------------------
# helpers


def make_event(**overrides: Any) -> FeedEvent:
    values: dict[str, Any] = {
        "session_id": 42,
        "sequence": 0,
        "cancelled": False,
        "starts_at": datetime(2025, 7, 15, 7, 0, tzinfo=UTC),  # 09:00 in Berlin (CEST)
        "ends_at": datetime(2025, 7, 15, 9, 30, tzinfo=UTC),
        "updated_at": datetime(2025, 6, 1, 10, 11, 12, tzinfo=UTC),
        "summary": "Elternkurs: Sprache im Alltag",
        "location": "Haus der Kulturen, Raum 2",
        "description": "Thema: Einkaufen",
        "url": f"https://{HOST}/sessions/42",
        "category": "Training",
    }
    values.update(overrides)
    return FeedEvent(**values)


def expected_text(text: str) -> str:
    """Independent statement of the documented normalisation."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for char in text:
        code = ord(char)
        if (code < 0x20 and char not in "\t\n") or code == 0x7F:
            continue
        out.append("\ufffd" if 0xD800 <= code <= 0xDFFF else char)
    return "".join(out)


def unescape_text(raw: str) -> str:
    """RFC 5545 TEXT unescaping, left to right (for X- properties icalendar leaves raw)."""
    out = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append("\n" if nxt in "nN" and nxt else nxt)
        else:
            out.append(char)
    return "".join(out)


def assert_wellformed(data: bytes) -> None:
    """CRLF line ends, at most 75 octets a line, no UTF-8 sequence split by a fold, no NUL."""
    assert data.endswith(b"\r\n")
    assert b"\x00" not in data
    without_crlf = data.replace(b"\r\n", b"")
    assert b"\r" not in without_crlf, "bare CR"
    assert b"\n" not in without_crlf, "bare LF"
    lines = data.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a fold split a multi-byte character


def parse(data: bytes) -> Calendar:
    calendar = Calendar.from_ical(data)
    assert isinstance(calendar, Calendar)
    return calendar


def events_of(calendar: Calendar) -> list[Event]:
    return calendar.events


def structure(calendar: Calendar) -> list[tuple[str | None, frozenset[str]]]:
    return [(c.name, frozenset(c.keys())) for c in calendar.walk()]


def expected_structure(n_events: int, *, method: bool = False) -> list[tuple[str, frozenset[str]]]:
    cal_props = CALENDAR_PROPS if method else CALENDAR_PROPS - {"METHOD"}
    tz_rule = frozenset({"TZNAME", "TZOFFSETFROM", "TZOFFSETTO", "DTSTART", "RRULE"})
    return [
        ("VCALENDAR", frozenset(cal_props)),
        ("VTIMEZONE", frozenset({"TZID"})),
        ("DAYLIGHT", tz_rule),
        ("STANDARD", tz_rule),
        *[("VEVENT", frozenset(EVENT_PROPS))] * n_events,
    ]


def sample_events() -> list[FeedEvent]:
    return [
        make_event(),
        make_event(
            session_id=43,
            sequence=3,
            cancelled=True,
            starts_at=datetime(2025, 12, 9, 8, 0, tzinfo=UTC),  # 09:00 in Berlin (CET)
            ends_at=datetime(2025, 12, 9, 10, 0, tzinfo=UTC),
            updated_at=datetime(2025, 11, 30, 17, 45, 0, tzinfo=UTC),
            summary="Infoveranstaltung für Eltern – abgesagt",
            location="KiTa Sonnenschein; Gartenstraße 5, 12345 Musterstadt",
            description="Rucksack KiTa\nThema: Gesundheit, Ernährung",
            url=f"https://{HOST}/sessions/43",
            category="Infoveranstaltung",
        ),
        make_event(
            session_id=44,
            sequence=1,
            starts_at=datetime(2026, 3, 3, 14, 0, tzinfo=BERLIN),
            ends_at=datetime(2026, 3, 3, 16, 0, tzinfo=BERLIN),
            summary="Rucksack KiTa – Treffen 4",
            description="Thema: Familie\n" + "Ein langer Text mit Umlauten äöüß und mehr. " * 4,
            url=f"https://{HOST}/sessions/44",
            category="Rucksack KiTa",
        ),
    ]


# --------------------------------------------------------------------------------------------
# determinism and golden files


def test_same_input_same_bytes() -> None:
    events = sample_events()
    first = render_feed(name="Öffentliche Termine", events=events, host=HOST)
    second = render_feed(name="Öffentliche Termine", events=list(events), host=HOST)
    assert first == second
    assert render_event(events[1], host=HOST) == render_event(events[1], host=HOST)


def test_output_does_not_depend_on_input_time_zone() -> None:
    utc = make_event()
    tokyo = make_event(
        starts_at=utc.starts_at.astimezone(ZoneInfo("Asia/Tokyo")),
        ends_at=utc.ends_at.astimezone(timezone(timedelta(hours=-5))),
        updated_at=utc.updated_at.astimezone(ZoneInfo("America/New_York")),
    )
    assert render_event(utc, host=HOST) == render_event(tokyo, host=HOST)


GOLDEN_CASES = {
    "feed_basic.ics": lambda: render_feed(
        name="Öffentliche Termine", events=sample_events(), host=HOST
    ),
    "feed_hostile.ics": lambda: render_feed(
        name="Feed; with, \\hostile\r\nX-EVIL:1 name",
        events=[
            make_event(session_id=100 + i, summary=text, location=text, description=text)
            for i, text in enumerate(HOSTILE)
        ],
        host=HOST,
    ),
    "feed_empty_no_method.ics": lambda: render_calendar(
        name="Leer", events=[], method_publish=False
    ),
}


@pytest.mark.parametrize("filename", sorted(GOLDEN_CASES))
def test_golden(filename: str) -> None:
    produced = GOLDEN_CASES[filename]()
    path = GOLDEN / filename
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        path.write_bytes(produced)
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 once"
    golden = path.read_bytes()
    assert produced == golden, f"{filename} differs; if intended, UPDATE_GOLDEN=1 and review"
    assert_wellformed(golden)
    calendar = parse(golden)
    n_events = len(events_of(calendar))
    assert structure(calendar) == expected_structure(n_events)
    if filename == "feed_hostile.ics":
        assert [str(e["SUMMARY"]) for e in events_of(calendar)] == [
            expected_text(t) for t in HOSTILE
        ]


def test_golden_files_kept_byte_exact() -> None:
    """Git must not turn the CRLF of the golden files into LF."""
    attributes = (GOLDEN / ".gitattributes").read_text()
    assert "*.ics -text" in attributes


# --------------------------------------------------------------------------------------------
# parsing back


def test_event_fields_parse_back() -> None:
    calendar = parse(render_feed(name="x", events=sample_events(), host=HOST))
    july, december, march = events_of(calendar)

    assert str(july["UID"]) == f"session-42@{HOST}"
    assert july["SEQUENCE"] == 0
    assert str(july["STATUS"]) == "CONFIRMED"
    assert str(july["SUMMARY"]) == "Elternkurs: Sprache im Alltag"
    assert str(july["URL"]) == f"https://{HOST}/sessions/42"
    assert july.categories == ["Training"]

    assert str(december["UID"]) == f"session-43@{HOST}"
    assert december["SEQUENCE"] == 3
    assert str(december["STATUS"]) == "CANCELLED"
    assert str(december["LOCATION"]) == "KiTa Sonnenschein; Gartenstraße 5, 12345 Musterstadt"
    assert str(december["DESCRIPTION"]) == "Rucksack KiTa\nThema: Gesundheit, Ernährung"
    assert december.categories == ["Infoveranstaltung"]
    assert march.categories == ["Rucksack KiTa"]


@pytest.mark.parametrize(
    ("starts_utc", "offset_hours"),
    [
        (datetime(2025, 7, 15, 7, 0, tzinfo=UTC), 2),  # summer: UTC+2
        (datetime(2025, 12, 9, 8, 0, tzinfo=UTC), 1),  # winter: UTC+1
    ],
)
def test_dtstart_is_berlin_wall_time(starts_utc: datetime, offset_hours: int) -> None:
    event = make_event(starts_at=starts_utc, ends_at=starts_utc + timedelta(hours=2))
    data = render_feed(name="x", events=[event], host=HOST)
    (parsed,) = events_of(parse(data))
    for prop, local, hour in (("DTSTART", parsed.start, 9), ("DTEND", parsed.end, 11)):
        assert parsed[prop].params["TZID"] == "Europe/Berlin"
        assert isinstance(local, datetime)
        assert (local.hour, local.minute) == (hour, 0)
        assert local.utcoffset() == timedelta(hours=offset_hours)
    assert parsed.start == starts_utc
    assert f"DTSTART;TZID=Europe/Berlin:{starts_utc:%Y%m%d}T090000\r\n".encode() in data


def test_dtstamp_and_last_modified_are_updated_at_in_utc() -> None:
    updated = datetime(2025, 3, 30, 3, 30, 0, 987654, tzinfo=BERLIN)  # just after the DST jump
    data = render_event(make_event(updated_at=updated), host=HOST)
    (parsed,) = events_of(parse(render_calendar(name="x", events=[data])))
    expected = updated.astimezone(UTC).replace(microsecond=0)
    for prop, stamp in (("DTSTAMP", parsed.DTSTAMP), ("LAST-MODIFIED", parsed.LAST_MODIFIED)):
        assert stamp == expected
        assert stamp is not None and stamp.utcoffset() == timedelta(0)
        assert f"{prop}:{expected:%Y%m%dT%H%M%S}Z\r\n".encode() in data


def test_cancelled_session_stays_in_feed_with_higher_sequence() -> None:
    before = make_event(sequence=1)
    after = make_event(
        sequence=2, cancelled=True, updated_at=before.updated_at + timedelta(hours=1)
    )
    old = events_of(parse(render_feed(name="x", events=[before], host=HOST)))
    new = events_of(parse(render_feed(name="x", events=[after], host=HOST)))
    assert len(old) == len(new) == 1
    assert str(old[0]["UID"]) == str(new[0]["UID"])
    assert str(new[0]["STATUS"]) == "CANCELLED"
    assert new[0].sequence > old[0].sequence


def test_event_uid() -> None:
    assert event_uid(7, "programmes.example.org") == "session-7@programmes.example.org"
    assert event_uid(7, "Programmes.Example.ORG") == "session-7@programmes.example.org"
    assert event_uid(7, "localhost:8000") == "session-7@localhost:8000"
    uid = str(events_of(parse(render_feed(name="x", events=[make_event()], host=HOST)))[0]["UID"])
    assert uid == event_uid(42, HOST)


@pytest.mark.parametrize(
    "host", ["", "evil\r\nX-EVIL:1", "a b", "a;b", "a,b", "a\\b", "-x.org", "x.org/path"]
)
def test_event_uid_refuses_bad_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="host"):
        event_uid(1, host)
    with pytest.raises(ValueError, match="host"):
        render_event(make_event(), host=host)


def test_one_vtimezone_for_berlin() -> None:
    calendar = parse(render_feed(name="x", events=sample_events(), host=HOST))
    (vtimezone,) = calendar.timezones
    assert str(vtimezone["TZID"]) == "Europe/Berlin"
    (daylight,) = vtimezone.daylight
    (standard,) = vtimezone.standard
    offsets = [(rule.TZOFFSETFROM, rule.TZOFFSETTO) for rule in (daylight, standard)]
    assert offsets == [
        (timedelta(hours=1), timedelta(hours=2)),
        (timedelta(hours=2), timedelta(hours=1)),
    ]
    ((daylight_rule,), (standard_rule,)) = daylight.rrules, standard.rrules
    assert daylight_rule["BYMONTH"] == [3]
    assert standard_rule["BYMONTH"] == [10]
    assert daylight_rule["BYDAY"] == standard_rule["BYDAY"] == ["-1SU"]
    assert daylight.DTSTART is not None
    assert daylight.DTSTART.tzinfo is None  # local time, as RFC 5545 requires

    # The definition itself (not a tz database lookup) agrees with zoneinfo around every
    # transition from 1997 to 2037 and in the middle of every month.
    tz = vtimezone.to_tz(lookup_tzid=False)
    moments = []
    for year in range(1997, 2038):
        for month in (3, 10):
            last_sunday = max(
                datetime(year, month, day, tzinfo=UTC)
                for day in range(25, 32)
                if datetime(year, month, day).weekday() == 6
            )
            moments += [last_sunday + timedelta(minutes=30 * i) for i in range(-4, 8)]
        moments += [datetime(year, month, 15, 12, tzinfo=UTC) for month in range(1, 13)]
    for moment in moments:
        assert moment.astimezone(tz).utcoffset() == moment.astimezone(BERLIN).utcoffset(), moment


def test_calendar_properties() -> None:
    data = render_feed(name="Öffentliche Termine", events=sample_events(), host=HOST)
    calendar = parse(data)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert "METHOD" not in calendar  # a feed is no iTIP message (docs/calendars.md)
    assert unescape_text(str(calendar["X-WR-CALNAME"])) == "Öffentliche Termine"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert calendar.refresh_interval == timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    for line in (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
        b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n",
        b"\r\nX-PUBLISHED-TTL:PT1H\r\n",
        b"\r\nNAME:\xc3\x96ffentliche Termine\r\n",
    ):
        assert line in data
    assert data.endswith(b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert structure(calendar) == expected_structure(3)


def test_method_only_when_asked_for() -> None:
    data = render_calendar(name="x", events=[], method_publish=True)
    calendar = parse(data)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert structure(calendar) == expected_structure(0, method=True)


def test_calendar_name_is_escaped() -> None:
    name = "Name; with, \\hostile\r\nX-EVIL:1\x00"
    data = render_calendar(name=name, events=[])
    calendar = parse(data)
    assert unescape_text(str(calendar["X-WR-CALNAME"])) == "Name; with, \\hostile\nX-EVIL:1"
    assert structure(calendar) == expected_structure(0)
    assert b"\r\nX-EVIL" not in data


# --------------------------------------------------------------------------------------------
# hostile text


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_round_trips(text: str) -> None:
    events = [
        make_event(session_id=1, summary=text, location=text, description=text, category=text),
        make_event(session_id=2),
    ]
    data = render_feed(name=text, events=events, host=HOST)
    assert_wellformed(data)
    assert b"\r\nX-EVIL" not in data
    assert data.count(b"\r\nBEGIN:VEVENT\r\n") == 2
    assert data.count(b"\r\nEND:VEVENT\r\n") == 2
    calendar = parse(data)
    assert structure(calendar) == expected_structure(2)
    first, second = events_of(calendar)
    want = expected_text(text)
    for prop in ("SUMMARY", "LOCATION", "DESCRIPTION"):
        assert str(first[prop]) == want, prop
    assert first.categories == [want]
    assert unescape_text(str(calendar["X-WR-CALNAME"])) == want
    assert str(second["UID"]) == f"session-2@{HOST}"
    assert str(second["SUMMARY"]) == "Elternkurs: Sprache im Alltag"


@pytest.mark.parametrize(
    ("given_text", "written"),
    [
        ("a\r\nb", "a\nb"),  # CR LF -> LF
        ("a\rb", "a\nb"),  # lone CR -> LF
        ("a\r\rb", "a\n\nb"),
        ("a\n\rb", "a\n\nb"),  # LF CR is two breaks
        ("a\r\n\r\nb", "a\n\nb"),
        ("a\x00b\x00", "ab"),  # NUL removed
        ("a\x01\x08\x0b\x0c\x1b\x1f\x7fb", "ab"),  # other forbidden controls removed
        ("a\tb", "a\tb"),  # TAB kept
        ("a\ud800b\udfff", "a\ufffdb\ufffd"),  # lone surrogates replaced
        ("\\N", "\\N"),  # a literal backslash-N is text, not a line break
        ("C:\\Nutzer\\neu", "C:\\Nutzer\\neu"),
        ("\x80\x9f", "\x80\x9f"),  # C1 characters are allowed in TEXT and kept
    ],
)
def test_normalisation_rules(given_text: str, written: str) -> None:
    assert normalise_text(given_text) == written
    assert expected_text(given_text) == written
    data = render_feed(
        name="x",
        events=[make_event(summary=given_text, location=given_text, description=given_text)],
        host=HOST,
    )
    assert_wellformed(data)
    (parsed,) = events_of(parse(data))
    for prop in ("SUMMARY", "LOCATION", "DESCRIPTION"):
        assert str(parsed[prop]) == written


def test_clean_text_is_returned_unchanged() -> None:
    text = "Elternkurs ä 😀"
    assert normalise_text(text) is text


def test_lines_end_with_crlf() -> None:
    data = render_feed(name="x", events=sample_events(), host=HOST)
    assert data.count(b"\n") == data.count(b"\r\n") == data.count(b"\r")
    block = render_event(make_event(description="a\nb\rc"), host=HOST)
    assert block.startswith(b"BEGIN:VEVENT\r\n")
    assert block.endswith(b"\r\nEND:VEVENT\r\n")
    assert block.count(b"\n") == block.count(b"\r\n") == block.count(b"\r")


@pytest.mark.parametrize("shift", range(6))
@pytest.mark.parametrize("char", ["ü", "€", "😀", "e\u0301", "\u0915\u094d\u0937", "İ"])
def test_folding_never_splits_a_character(shift: int, char: str) -> None:
    text = "x" * shift + char * 80
    data = render_feed(
        name=text, events=[make_event(summary=text, location=";" * shift + text)], host=HOST
    )
    assert_wellformed(data)
    assert data.count(b"\r\n ") > 3  # it did fold
    (parsed,) = events_of(parse(data))
    assert str(parsed["SUMMARY"]) == text
    assert str(parsed["LOCATION"]) == ";" * shift + text


@given(summary=st.text(), location=st.text(), description=st.text(), name=st.text())
@settings(max_examples=300, deadline=None)
def test_arbitrary_text_round_trips(
    summary: str, location: str, description: str, name: str
) -> None:
    event = make_event(summary=summary, location=location, description=description)
    data = render_feed(name=name, events=[event, make_event(session_id=2)], host=HOST)
    assert_wellformed(data)
    calendar = parse(data)
    assert structure(calendar) == expected_structure(2)
    first, second = events_of(calendar)
    assert str(first["SUMMARY"]) == expected_text(summary)
    assert str(first["LOCATION"]) == expected_text(location)
    assert str(first["DESCRIPTION"]) == expected_text(description)
    assert unescape_text(str(calendar["X-WR-CALNAME"])) == expected_text(name)
    assert str(second["SUMMARY"]) == "Elternkurs: Sprache im Alltag"


@given(st.text().filter(lambda t: "\\N" not in t and "\r" not in t))
def test_escaping_matches_icalendar_except_for_backslash_n(text: str) -> None:
    """_Text differs from icalendar's vText only in keeping a literal backslash-N."""
    assert _Text(text).to_ical() == vText(text).to_ical()


# --------------------------------------------------------------------------------------------
# assembling cached blocks


def test_cached_blocks_assemble_to_render_feed() -> None:
    events = sample_events()
    blocks = {e.session_id: render_event(e, host=HOST) for e in events}
    assembled = render_calendar(
        name="Öffentliche Termine", events=(blocks[e.session_id] for e in events)
    )
    assert assembled == render_feed(name="Öffentliche Termine", events=events, host=HOST)


def test_one_change_rerenders_one_block() -> None:
    events = sample_events()
    blocks = [render_event(e, host=HOST) for e in events]
    changed = make_event(
        sequence=1, summary="Neuer Titel", updated_at=events[0].updated_at + timedelta(days=1)
    )
    blocks[0] = render_event(changed, host=HOST)
    assert render_calendar(name="x", events=blocks) == render_feed(
        name="x", events=[changed, *events[1:]], host=HOST
    )


def test_render_calendar_refuses_foreign_blocks() -> None:
    good = render_event(make_event(), host=HOST)
    for bad in (b"X-EVIL:1\r\n", good[:-2], b"BEGIN:VTODO\r\nEND:VTODO\r\n"):
        with pytest.raises(ValueError, match="render_event"):
            render_calendar(name="x", events=[good, bad])


# --------------------------------------------------------------------------------------------
# validation


@pytest.mark.parametrize(
    "overrides",
    [
        {"starts_at": datetime(2025, 7, 1, 9, 0)},
        {"ends_at": datetime(2025, 7, 1, 11, 0)},
        {"updated_at": datetime(2025, 7, 1, 11, 0)},
        {"ends_at": datetime(2025, 7, 15, 6, 59, tzinfo=UTC)},
        {"session_id": 0},
        {"session_id": -1},
        {"sequence": -1},
        {"sequence": 2**31},
        {"url": "https://x.org/a\r\nX-EVIL:1"},
        {"url": "https://x.org/a b"},
        {"url": "javascript:alert(1)"},
        {"url": ""},
    ],
)
def test_invalid_events_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make_event(**overrides)


def test_zero_length_event_is_allowed() -> None:
    event = make_event(ends_at=make_event().starts_at)
    (parsed,) = events_of(parse(render_feed(name="x", events=[event], host=HOST)))
    assert parsed.end == parsed.start


def test_an_event_without_a_url_has_no_url_property() -> None:
    """Entries of runs without a public page link nowhere rather than to a 404."""
    body = render_feed(name="x", events=[make_event(url=None)], host=HOST)
    (parsed,) = events_of(parse(body))
    assert "URL" not in parsed
    assert b"\r\nURL" not in body
    assert_wellformed(body)
