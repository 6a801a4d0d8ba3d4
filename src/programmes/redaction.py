"""Masking secrets that travel in URLs (feed tokens, cancel tokens) before anything is
logged. Used by the access-log filter and by the error logger."""

from __future__ import annotations

import logging
import re

_SECRET_IN_PATH = re.compile(r"(/feeds/private/|/cancel/|token=)([^/?&\s\"]+)")


def redact(text: str) -> str:
    return _SECRET_IN_PATH.sub(lambda m: m.group(1) + "***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that masks URL secrets in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True
