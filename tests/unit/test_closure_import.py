"""Importing a KiTa's closure days from an iCal address, against a real HTTP server.

The server is Python's ThreadingHTTPServer on 127.0.0.1 (port 0), serving the fixture files
under tests/fixtures/ics/ and a few misbehaving paths (too large, redirects, slow, ...).
"""

from __future__ import annotations

import gzip
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar, TypedDict
from urllib.parse import urlsplit

import httpx
import pytest

from programmes.domain.errors import InvalidInput, Unavailable
from programmes.domain.planning.closure_import import (
    DEFAULT_REASON,
    FetchLimits,
    ImportedClosure,
    ParseLimits,
    fetch_calendar,
    import_closures,
    parse_closures,
    parse_closures_bounded,
    validate_calendar_url,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ics"
CLOSURES_ICS = (FIXTURES / "closures_2025_26.ics").read_bytes()


class Window(TypedDict):
    """The days an import reads closures for (keyword arguments of the importer)."""

    window_start: date
    window_end: date


SCHOOL_YEAR: Window = {"window_start": date(2025, 8, 1), "window_end": date(2026, 7, 31)}
UID = "@kita-sonnenschein.example"
TEAMTAG = f"teamtag{UID}"

#: What the fixture calendar yields for the school year 2025/26.
EXPECTED_SCHOOL_YEAR = [
    ImportedClosure(date(2025, 9, 1), date(2025, 9, 1), "Teamtag", f"{TEAMTAG}#2025-09-01"),
    ImportedClosure(date(2025, 10, 6), date(2025, 10, 6), "Teamtag", f"{TEAMTAG}#2025-10-06"),
    ImportedClosure(date(2025, 11, 3), date(2025, 11, 3), "Teamtag", f"{TEAMTAG}#2025-11-03"),
    ImportedClosure(
        date(2025, 11, 14), date(2025, 11, 14), "Konzeptionstag", f"konzeptionstag-2025{UID}"
    ),
    ImportedClosure(date(2025, 12, 1), date(2025, 12, 1), "Teamtag", f"{TEAMTAG}#2025-12-01"),
    ImportedClosure(
        date(2025, 12, 22), date(2026, 1, 2), "Weihnachtsschließung", f"weihnachten-2025{UID}"
    ),
    ImportedClosure(date(2026, 1, 5), date(2026, 1, 5), "Teamtag", f"{TEAMTAG}#2026-01-05"),
    # 2026-02-02 is an EXDATE of the Teamtag.
    ImportedClosure(
        date(2026, 2, 28),
        date(2026, 2, 28),
        "Notschließung Wasserschaden",
        f"wasserschaden-2026{UID}",
    ),
    ImportedClosure(date(2026, 3, 2), date(2026, 3, 2), "Teamtag", f"{TEAMTAG}#2026-03-02"),
    ImportedClosure(
        date(2026, 3, 11),
        date(2026, 3, 11),
        "Teamfortbildung (vormittags geschlossen)",
        f"fortbildung-2026-03{UID}",
    ),
    ImportedClosure(
        date(2026, 4, 13),
        date(2026, 4, 13),
        "Teamtag (verschoben wegen Ostermontag)",
        f"{TEAMTAG}#2026-04-06",
    ),
    ImportedClosure(
        date(2026, 4, 15), date(2026, 4, 16), "Umzug der Gruppenräume", f"umzug-2026{UID}"
    ),
    ImportedClosure(date(2026, 5, 4), date(2026, 5, 4), "Teamtag", f"{TEAMTAG}#2026-05-04"),
    ImportedClosure(
        date(2026, 5, 15), date(2026, 5, 15), "Betriebsausflug", f"betriebsausflug-2026{UID}"
    ),
    # 2026-06-01's Teamtag is cancelled (RECURRENCE-ID with STATUS:CANCELLED).
    ImportedClosure(date(2026, 6, 19), date(2026, 6, 19), DEFAULT_REASON, f"ohne-titel-2026{UID}"),
    ImportedClosure(date(2026, 7, 6), date(2026, 7, 6), "Teamtag", f"{TEAMTAG}#2026-07-06"),
    ImportedClosure(date(2026, 7, 13), date(2026, 7, 31), "Sommerschließung", f"sommer-2026{UID}"),
]

ONE_MB = 1_000_000
FAST = FetchLimits(timeout_seconds=0.5)
DEFAULT_LIMITS = FetchLimits()


# --------------------------------------------------------------------------------------------
# The server


class _Server(ThreadingHTTPServer):
    """Joins its handler threads on close, and ignores clients that hung up on purpose."""

    daemon_threads = False
    block_on_close = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stopping = threading.Event()

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client gave up (size limit, time-out): expected in these tests
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5  # an idle keep-alive connection does not hold up the server's close
    server: _Server

    GZIP_BOMB: ClassVar[bytes] = gzip.compress(b"BEGIN:VCALENDAR\r\n" + b"X" * 5 * ONE_MB)
    REDIRECTS: ClassVar[dict[str, str]] = {
        "/loop": "/loop",
        "/relative": "closures_2025_26.ics",
        "/to-file": "file:///etc/passwd",
        "/to-ftp": "ftp://127.0.0.1/closures_2025_26.ics",
        "/to-javascript": "javascript:alert(1)",
    }
    STATUSES: ClassVar[dict[str, int]] = {"/forbidden": 403, "/broken": 500, "/gone": 410}

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        fixture = FIXTURES / path.lstrip("/")
        if path.startswith("/redirect/"):
            remaining = int(path.rsplit("/", 1)[1])
            if remaining == 0:
                self._send(200, CLOSURES_ICS, "text/calendar; charset=utf-8")
            else:
                self._redirect(f"/redirect/{remaining - 1}")
        elif path in self.REDIRECTS:
            self._redirect(self.REDIRECTS[path])
        elif path in self.STATUSES:
            self.send_error(self.STATUSES[path])
        elif path == "/big":
            self._send(200, b"BEGIN:VCALENDAR\r\n" + b"X" * 2 * ONE_MB, "text/calendar")
        elif path == "/big-chunked":
            self._chunked(b"X" * 65_536, count=50, pause=0.0)
        elif path == "/gzip-bomb":
            self._send(200, self.GZIP_BOMB, "text/calendar", encoding="gzip")
        elif path == "/gzip":
            self._send(200, gzip.compress(CLOSURES_ICS), "text/calendar", encoding="gzip")
        elif path == "/slow":
            self.server.stopping.wait(10)
            self._send(200, CLOSURES_ICS, "text/calendar")
        elif path == "/drip":
            self._chunked(b"X", count=400, pause=0.05)
        elif path == "/random":
            self._send(200, bytes(range(256)) * 4, "application/octet-stream")
        elif path == "/empty":
            self._send(200, b"", "text/calendar")
        elif fixture.suffix in (".ics", ".html", ".json") and fixture.is_file():
            kind = {".ics": "text/calendar", ".html": "text/html", ".json": "application/json"}
            self._send(200, fixture.read_bytes(), kind[fixture.suffix] + "; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, status: int, body: bytes, content_type: str, encoding: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _chunked(self, chunk: bytes, *, count: int, pause: float) -> None:
        """Send a body without Content-Length, chunk by chunk, until the client hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\nBEGIN:VCALENDAR\r\n\r\n" % len(b"BEGIN:VCALENDAR\r\n"))
        for _ in range(count):
            if self.server.stopping.wait(pause):
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """Base address of a real HTTP server on 127.0.0.1, closed cleanly afterwards."""
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, name="ics-test-server")
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        httpd.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 on which nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --------------------------------------------------------------------------------------------
# The good case


async def test_imports_the_school_year_calendar(server: str) -> None:
    closures = await import_closures(f"{server}/closures_2025_26.ics", **SCHOOL_YEAR)
    assert closures == EXPECTED_SCHOOL_YEAR


async def test_summer_closure_is_three_weeks_with_an_inclusive_last_day(server: str) -> None:
    closures = await import_closures(f"{server}/closures_2025_26.ics", **SCHOOL_YEAR)
    summer = next(c for c in closures if c.reason == "Sommerschließung")
    assert (summer.first_day, summer.last_day) == (date(2026, 7, 13), date(2026, 7, 31))
    assert (summer.last_day - summer.first_day).days + 1 == 19  # DTEND 2026-08-01 excluded


async def test_recurring_closure_is_expanded_only_within_the_window(server: str) -> None:
    closures = await import_closures(
        f"{server}/closures_2025_26.ics",
        window_start=date(2026, 1, 1),
        window_end=date(2026, 3, 31),
    )
    teamtage = [c.first_day for c in closures if c.reason.startswith("Teamtag")]
    assert teamtage == [date(2026, 1, 5), date(2026, 3, 2)]  # 2026-02-02 is excluded (EXDATE)
    # A closure reaching into the window keeps its own dates.
    assert closures[0] == EXPECTED_SCHOOL_YEAR[5]  # Weihnachtsschließung 2025-12-22..2026-01-02
    assert [c.reason for c in closures] == [
        "Weihnachtsschließung",
        "Teamtag",
        "Notschließung Wasserschaden",
        "Teamtag",
        "Teamfortbildung (vormittags geschlossen)",
    ]


async def test_reimporting_gives_the_same_source_uids(server: str) -> None:
    async with httpx.AsyncClient() as client:
        first = await import_closures(
            f"{server}/closures_2025_26.ics", client=client, **SCHOOL_YEAR
        )
        second = await import_closures(
            f"{server}/closures_2025_26.ics", client=client, **SCHOOL_YEAR
        )
    assert first == second
    uids = [c.source_uid for c in first]
    assert len(uids) == len(set(uids))


async def test_follows_redirects_up_to_the_limit(server: str) -> None:
    closures = await import_closures(f"{server}/redirect/3", **SCHOOL_YEAR)
    assert closures == EXPECTED_SCHOOL_YEAR


async def test_follows_a_relative_redirect(server: str) -> None:
    assert await fetch_calendar(f"{server}/relative") == CLOSURES_ICS


async def test_reads_a_gzip_compressed_calendar(server: str) -> None:
    assert await fetch_calendar(f"{server}/gzip") == CLOSURES_ICS


# --------------------------------------------------------------------------------------------
# Bad answers


async def _refused(
    url: str,
    error: type[InvalidInput] | type[Unavailable],
    *,
    limits: FetchLimits = DEFAULT_LIMITS,
    client: httpx.AsyncClient | None = None,
) -> str:
    """Import from url, expect error with field "url", and return its message."""
    with pytest.raises(error) as caught:
        await import_closures(url, limits=limits, client=client, **SCHOOL_YEAR)
    assert type(caught.value) is error
    assert caught.value.field == "url"
    return caught.value.message


async def test_html_page_is_not_a_calendar(server: str) -> None:
    message = await _refused(f"{server}/not_a_calendar.html", InvalidInput)
    assert "not an iCalendar file" in message
    assert "web page" in message


async def test_json_is_not_a_calendar(server: str) -> None:
    message = await _refused(f"{server}/not_a_calendar.json", InvalidInput)
    assert "not an iCalendar file" in message
    assert "JSON" in message


@pytest.mark.parametrize("path", ["/random", "/empty"])
async def test_random_or_empty_body_is_not_a_calendar(server: str, path: str) -> None:
    assert "not an iCalendar file" in await _refused(f"{server}{path}", InvalidInput)


async def test_oversized_body_is_refused(server: str) -> None:
    message = await _refused(f"{server}/big", InvalidInput)
    assert "larger than 1 MB" in message
    assert "127.0.0.1" in message


async def test_oversized_chunked_body_without_length_is_refused(server: str) -> None:
    started = time.monotonic()
    message = await _refused(f"{server}/big-chunked", InvalidInput)
    assert "larger than 1 MB" in message
    assert time.monotonic() - started < 5


async def test_small_size_limit_is_honoured(server: str) -> None:
    message = await _refused(
        f"{server}/closures_2025_26.ics", InvalidInput, limits=FetchLimits(max_bytes=2_000)
    )
    assert "larger than 2 kB" in message


async def test_compressed_body_is_limited_after_decompression(server: str) -> None:
    message = await _refused(f"{server}/gzip-bomb", InvalidInput)
    assert "larger than 1 MB" in message


async def test_too_many_redirects_are_refused(server: str) -> None:
    message = await _refused(f"{server}/redirect/4", InvalidInput)
    assert "redirects more than 3 times" in message


async def test_redirect_loop_is_refused(server: str) -> None:
    message = await _refused(f"{server}/loop", InvalidInput, limits=FetchLimits(max_redirects=1))
    assert "redirects more than once" in message


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/to-file", "file:///etc/passwd"),
        ("/to-ftp", "ftp://127.0.0.1"),
        ("/to-javascript", "not a web address"),
    ],
)
async def test_redirect_to_a_non_web_address_is_refused(
    server: str, path: str, target: str
) -> None:
    # Even a client that would follow redirects by itself does not get there.
    async with httpx.AsyncClient(follow_redirects=True) as client:
        message = await _refused(f"{server}{path}", InvalidInput, client=client)
    assert target in message
    assert "https://" in message
    assert "http://" in message


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/missing.ics", "404 Not Found"),
        ("/gone", "410"),
        ("/forbidden", "not public"),
        ("/broken", "try again later"),
    ],
)
async def test_http_errors_make_the_calendar_unavailable(
    server: str, path: str, words: str
) -> None:
    message = await _refused(f"{server}{path}", Unavailable)
    assert "127.0.0.1" in message
    assert words.lower() in message.lower()


async def test_slow_server_times_out(server: str) -> None:
    started = time.monotonic()
    message = await _refused(f"{server}/slow", Unavailable, limits=FAST)
    assert time.monotonic() - started < 3
    assert "127.0.0.1" in message
    assert "within 0.5 seconds" in message


async def test_trickling_server_is_cut_off_by_the_overall_deadline(server: str) -> None:
    # A byte every 50 ms never trips a per-read time-out, but the whole download is bounded.
    started = time.monotonic()
    message = await _refused(f"{server}/drip", Unavailable, limits=FAST)
    assert time.monotonic() - started < 3
    assert "within 0.5 seconds" in message


async def test_connection_refused(closed_port: int) -> None:
    message = await _refused(f"http://127.0.0.1:{closed_port}/closures.ics", Unavailable)
    assert f"127.0.0.1:{closed_port}" in message
    assert "refused the connection" in message


async def test_a_given_client_is_left_open(server: str) -> None:
    async with httpx.AsyncClient() as client:
        await fetch_calendar(f"{server}/closures_2025_26.ics", client=client)
        assert not client.is_closed


# --------------------------------------------------------------------------------------------
# The address


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://kita.example.de/closures.ics",
        "data:text/calendar,BEGIN:VCALENDAR",
        "javascript:alert(1)",
        "kita.example.de/closures.ics",
        "localhost:8080/closures.ics",
        "",
        "   ",
        "http://",
        "https:///closures.ics",
        "http:kita.example.de/closures.ics",
        "webcal://kita.example.de/closures.ics",
        "https://kita.example.de/schliess tage.ics",
        "https://kita.example.de:99999/closures.ics",
        "https://kita.example.de/" + "a" * 2_000,
    ],
)
def test_validate_calendar_url_refuses(url: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_calendar_url(url)
    assert caught.value.field == "url"
    assert "https://" in caught.value.message
    assert "http://" in caught.value.message


def test_validate_calendar_url_names_the_refused_scheme() -> None:
    with pytest.raises(InvalidInput, match="file:"):
        validate_calendar_url("file:///etc/passwd")
    with pytest.raises(InvalidInput, match=r"webcal:// .* with https://"):
        validate_calendar_url("webcal://kita.example.de/closures.ics")
    with pytest.raises(InvalidInput, match="2,000"):
        validate_calendar_url("https://kita.example.de/" + "a" * 2_000)


@pytest.mark.parametrize(
    "url",
    [
        "http://kita.example.de/closures.ics",
        "https://kita.example.de/closures.ics",
        "HTTPS://calendar.example.com/ical/abc%40group/public/basic.ics?x=1",
        "http://127.0.0.1:8080/closures.ics",
    ],
)
def test_validate_calendar_url_accepts_web_addresses(url: str) -> None:
    assert validate_calendar_url(f"  {url}\n") == url


async def test_fetch_validates_the_address_first() -> None:
    with pytest.raises(InvalidInput) as caught:
        await fetch_calendar("file:///etc/passwd")
    assert caught.value.field == "url"


# --------------------------------------------------------------------------------------------
# Reading calendars (no server needed)


def _calendar(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20250701T090000Z\r\n{e}END:VEVENT\r\n" for e in events)
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//test//DE\r\n{body}END:VCALENDAR\r\n"
    ).encode()


def _event(uid: str, *lines: str, summary: str = "Schließtag") -> str:
    return f"UID:{uid}\r\nSUMMARY:{summary}\r\n" + "".join(f"{line}\r\n" for line in lines)


def test_calendar_without_events_gives_no_closures() -> None:
    assert parse_closures(_calendar(), **SCHOOL_YEAR) == []


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b"<!DOCTYPE html><html></html>", "web page"),
        (b'{"closures": []}', "JSON"),
        (bytes(range(256)), "BEGIN:VCALENDAR"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n", "incomplete"),
    ],
)
def test_not_icalendar(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_closures(data, **SCHOOL_YEAR)
    assert caught.value.field == "url"
    assert "is not an iCalendar file" in caught.value.message
    assert words in caught.value.message


def test_timed_event_covers_the_berlin_days_it_touches() -> None:
    data = _calendar(
        # 23:30 UTC on 2 March is already 3 March in Berlin.
        _event("a", "DTSTART:20260302T233000Z", "DTEND:20260303T100000Z", summary="A"),
        # Floating times are Berlin times; ending at midnight does not touch the next day.
        _event("b", "DTSTART:20260310T140000", "DTEND:20260312T000000", summary="B"),
        # Summer time: 22:30 UTC on 30 June is 00:30 on 1 July in Berlin.
        _event("c", "DTSTART:20260630T223000Z", "DURATION:PT2H", summary="C"),
        # No DTEND and no DURATION: a moment, one day.
        _event("d", "DTSTART;TZID=Europe/Berlin:20260401T090000", summary="D"),
    )
    closures = parse_closures(data, **SCHOOL_YEAR)
    assert [(c.reason, c.first_day, c.last_day) for c in closures] == [
        ("A", date(2026, 3, 3), date(2026, 3, 3)),
        ("B", date(2026, 3, 10), date(2026, 3, 11)),
        ("D", date(2026, 4, 1), date(2026, 4, 1)),
        ("C", date(2026, 7, 1), date(2026, 7, 1)),
    ]


def test_weekly_timed_recurrence_with_exdate_and_until() -> None:
    data = _calendar(
        _event(
            "sport",
            "DTSTART;TZID=Europe/Berlin:20260105T140000",
            "DTEND;TZID=Europe/Berlin:20260105T160000",
            "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260202T130000Z",
            "EXDATE;TZID=Europe/Berlin:20260119T140000",
            summary="Halle gesperrt",
        )
    )
    closures = parse_closures(data, **SCHOOL_YEAR)
    assert [(c.first_day, c.source_uid) for c in closures] == [
        (date(2026, 1, 5), "sport#2026-01-05"),
        (date(2026, 1, 12), "sport#2026-01-12"),
        (date(2026, 1, 26), "sport#2026-01-26"),
        (date(2026, 2, 2), "sport#2026-02-02"),
    ]


def test_unbounded_recurrence_from_long_ago_is_expanded_in_the_window_only() -> None:
    data = _calendar(
        _event(
            "teamtag",
            "DTSTART;VALUE=DATE:20100104",
            "RRULE:FREQ=MONTHLY;BYDAY=1MO",
            "EXDATE;VALUE=DATE:20260302",
        )
    )
    closures = parse_closures(data, window_start=date(2026, 1, 1), window_end=date(2026, 4, 30))
    assert [c.first_day for c in closures] == [date(2026, 1, 5), date(2026, 2, 2), date(2026, 4, 6)]


def test_reason_is_stripped_and_defaulted_and_bounded() -> None:
    data = _calendar(
        _event("a", "DTSTART;VALUE=DATE:20260105", summary="  Teamtag \\n Vormittag "),
        _event("b", "DTSTART;VALUE=DATE:20260106", summary="   "),
        _event("c", "DTSTART;VALUE=DATE:20260107", summary="x" * 300),
    )
    reasons = [c.reason for c in parse_closures(data, **SCHOOL_YEAR)]
    assert reasons[:2] == ["Teamtag Vormittag", DEFAULT_REASON]
    assert len(reasons[2]) == 200


def test_event_without_uid_gets_a_stable_source_uid() -> None:
    data = _calendar("DTSTART;VALUE=DATE:20260105\r\nSUMMARY:Ohne UID\r\n")
    first = parse_closures(data, **SCHOOL_YEAR)
    assert first == parse_closures(data, **SCHOOL_YEAR)
    assert first[0].source_uid.startswith("no-uid-")


def test_x_wr_timezone_places_floating_times() -> None:
    data = _calendar(
        _event("a", "DTSTART:20260302T233000Z", "DTEND:20260302T235000Z", summary="A")
    ).replace(b"VERSION:2.0\r\n", b"VERSION:2.0\r\nX-WR-TIMEZONE:Europe/Berlin\r\n")
    [closure] = parse_closures(data, **SCHOOL_YEAR)
    assert closure.first_day == date(2026, 3, 3)


def test_too_many_occurrences_are_refused() -> None:
    data = _calendar(_event("daily", "DTSTART;VALUE=DATE:20250801", "RRULE:FREQ=DAILY"))
    assert len(parse_closures(data, **SCHOOL_YEAR)) == 365
    with pytest.raises(InvalidInput) as caught:
        parse_closures(data, **SCHOOL_YEAR, limits=ParseLimits(max_occurrences=100))
    assert caught.value.field == "url"
    assert "more than 100 closures" in caught.value.message


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("RRULE:FREQ=HOURLY", "more often than once a day"),
        ("RRULE:FREQ=SECONDLY;COUNT=100000", "more often than once a day"),
        ("RRULE:FREQ=DAILY;BYHOUR=8,9,10", "several times a day"),
        # The 31st of February never comes: the date library would search until 9999.
        ("RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31", "BYMONTHDAY"),
        ("RRULE:FREQ=WEEKLY;BYDAY=1MO", "BYDAY with a number"),
        ("RRULE:FREQ=BOGUS", "cannot be read"),
        ("RRULE:garbage", "without a frequency"),
    ],
)
def test_unreasonable_repeat_rules_are_refused_quickly(rule: str, words: str) -> None:
    data = _calendar(_event("r", "DTSTART:20250901T080000Z", rule, summary="Regel"))
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        parse_closures(data, **SCHOOL_YEAR)
    assert time.monotonic() - started < 1
    assert caught.value.field == "url"
    assert "“Regel”" in caught.value.message
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        # The date library loops for ever on these (and grows without end).
        ("FREQ=DAILY;INTERVAL=0", "needs an INTERVAL from 1 to 1,000"),
        ("FREQ=MONTHLY;INTERVAL=0", "needs an INTERVAL from 1 to 1,000"),
        ("FREQ=YEARLY;INTERVAL=0", "needs an INTERVAL from 1 to 1,000"),
        ("FREQ=WEEKLY;INTERVAL=-1", "needs an INTERVAL from 1 to 1,000"),
        # RFC 5545: COUNT and UNTIL must not both be given.
        ("FREQ=DAILY;COUNT=5;UNTIL=20260301", "COUNT) and on a date (UNTIL"),
        ("FREQ=YEARLY;COUNT=0", "needs a COUNT from 1 to 10,000"),
        ("FREQ=YEARLY;COUNT=20000", "needs a COUNT from 1 to 10,000"),
        # Days that never come: searched for until the year 9999.
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "names a day that no month of it has"),
        ("FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31,-31", "names a day that no month of it has"),
        ("FREQ=YEARLY;BYMONTH=1;BYYEARDAY=366", "day of the year that lies in none"),
        ("FREQ=YEARLY;BYMONTH=1;BYWEEKNO=20", "week that lies in none of its months"),
        ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY with a number outside 1 to 5"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=-6FR", "BYDAY with a number outside 1 to 5"),
        ("FREQ=YEARLY;BYDAY=54MO", "BYDAY with a number outside 1 to 53"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH outside 1 to 12"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY outside 1 to 31"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY of 0"),
    ],
)
def test_rules_the_date_library_cannot_finish_are_refused_naming_the_rule(
    rule: str, words: str
) -> None:
    data = _calendar(_event("r", "DTSTART;VALUE=DATE:20250901", f"RRULE:{rule}", summary="Zu"))
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        parse_closures(data, **SCHOOL_YEAR)
    assert time.monotonic() - started < 1
    assert caught.value.field == "url"
    assert "“Zu”" in caught.value.message
    assert "the repeat rule “RRULE:FREQ=" in caught.value.message
    assert words in caught.value.message


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",  # leap years only: it comes
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-29",
        "FREQ=YEARLY;BYMONTH=12;BYWEEKNO=1",  # week 1 may begin in December
        "FREQ=YEARLY;BYMONTH=12;BYYEARDAY=-1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYDAY=20MO",
        "FREQ=WEEKLY;INTERVAL=2;COUNT=10",
        "FREQ=MONTHLY;UNTIL=20260731",
    ],
)
def test_unusual_rules_that_do_come_are_expanded(rule: str) -> None:
    data = _calendar(_event("r", "DTSTART;VALUE=DATE:20250901", f"RRULE:{rule}"))
    assert parse_closures(data, **SCHOOL_YEAR)


def test_too_many_repeat_rules_are_refused() -> None:
    rules = [_event(f"r{i}", "DTSTART;VALUE=DATE:20250901", "RRULE:FREQ=YEARLY") for i in range(4)]
    limits = ParseLimits(max_recurrence_rules=3)
    with pytest.raises(InvalidInput, match="4 repeating events; at most 3"):
        parse_closures(_calendar(*rules), **SCHOOL_YEAR, limits=limits)


def test_rules_that_never_match_are_cut_off_by_the_deadline() -> None:
    # "The second of the Mondays that are a 31st of January, every tenth year": never more
    # than one a year, so never a second. The checks of a rule do not see through BYSETPOS;
    # the date library searches until the year 9999 for each such rule (a twentieth of a
    # second here), and the deadline is checked between series.
    never = "RRULE:FREQ=YEARLY;INTERVAL=10;BYMONTH=1;BYMONTHDAY=31;BYDAY=MO;BYSETPOS=2"
    rules = [_event(f"r{i}", "DTSTART;VALUE=DATE:20250901", never) for i in range(20)]
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        parse_closures(_calendar(*rules), **SCHOOL_YEAR, limits=ParseLimits(max_seconds=0.2))
    assert time.monotonic() - started < 3
    assert caught.value.field == "url"
    assert "too complex to be read within 0.2 seconds" in caught.value.message


def test_expansion_is_bounded_in_time() -> None:
    data = _calendar(_event("r", "DTSTART;VALUE=DATE:20250901", "RRULE:FREQ=WEEKLY"))
    with pytest.raises(InvalidInput, match="too complex"):
        parse_closures(data, **SCHOOL_YEAR, limits=ParseLimits(max_seconds=1e-9))


# The helper process: hard limits for any input


def test_the_helper_reads_a_calendar_like_the_parser() -> None:
    assert parse_closures_bounded(CLOSURES_ICS, **SCHOOL_YEAR) == parse_closures(
        CLOSURES_ICS, **SCHOOL_YEAR
    )


def test_the_helper_passes_a_refusal_on() -> None:
    data = _calendar(_event("r", "DTSTART;VALUE=DATE:20250901", "RRULE:FREQ=DAILY;INTERVAL=0"))
    with pytest.raises(InvalidInput) as caught:
        parse_closures_bounded(data, **SCHOOL_YEAR)
    assert caught.value.field == "url"
    assert "RRULE:FREQ=DAILY;INTERVAL=0" in caught.value.message


@pytest.mark.timeout(30)
def test_the_helper_is_killed_at_its_deadline() -> None:
    # One step of the date library that takes seconds (a never-matching BYSETPOS, searched
    # until the year 9999), where the parser's own deadline is only checked between steps:
    # the helper is killed after max_seconds + start_seconds.
    never = "RRULE:FREQ=YEARLY;BYYEARDAY=1;BYSETPOS=2"
    data = _calendar(*(_event(f"r{i}", "DTSTART;VALUE=DATE:20250901", never) for i in range(5)))
    limits = ParseLimits(max_seconds=0.2, start_seconds=1.5)
    started = time.monotonic()
    with pytest.raises(InvalidInput) as caught:
        parse_closures_bounded(data, **SCHOOL_YEAR, limits=limits)
    assert time.monotonic() - started < 6
    assert caught.value.field == "url"
    assert "within 0.2 seconds" in caught.value.message


@pytest.mark.timeout(60)
def test_the_helper_is_held_to_its_memory() -> None:
    # 1,500 events: reading them takes some 15 MB more than the helper's interpreter (itself
    # some 45 MB); held to 52 MB in all, it runs out and says so.
    events = [
        _event(f"e{i}", f"DTSTART;VALUE=DATE:2026{1 + i % 12:02d}{1 + i % 28:02d}")
        for i in range(1_500)
    ]
    limits = ParseLimits(max_memory_bytes=52_000_000, max_occurrences=100_000, max_seconds=30)
    with pytest.raises(InvalidInput) as caught:
        parse_closures_bounded(_calendar(*events), **SCHOOL_YEAR, limits=limits)
    assert caught.value.field == "url"
    assert "52 MB of memory" in caught.value.message


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ((), "missing or unreadable start"),
        (("DTSTART:garbage",), "missing or unreadable start"),
        (("DTSTART;VALUE=DATE:20260105", "DTEND;VALUE=DATE:20260101"), "ends before it starts"),
        (("DTSTART:20260105T080000Z", "DTEND;VALUE=DATE:20260106"), "unreadable start or end"),
    ],
)
def test_malformed_events_are_refused_with_their_name(lines: tuple[str, ...], words: str) -> None:
    data = _calendar(_event("m", *lines, summary="Kaputt"))
    with pytest.raises(InvalidInput) as caught:
        parse_closures(data, **SCHOOL_YEAR)
    assert caught.value.field == "url"
    assert "“Kaputt”" in caught.value.message
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 7, 31), date(2025, 8, 1), "window_end"),
        (date(2020, 1, 1), date(2030, 1, 1), "window_end"),
    ],
)
def test_window_is_checked(start: date, end: date, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_closures(CLOSURES_ICS, window_start=start, window_end=end)
    assert caught.value.field == field


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="FetchLimits"):
        FetchLimits(max_bytes=0)
    with pytest.raises(ValueError, match="ParseLimits"):
        ParseLimits(max_occurrences=0)


def test_unknown_server_name_is_explained() -> None:
    # No DNS in tests: build the exception chain httpx raises for a name that does not resolve.
    from programmes.domain.planning.closure_import import _connect_problem

    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(-2, "Name or service not known")
    message = _connect_problem(error, "kita-sonnenschein.example")
    assert "kita-sonnenschein.example could not be found" in message
