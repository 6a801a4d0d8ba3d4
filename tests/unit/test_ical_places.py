"""Where an entry takes place: LOCATION always, and when the coordinates are known GEO and
Apple's X-APPLE-STRUCTURED-LOCATION, valid for libical, icalendar and Home Assistant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from programmes.ical import CalendarInfo, FeedEvent, Geo, render_feed
from tests.libical import problems

HOST = "programme.example.org"


def event(**overrides: Any) -> FeedEvent:
    values: dict[str, Any] = {
        "session_id": 7,
        "sequence": 0,
        "cancelled": False,
        "starts_at": datetime(2027, 3, 1, 16, tzinfo=UTC),
        "ends_at": datetime(2027, 3, 1, 18, tzinfo=UTC),
        "updated_at": datetime(2026, 11, 20, 8, tzinfo=UTC),
        "summary": "Elterncafé",
        "location": "Haus der Kulturen, Kaiserstraße 12, 45699 Herten",
        "description": "Sprache: Deutsch",
        "url": f"https://{HOST}/events/3",
        "category": "Infoveranstaltung",
        "transparent": True,
    }
    values.update(overrides)
    return FeedEvent(**values)


def test_coordinates_give_geo_and_apple_structured_location() -> None:
    geo = Geo(
        51.5987654321,
        7.1234,
        title='Haus der Kulturen, "Saal"; 1',
        address="Kaiserstraße 12,\r\n45699 Herten",
    )
    body = render_feed(
        name=CalendarInfo("Termine", "Alle Termine", "teal", f"https://{HOST}/feeds/public.ics"),
        events=[event(geo=geo), event(session_id=8)],
        host=HOST,
    )
    assert problems(body) == []
    (with_geo, without) = Calendar.from_ical(body).events
    written: Any = with_geo["GEO"]
    assert (written.latitude, written.longitude) == (51.598765, 7.1234)
    apple = with_geo["X-APPLE-STRUCTURED-LOCATION"]
    assert str(apple) == "geo:51.598765,7.123400"
    assert apple.params["X-TITLE"] == "Haus der Kulturen, 'Saal'; 1"  # no quote in a parameter
    assert apple.params["X-ADDRESS"] == "Kaiserstraße 12, 45699 Herten"  # no line break
    assert str(with_geo["LOCATION"]) == "Haus der Kulturen, Kaiserstraße 12, 45699 Herten"
    assert "GEO" not in without and "X-APPLE-STRUCTURED-LOCATION" not in without
    read = IcsCalendarStream.calendar_from_ics(body.decode())
    assert read.events[0].geo is not None
    assert (read.events[0].geo.lat, read.events[0].geo.lng) == (51.598765, 7.1234)
    assert read.events[1].geo is None


@pytest.mark.parametrize(("latitude", "longitude"), [(91, 7), (-90.5, 7), (51, 180.1), (51, -181)])
def test_coordinates_out_of_range_are_refused(latitude: float, longitude: float) -> None:
    with pytest.raises(ValueError, match="between"):
        Geo(latitude, longitude)


def test_a_reminder_is_between_zero_and_a_week() -> None:
    assert event(alarm=timedelta(0)).alarm == timedelta(0)
    assert event(alarm=timedelta(days=7)).alarm == timedelta(days=7)
    for bad in (timedelta(minutes=-1), timedelta(days=7, seconds=1)):
        with pytest.raises(ValueError, match="alarm"):
            event(alarm=bad)
