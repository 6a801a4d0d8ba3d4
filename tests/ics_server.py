"""A real HTTP server on 127.0.0.1 that serves calendars for the closure-import tests.

Like the server in tests/unit/test_closure_import.py (Python's ThreadingHTTPServer, port 0),
but each test decides what each path answers, and may change it between two imports (a KiTa
editing its calendar). Every request is logged, so a test can show that a refused address
was never contacted.
"""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "ics"
SCHOOL_YEAR = (FIXTURES / "school_year_2026_27.ics").read_bytes()
SCHOOL_YEAR_CHANGED = (FIXTURES / "school_year_2026_27_changed.ics").read_bytes()
HTML_PAGE = (FIXTURES / "not_a_calendar.html").read_bytes()
#: NRW school holidays 2026/27 as the Land's published dates (test data; all-day events,
#: DTEND the day after): Herbst 17.-31.10.2026, Weihnachten 23.12.2026-06.01.2027, Ostern
#: 22.03.-03.04.2027, Pfingsten 18.05.2027, Sommer 19.07.-31.08.2027.
NRW_SCHOOL_HOLIDAYS = (FIXTURES / "school_holidays_nrw_2026_27.ics").read_bytes()
#: Larger than the import's 1 MB limit, but it starts like a calendar.
OVERSIZED = b"BEGIN:VCALENDAR\r\n" + b"X" * 1_200_000


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/calendar; charset=utf-8"
    location: str | None = None
    send_length: bool = True


@dataclass
class IcsServer:
    """What each path answers, and which paths were asked for."""

    answers: dict[str, Answer] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "text/calendar; charset=utf-8",
        *,
        send_length: bool = True,
    ) -> str:
        self.answers[path] = Answer(body=body, content_type=content_type, send_length=send_length)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        self.answers[path] = Answer(status=302, location=location)
        return self.url(path)


class _Server(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, state: IcsServer) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # the client hung up on purpose (size limit)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: nothing lingers at shutdown
    timeout = 5
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        self.server.state.requests.append(path)
        answer = self.server.state.answers.get(path)
        if answer is None:
            self.send_error(404)
            return
        self.send_response(answer.status)
        if answer.location is not None:
            self.send_header("Location", answer.location)
        self.send_header("Content-Type", answer.content_type)
        if answer.send_length:
            self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)


@contextmanager
def running_ics_server() -> Iterator[IcsServer]:
    state = IcsServer()
    httpd = _Server(state)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="closures-ics-server"
    )
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        state.base = f"http://{host!s}:{port}"
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def closed_port() -> int:
    """A port on 127.0.0.1 on which nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
