"""The request log: what a line shows of a request, and that lines are written by a
thread of their own (tests/web/test_feed_token_logging.py reads a real server's output)."""

from __future__ import annotations

import logging
import logging.config
import threading
from collections.abc import Iterator

import httpx
import pytest
from litestar.types import Receive, Scope, Send

from programmes.logging_config import (
    REQUEST_LOGGER,
    QueuedHandler,
    RequestLog,
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


class Lines(logging.Handler):
    """Collects formatted lines and the threads that wrote them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.threads: set[int] = set()
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.threads.add(threading.get_ident())


@pytest.fixture
def logger() -> Iterator[tuple[logging.Logger, Lines, QueuedHandler]]:
    lines = Lines()
    queued = QueuedHandler(lines)
    log = logging.getLogger("tests.request_log")
    log.addHandler(queued)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, lines, queued
    log.removeHandler(queued)
    queued.close()


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/fails":
        raise RuntimeError("boom")
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


async def test_each_request_is_one_line_written_by_another_thread(
    logger: tuple[logging.Logger, Lines, QueuedHandler],
) -> None:
    log, lines, queued = logger
    transport = httpx.ASGITransport(app=RequestLog(app, log), client=("203.0.113.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        await http.get("/?email=someone@example.org&x=1")
        with pytest.raises(RuntimeError):
            await http.get("/fails")
    queued.close()  # writes what is queued
    assert len(lines.lines) == 2
    assert lines.lines[0].startswith("GET /?email=***&x=*** 204 ")
    assert lines.lines[0].endswith(" ms")
    assert lines.lines[1].startswith("GET /fails 500 ")
    assert "example.org" not in "".join(lines.lines)
    assert "203.0.113.7" not in "".join(lines.lines)
    assert threading.get_ident() not in lines.threads


def test_a_closed_handler_starts_again_and_loses_nothing(
    logger: tuple[logging.Logger, Lines, QueuedHandler],
) -> None:
    # logging.config.dictConfig (which Litestar runs when it builds an app) closes every
    # handler but leaves them on their loggers
    log, lines, queued = logger
    log.info("before")
    queued.close()
    log.info("after")
    queued.close()
    assert lines.lines == ["before", "after"]


def test_with_the_request_log_off_the_app_is_served_bare() -> None:
    logging.config.dictConfig(uvicorn_log_config(request_log=False))
    assert with_request_log(app) is app
    logging.config.dictConfig(uvicorn_log_config(request_log=True))
    try:
        wrapped = with_request_log(app)
        assert isinstance(wrapped, RequestLog)
    finally:
        logging.config.dictConfig(uvicorn_log_config(request_log=False))
    assert logging.getLogger(REQUEST_LOGGER).handlers == []
