"""Masking secrets and personal data that travel in URLs (feed tokens, cancel tokens,
e-mail addresses) before anything is logged. Used by the request log, the log filter of
uvicorn's own lines and the error logger."""

from __future__ import annotations

import logging
import re

_SECRET_IN_PATH = re.compile(r"(/feeds/private/|/cancel/|token=)([^/?&\s\"]+)")
_ADDRESS_IN_PATH = re.compile(r"[^/\s@]+@[^/\s@]+")
#: Query parameter names that are shown in the request log; any other name is masked too
#: (someone may send an address as a name: `?someone@example.org`).
_PLAIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-\[\]]{0,39}")
MASK = "***"
#: At most this many query parameters are shown in the request log.
MAX_NAMES = 20


def redact(text: str) -> str:
    return _SECRET_IN_PATH.sub(lambda m: m.group(1) + MASK, text)


def request_target(path: str, query: bytes) -> str:
    """A request's path and query for the log: tokens and e-mail addresses in the path are
    masked, and so is every query value (the names stay, when they are plain words):
    `/feeds/private/***.ics?lang=***`. Runs for every logged request, so the common case
    (nothing to mask) is a few substring checks."""
    target = path
    if "/feeds/private/" in target or "/cancel/" in target or "token=" in target:
        target = redact(target)
    if "@" in target:
        target = _ADDRESS_IN_PATH.sub(MASK, target)
    if not query:
        return target
    # names are not decoded: an encoded one ("%40", "+") is not a plain word, so it is masked
    names = [field.partition("=")[0] for field in query.decode("latin-1").split("&") if field]
    shown = "&".join(
        f"{name if _PLAIN_NAME.fullmatch(name) else MASK}={MASK}" for name in names[:MAX_NAMES]
    )
    if len(names) > MAX_NAMES:
        shown += "&..."
    return f"{target}?{shown}" if shown else target


class RedactingFilter(logging.Filter):
    """A logging filter that masks URL secrets in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True
