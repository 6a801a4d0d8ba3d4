"""HTTP validators and content negotiation (programmes.web.conditional)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from programmes.web.conditional import (
    accepts_gzip,
    entity_tags,
    http_date,
    is_not_modified,
    none_match,
    parse_http_date,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CHANGED = datetime(2026, 11, 20, 7, 30, 12, 345678, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "tags"),
    [
        ('"abc"', ['"abc"']),
        ('W/"abc"', ['"abc"']),
        ('"a", "b",W/"c"', ['"a"', '"b"', '"c"']),
        ("*", ["*"]),
        (" * ", ["*"]),
        ('""', ['""']),
        ("abc", ['"abc"']),  # unquoted, as some clients send it
        ('"a,b"', ['"a,b"']),
        ('"unterminated', None),
        ("", None),
        (",", None),
    ],
)
def test_entity_tags(header: str, tags: list[str] | None) -> None:
    assert entity_tags(header) == (tuple(tags) if tags is not None else None)


def test_none_match_uses_weak_comparison() -> None:
    current = ['"abc"', '"abc-gz"']
    assert none_match(None, current) is None
    assert none_match('"abc"', current) is True
    assert none_match('W/"abc-gz"', current) is True
    assert none_match('"x", W/"abc"', current) is True
    assert none_match("*", current) is True
    assert none_match('"abd"', current) is False
    assert none_match('"ab', current) is False


@pytest.mark.parametrize(
    "value",
    [
        "Fri, 20 Nov 2026 07:30:12 GMT",  # IMF-fixdate
        "Friday, 20-Nov-26 07:30:12 GMT",  # RFC 850
        "Fri Nov 20 07:30:12 2026",  # asctime
    ],
)
def test_http_dates_in_every_form_the_rfc_allows(value: str) -> None:
    assert parse_http_date(value) == CHANGED.replace(microsecond=0)


@pytest.mark.parametrize("value", ["", "yesterday", "0", "Fri, 32 Nov 2026 07:30:12 GMT", "\x00"])
def test_bad_dates_are_none(value: str) -> None:
    assert parse_http_date(value) is None


def test_if_modified_since() -> None:
    def check(ims: str | None, inm: str | None = None) -> bool:
        return is_not_modified(
            if_none_match=inm,
            if_modified_since=ims,
            etags=['"abc"'],
            last_modified=CHANGED,
            now=NOW,
        )

    assert check(http_date(CHANGED)) is True  # same second (sub-second part dropped)
    assert check(http_date(CHANGED + timedelta(days=1))) is True
    assert check(http_date(CHANGED - timedelta(seconds=1))) is False
    assert check("not a date") is False
    assert check(http_date(NOW + timedelta(days=1))) is False  # from the future: ignored
    assert check(http_date(CHANGED), inm='"other"') is False  # If-None-Match wins
    assert check(None, inm='"abc"') is True
    assert check(None) is False


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("gzip", True),
        ("GZIP", True),
        ("deflate, gzip;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000", False),
        ("gzip; q=0, *", False),
        ("*;q=0", False),
        ("br", False),
        ("identity", False),
        ("gzip;q=abc", False),
    ],
)
def test_accepts_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def test_http_date_is_gmt() -> None:
    assert http_date(CHANGED) == "Fri, 20 Nov 2026 07:30:12 GMT"
