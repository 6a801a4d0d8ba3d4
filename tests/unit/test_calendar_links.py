"""Links to calendar feeds for pages (programmes.web.calendar_links)."""

from __future__ import annotations

from programmes.web.calendar_links import CalendarLinks


def test_german_links_have_no_language_parameter() -> None:
    links = CalendarLinks("https://programme.example.org", "de")
    link = links.public("Alle")
    assert link.https == "https://programme.example.org/feeds/public.ics"
    assert link.webcal == "webcal://programme.example.org/feeds/public.ics"
    assert links.public("T", "training").https.endswith("/feeds/public.ics?kind=training")
    assert links.programme("P", 7).webcal == "webcal://programme.example.org/feeds/programmes/7.ics"
    assert links.event(12) == "/events/12.ics"


def test_english_links_ask_for_english_feeds_and_keep_the_port() -> None:
    links = CalendarLinks("http://127.0.0.1:8000", "en")
    assert links.public("All", "info_event").webcal == (
        "webcal://127.0.0.1:8000/feeds/public.ics?kind=info_event&lang=en"
    )
    assert (
        links.private("cal_abc").https == "http://127.0.0.1:8000/feeds/private/cal_abc.ics?lang=en"
    )
    assert links.event(3) == "/events/3.ics?lang=en"
