"""Logging for the server: uvicorn's format for its own lines, URL secrets masked, and the
request log.

The request log replaces uvicorn's access log. One line per HTTP request, on standard
output like uvicorn's lines:

    INFO:     GET /events/12?lang=*** 200 3.1 ms

method, path, status and duration. Never the client's address, never a query value (the
names stay, each value is `***`), never a token or an e-mail address in the path
(`redaction.request_target`).

It is written off the event loop and costs the loop next to nothing: when the answer is
sent, the request puts a tuple on a queue (`RequestLog`); a `QueueListener` thread
(`RequestLogWriter`) masks the path, builds the line and writes lines in batches. The
standard `QueueHandler` was measured and set aside: a `LogRecord` made on the loop took
24 µs per request inside a busy server (a quarter of a warm feed's whole request), and
records made and formatted in the thread still cost 16 µs of the process's time against
9 µs for the plain line (bench/request_log.py measures the whole server).

The log is on when the `programmes.requests` logger is enabled for INFO, which
`uvicorn_log_config(request_log=True)` does in every worker process (`programmes serve`
without `--no-access-log`).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import logging
import sys
import time
from logging.handlers import QueueListener
from queue import Empty, SimpleQueue
from typing import Any, TextIO

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from programmes.redaction import request_target

REQUEST_LOGGER = "programmes.requests"
#: How long the request log's thread lets lines gather once it has written all it had.
PAUSE = 0.05

#: Requests queued at most; beyond, lines are dropped (and counted) rather than memory
#: used up, should standard output stall.
MAX_QUEUED = 100_000

#: One request as queued by the loop: method, path, query string, status, milliseconds.
Logged = tuple[str, str, bytes, int, float]


def uvicorn_log_config(*, request_log: bool = False) -> dict[str, Any]:
    """uvicorn's logging with URL secrets masked, and the request log on or off.

    uvicorn applies it in every worker process before the app is built; `with_request_log`
    then sees whether the request log is on."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": "programmes.redaction.RedactingFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    config["loggers"][REQUEST_LOGGER] = {
        "level": "INFO" if request_log else "WARNING",
        "propagate": False,
    }
    return config


class RequestLogWriter(QueueListener):
    """The request log's thread: takes queued requests and writes one line for each.

    It takes lines off the queue in batches: when the queue is empty it flushes, then
    pauses for `PAUSE` before it waits for the next request. A thread woken for every
    request would take the GIL from the event loop thousands of times a second (the loop
    hands it over every 0.1 ms, see `app.SWITCH_INTERVAL`); so under load it wakes a few
    times a second and writes many lines with one flush. `close()` writes what is queued
    and ends the thread; it runs when the app shuts down, and at exit."""

    def __init__(self, stream: TextIO) -> None:
        self.requests: SimpleQueue[Logged] = SimpleQueue()
        super().__init__(self.requests)
        self.stream = stream
        self.dropped = 0

    def start(self) -> None:
        super().start()
        atexit.register(self.close)

    def put(self, request: Logged) -> None:
        if self.requests.qsize() < MAX_QUEUED:
            self.requests.put_nowait(request)
        else:
            self.dropped += 1

    def dequeue(self, block: bool) -> Any:
        try:
            return self.requests.get_nowait()
        except Empty:
            with contextlib.suppress(OSError, ValueError):
                self.stream.flush()
            time.sleep(PAUSE)
            return self.requests.get(block)

    def handle(self, record: Any) -> None:
        method, path, query, status, ms = record
        line = f"INFO:     {method} {request_target(path, query)} {status} {ms:.1f} ms\n"
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            line = f"WARNING:  request log: {dropped} lines dropped (output too slow)\n{line}"
        with contextlib.suppress(OSError, ValueError):  # a lost line, never a dead thread
            self.stream.write(line)

    def close(self) -> None:
        if self._thread is not None:  # type: ignore[attr-defined]
            self.stop()
            with contextlib.suppress(OSError, ValueError):
                self.stream.flush()
        atexit.unregister(self.close)


class RequestLog:
    """ASGI wrapper: queues each HTTP request for the log once its answer is sent, and ends
    the log's thread when the app shuts down."""

    def __init__(self, app: ASGIApp, writer: RequestLogWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            if scope["type"] == "lifespan":  # type: ignore[comparison-overlap]
                send = self._closing_at_shutdown(send)
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what uvicorn answers if the app fails before it starts a response

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self.writer.put(
                (
                    scope["method"],
                    scope["path"],
                    scope["query_string"],
                    status,
                    (time.perf_counter() - started) * 1000,
                )
            )

    def _closing_at_shutdown(self, send: Send) -> Send:
        async def send_then_close(message: Message) -> None:
            await send(message)
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                self.writer.close()

        return send_then_close


def with_request_log(app: ASGIApp, stream: TextIO | None = None) -> ASGIApp:
    """`app` wrapped in the request log if the log is on (see `uvicorn_log_config`), else
    `app` itself: with the log off a request pays nothing for it. Lines go to `stream`
    (standard output by default)."""
    if not logging.getLogger(REQUEST_LOGGER).isEnabledFor(logging.INFO):
        return app
    writer = RequestLogWriter(stream or sys.stdout)
    writer.start()
    return RequestLog(app, writer)
