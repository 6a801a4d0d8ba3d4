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


def test_google_and_outlook_links_carry_the_public_feed_in_the_page_language() -> None:
    from urllib.parse import parse_qs, unquote, urlsplit

    link = CalendarLinks("https://programme.example.org", "en").run("Elterncafé & more", 5)
    assert link.webcal == "webcal://programme.example.org/events/5.ics?lang=en"
    google = urlsplit(link.google)
    assert (google.scheme, google.netloc) == ("https", "calendar.google.com")
    assert unquote(google.query.removeprefix("cid=")) == link.webcal
    outlook = urlsplit(link.outlook)
    assert (outlook.scheme, outlook.netloc) == ("https", "outlook.live.com")
    query = parse_qs(outlook.query)
    assert query == {
        "url": ["https://programme.example.org/events/5.ics?lang=en"],
        "name": ["Elterncafé & more"],
    }
    german = CalendarLinks("https://programme.example.org", "de").run("x", 5)
    assert german.https == "https://programme.example.org/events/5.ics"
