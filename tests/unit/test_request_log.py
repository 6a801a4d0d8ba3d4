"""The request log: what a line shows of a request, and that lines are written by a
thread of their own (tests/web/test_feed_token_logging.py reads a real server's output)."""

from __future__ import annotations

import io
import logging.config
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from litestar.types import Message

from programmes import logging_config
from programmes.logging_config import (
    RequestLog,
    RequestLogWriter,
    uvicorn_log_config,
    with_request_log,
)
from programmes.redaction import request_target


@pytest.mark.parametrize(
    ("path", "query", "logged"),
    [
        ("/", b"email=someone@example.org&x=1", "/?email=***&x=***"),
        ("/feeds/public.ics", b"", "/feeds/public.ics"),
        ("/feeds/private/pgmf_secret.ics", b"lang=en", "/feeds/private/***?lang=***"),
        ("/events/cancel/abc123", b"", "/events/cancel/***"),
        ("/events/cancel/abc123/withdraw", b"", "/events/cancel/***/withdraw"),
        ("/someone@example.org/x", b"", "/***/x"),
        ("/events", b"someone%40example.org", "/events?***=***"),
        ("/events", b"token=abc&&", "/events?token=***"),
        ("/events", b"&", "/events"),
    ],
)
def test_a_line_shows_the_path_and_the_names_of_the_query_only(
    path: str, query: bytes, logged: str
) -> None:
    assert request_target(path, query) == logged


def test_a_long_query_is_cut() -> None:
    target = request_target("/", b"&".join(b"p%d=1" % n for n in range(100)))
    assert target.count("=***") == 20
    assert target.endswith("&...")


class Stream(io.StringIO):
    """Standard output stand-in: what was written, and by which threads."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def write(self, text: str) -> int:
        self.threads.add(threading.get_ident())
        return super().write(text)

    def lines(self) -> list[str]:
        return self.getvalue().splitlines()


@pytest.fixture
def writer() -> Iterator[tuple[RequestLogWriter, Stream]]:
    stream = Stream()
    log_writer = RequestLogWriter(stream)
    log_writer.start()
    yield log_writer, stream
    log_writer.close()


async def app(scope: Any, receive: Any, send: Any) -> None:
    """A bare ASGI app (plain dicts: the typed scopes of Litestar do not fit a test app)."""
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/fails":
        raise RuntimeError("boom")
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_each_request_is_one_line_written_by_another_thread(
    writer: tuple[RequestLogWriter, Stream],
) -> None:
    log_writer, stream = writer
    transport = httpx.ASGITransport(
        app=RequestLog(app, log_writer),  # type: ignore[arg-type]  # dicts vs. TypedDicts
        client=("203.0.113.7", 5000),
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/?email=someone@example.org&x=1")
        with pytest.raises(RuntimeError):
            await http.get("/fails")
    log_writer.close()  # writes what is queued
    lines = stream.lines()
    assert len(lines) == 2
    assert re.fullmatch(r"INFO: {5}GET /\?email=\*\*\*&x=\*\*\* 204 \d+\.\d ms", lines[0])
    assert lines[1].startswith("INFO:     GET /fails 500 ")
    assert "example.org" not in stream.getvalue()
    assert "203.0.113.7" not in stream.getvalue()
    assert threading.get_ident() not in stream.threads


async def test_the_app_shutting_down_writes_what_is_queued(
    writer: tuple[RequestLogWriter, Stream],
) -> None:
    log_writer, stream = writer
    wrapped = RequestLog(app, log_writer)
    log_writer.put(("GET", "/late", b"", 200, 1.0))
    sent: list[Message] = []

    async def receive() -> Any:
        return {"type": "lifespan.shutdown"}

    async def send(message: Message) -> None:
        sent.append(message)

    await wrapped({"type": "lifespan"}, receive, send)  # type: ignore[arg-type]
    assert sent == [{"type": "lifespan.shutdown.complete"}]
    assert stream.lines() == ["INFO:     GET /late 200 1.0 ms"]


def test_a_stalled_output_drops_lines_and_says_so(
    writer: tuple[RequestLogWriter, Stream], monkeypatch: pytest.MonkeyPatch
) -> None:
    log_writer, stream = writer
    log_writer.close()  # nobody takes lines off the queue: the output stalls
    monkeypatch.setattr(logging_config, "MAX_QUEUED", 3)
    for n in range(5):
        log_writer.put(("GET", f"/{n}", b"", 200, 1.0))
    log_writer.start()
    log_writer.put(("GET", "/after", b"", 200, 1.0))
    log_writer.close()
    assert stream.lines() == [
        "WARNING:  request log: 2 lines dropped (output too slow)",
        "INFO:     GET /0 200 1.0 ms",
        "INFO:     GET /1 200 1.0 ms",
        "INFO:     GET /2 200 1.0 ms",
        "INFO:     GET /after 200 1.0 ms",
    ]


def test_with_the_request_log_off_the_app_is_served_bare() -> None:
    logging.config.dictConfig(uvicorn_log_config(request_log=False))
    assert with_request_log(app) is app
    logging.config.dictConfig(uvicorn_log_config(request_log=True))
    try:
        wrapped = with_request_log(app, Stream())
        assert isinstance(wrapped, RequestLog)
        wrapped.writer.close()
    finally:
        logging.config.dictConfig(uvicorn_log_config(request_log=False))
