"""HTTP validators and content negotiation for cached bodies (RFC 9110): pure functions.

* `If-None-Match`: "*" or a list of entity tags, strong or weak (`W/"…"`); compared with
  the weak comparison the RFC prescribes for this header (the opaque tags must be equal).
  When present, `If-Modified-Since` is ignored.
* `If-Modified-Since`: an HTTP-date; anything that does not parse, or lies in the future,
  is ignored (the full response is sent).
* `Accept-Encoding`: gzip when `gzip` (or `x-gzip`, or `*`) is acceptable with q > 0.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[^"]*"|[^",\s]+)\s*(?:,|$)')


@functools.lru_cache(maxsize=1024)
def entity_tags(header: str) -> tuple[str, ...] | None:
    """The opaque tags of an `If-None-Match` value (quoted), ("*",), or None if unreadable.
    Cached: calendar apps send the same value again and again."""
    if len(header) > 4096:
        return None
    header = header.strip()
    if header == "*":
        return ("*",)
    tags: list[str] = []
    position = 0
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None or match.end() == position:
            return None
        tag = match.group(1)
        tags.append(tag if tag.startswith('"') else f'"{tag}"')
        position = match.end()
    return tuple(tags) or None


def none_match(header: str | None, current: Iterable[str]) -> bool | None:
    """True when `If-None-Match` matches a current tag (answer 304), False when it does
    not, None when the header is absent (then `If-Modified-Since` decides)."""
    if header is None:
        return None
    tags = entity_tags(header)
    if tags is None:
        return False
    if "*" in tags:
        return True
    return bool(set(tags).intersection(current))


def parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000" or no zone: HTTP dates are always UTC
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def not_modified_since(
    header: str | None, last_modified: datetime | None, *, now: datetime
) -> bool:
    """True when `If-Modified-Since` says the client's copy is current."""
    if header is None or last_modified is None:
        return False
    since = parse_http_date(header)
    if since is None or since > now:
        return False
    return last_modified.replace(microsecond=0) <= since


def is_not_modified(
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    etags: Iterable[str],
    last_modified: datetime | None,
    now: datetime,
) -> bool:
    matched = none_match(if_none_match, etags)
    if matched is not None:
        return matched
    return not_modified_since(if_modified_since, last_modified, now=now)


@functools.lru_cache(maxsize=256)
def accepts_gzip(header: str | None) -> bool:
    if not header:
        return False
    gzip_q: float | None = None
    star_q: float | None = None
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        coding = coding.strip().lower()
        q = _quality(params)
        if coding in ("gzip", "x-gzip"):
            gzip_q = q if gzip_q is None else max(gzip_q, q)
        elif coding == "*":
            star_q = q
    if gzip_q is not None:
        return gzip_q > 0
    return star_q is not None and star_q > 0


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)
