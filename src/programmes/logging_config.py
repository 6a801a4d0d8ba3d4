"""Logging for the server: uvicorn's format for its own lines, URL secrets masked, and the
request log.

The request log replaces uvicorn's access log. One line per HTTP request:

    INFO:     GET /events/12?lang=*** 200 3.1 ms

method, path, status and duration. Never the client's address, never a query value (the
names stay, each value is `***`), never a token or an e-mail address in the path
(`redaction.request_target`). It is written off the event loop: the request only puts a
record on a queue (`QueuedHandler`); a thread of its own builds the line and writes it. A
line is cheap to queue and the masking and writing happen in that thread, so logging every
request costs a worker little of its throughput (bench/request_log.py measures it).
"""

from __future__ import annotations

import copy
import logging
import sys
import time
from logging.handlers import QueueHandler, QueueListener
from queue import SimpleQueue
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import LOGGING_CONFIG

from programmes.redaction import request_target

REQUEST_LOGGER = "programmes.requests"


def uvicorn_log_config(*, request_log: bool = False) -> dict[str, Any]:
    """uvicorn's logging with URL secrets masked, and the request log on or off.

    uvicorn applies it in every worker process before the app is built; `with_request_log`
    then sees whether the request log is on."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": "programmes.redaction.RedactingFilter"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact")
    if request_log:
        config["handlers"]["requests"] = {"()": "programmes.logging_config.request_log_handler"}
    config["loggers"][REQUEST_LOGGER] = {
        "handlers": ["requests"] if request_log else [],
        "level": "INFO" if request_log else "WARNING",
        "propagate": False,
    }
    return config


class QueuedHandler(QueueHandler):
    """Hands each record to a thread of its own, which formats and writes it with `target`.

    The record goes on the queue as it is (the standard `prepare` would build the message
    on the caller's thread, the event loop); arguments are strings and numbers, so nothing
    changes under the thread's feet. Closing the handler writes what is queued and ends
    the thread; a record after that starts it again, because `logging.config.dictConfig`
    closes every handler it finds and leaves them attached to their loggers (Litestar
    configures logging so whenever an app is built), and a stopped thread would let
    records pile up in the queue unwritten."""

    def __init__(self, target: logging.Handler) -> None:
        super().__init__(SimpleQueue())
        self._target = target
        self._listener: QueueListener | None = None
        self._start()

    def _start(self) -> None:
        self._listener = _Listener(self.queue, self._target)
        self._listener.start()

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record

    def emit(self, record: logging.LogRecord) -> None:
        if self._listener is None:
            self._start()
        super().emit(record)

    def close(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            listener, self._listener = self._listener, None
            if listener is not None:
                listener.stop()
        super().close()


class _Listener(QueueListener):
    """Flushes its handlers when the queue runs empty, not after every line: under load
    many lines go out in one write."""

    def handle(self, record: logging.LogRecord) -> None:
        super().handle(record)
        if self.queue.empty():  # type: ignore[attr-defined]
            for handler in self.handlers:
                handler.flush()


class _LineWriter(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that leaves flushing to `_Listener`."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
        except Exception:
            self.handleError(record)


def request_log_handler() -> QueuedHandler:
    """The request log's handler: on standard output like uvicorn's lines, from a thread.

    A plain format that lines up with uvicorn's "INFO:     " prefix (the request log only
    writes INFO): uvicorn's own formatter copies every record to colour it, a third of the
    line's cost."""
    target = _LineWriter(sys.stdout)
    target.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    return QueuedHandler(target)


class RequestLog:
    """ASGI wrapper: one request-log record per HTTP request, once the answer is sent.

    The record carries the raw path and query string; the line's masked target is built
    when the record is formatted (in the log's thread), by `redaction.request_target`."""

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:  # websockets, and uvicorn's lifespan messages
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
            self.logger.info(
                "%s %s %d %.1f ms",
                scope["method"],
                _Target(scope["path"], scope["query_string"]),
                status,
                (time.perf_counter() - started) * 1000,
            )


class _Target:
    """The request's path and query, masked only when a line is written."""

    __slots__ = ("path", "query")

    def __init__(self, path: str, query: bytes) -> None:
        self.path = path
        self.query = query

    def __str__(self) -> str:
        return request_target(self.path, self.query)


def with_request_log(app: ASGIApp) -> ASGIApp:
    """`app` wrapped in the request log if the log is on (see `uvicorn_log_config`), else
    `app` itself: with the log off a request pays nothing for it."""
    logger = logging.getLogger(REQUEST_LOGGER)
    if not logger.isEnabledFor(logging.INFO):
        return app
    return RequestLog(app, logger)
