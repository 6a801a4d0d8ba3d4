"""Reading a browser's Accept-Language, and dates written the way each language writes
them (Europe/Berlin)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from programmes import formatting, i18n
from programmes.clock import BERLIN


@pytest.mark.parametrize(
    ("header", "offered", "chosen"),
    [
        ("tr-TR,tr;q=0.9", i18n.LANGUAGES, "tr"),
        ("de;q=0.5, ar", i18n.LANGUAGES, "ar"),
        ("en;q=0, tr;q=0.1", i18n.LANGUAGES, "tr"),  # q=0: not this one
        ("fr-FR, fr;q=0.9", i18n.LANGUAGES, None),
        ("ar-EG;q=nonsense, en", i18n.LANGUAGES, "en"),
        ("tr, ar", i18n.STAFF_LANGUAGES, None),
        ("tr, EN-gb;q=0.3", i18n.STAFF_LANGUAGES, "en"),
        ("", i18n.LANGUAGES, None),
        ("*", i18n.LANGUAGES, None),
        ("de;q=0.8, en;q=0.8", i18n.LANGUAGES, "de"),  # a tie keeps the header's order
    ],
)
def test_accept_language(header: str, offered: tuple[str, ...], chosen: str | None) -> None:
    assert i18n.accepted_language(header, offered) == chosen


def test_normalise_language() -> None:
    assert i18n.normalise_language("tr_TR") == "tr"
    assert i18n.normalise_language("AR") == "ar"
    assert i18n.normalise_language("tr", i18n.STAFF_LANGUAGES) is None
    assert i18n.normalise_language("xx") is None


NEW_YEARS_EVE = datetime(2026, 12, 31, 18, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("de", "Donnerstag, 31. Dezember 2026"),
        ("en", "Thursday, 31 December 2026"),
        ("tr", "31 Aralık 2026 Perşembe"),
        ("ar", "الخميس، 31 ديسمبر 2026"),
        ("fr", "jeu. 31 déc. 2026"),  # a language without patterns: Babel's own form
    ],
)
def test_long_dates_in_each_language(language: str, written: str) -> None:
    assert formatting.local_datetime(NEW_YEARS_EVE, language, formatting.LONG_DATE) == written


def test_certificate_dates_and_ranges() -> None:
    assert formatting.local_date(date(2027, 3, 1), "en", formatting.DAY_MONTH_YEAR) == (
        "1 March 2027"
    )
    assert formatting.local_date(date(2027, 3, 1), "tr", formatting.DAY_MONTH_YEAR) == "1 Mart 2027"
    ends = NEW_YEARS_EVE.replace(hour=20)
    assert formatting.berlin_range(NEW_YEARS_EVE, ends, "de") == "Do., 31. Dez. 2026, 18:00–20:00"
    assert formatting.berlin_range(NEW_YEARS_EVE, ends, "en") == "Thu 31 Dec 2026, 18:00–20:00"
    # Arabic: the two times isolated left to right, else they show as "20:00–18:00"
    assert formatting.berlin_range(NEW_YEARS_EVE, ends, "ar") == (
        "الخميس 31 ديسمبر 2026، \u206618:00–20:00\u2069"
    )
