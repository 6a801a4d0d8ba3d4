"""The public start page lists upcoming public runs and links to the calendar feeds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from litestar import Litestar

from programmes.tables import Cohort, Session
from programmes.vocabulary import ProgrammeKind
from programmes.web import render_thread
from tests.conftest import FROZEN_NOW, app_client
from tests.factories import make_public_run, make_staff
from tests.feed_world import add_session, build_world
from tests.web.helpers import post_form, sign_in


async def test_home_lists_upcoming_public_runs_with_calendar_links(
    client: httpx.AsyncClient,
) -> None:
    world = await build_world()
    await add_session(world.info_run, FROZEN_NOW - timedelta(days=3))  # past: not listed
    await Session.update({Session.status: "cancelled", Session.sequence: 1}).where(
        Session.id == world.sessions["training"][1]
    )
    html = (await client.get("/")).text

    # public runs, soonest first, in Berlin time; internal and draft runs are not listed
    info = html.index("Elterncafé: Schule in NRW")
    training = html.index("Diskriminierung erkennen")
    assert info < training
    assert "Do., 3. Dez. 2026, 18:00–19:30" in html
    assert "Sa., 27. März 2027, 09:00–12:00" in html
    assert 'Mo., 29. März 2027, 09:00–12:00 <strong class="error">abgesagt</strong>' in html
    for hidden in ("Rucksack KiTa –", "Noch geheim", "Herbst 2027", "Sonnenblume 2026"):
        assert hidden not in html
    assert "Nov. 2026" not in html  # the past date

    # "add to calendar" per run, subscriptions for all, per kind and per programme
    assert f'href="/events/{world.info_run}.ics" download' in html
    assert f'href="/events/{world.training_run}.ics" download' in html
    for path in (
        "/feeds/public.ics",
        "/feeds/public.ics?kind=training",
        "/feeds/public.ics?kind=info_event",
        f"/feeds/programmes/{world.training}.ics",
        f"/feeds/programmes/{world.info_event}.ics",
    ):
        assert f'href="webcal://testserver{path}"' in html, path
        assert f'href="http://testserver{path}"' in html, path
    assert f"/feeds/programmes/{world.rucksack}.ics" not in html
    assert "In den Kalender übernehmen" in html
    assert "Abonnieren" in html

    # every linked feed answers
    for href in set(re.findall(r'href="http://testserver(/[^"]+)"', html)):
        assert (await client.get(href.replace("&amp;", "&"))).status_code == 200, href


async def test_home_in_english_links_to_english_feeds(client: httpx.AsyncClient) -> None:
    world = await build_world()
    html = (await client.get("/?lang=en")).text
    assert "Recognising discrimination" in html
    assert "Thu 3 Dec 2026, 18:00–19:30" in html
    assert f'href="/events/{world.info_run}.ics?lang=en" download' in html
    assert 'href="webcal://testserver/feeds/public.ics?kind=training&amp;lang=en"' in html
    assert "Add to calendar" in html
    assert "Subscribe" in html


async def test_home_without_runs(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert "Zurzeit sind keine Termine geplant." in html
    assert 'href="webcal://testserver/feeds/public.ics"' in html


async def test_each_card_says_what_one_needs_and_registers_in_one_tap(
    client: httpx.AsyncClient,
) -> None:
    roomy = await make_public_run(capacity=10)
    few = await make_public_run(capacity=5)
    await Cohort.update({Cohort.seats_taken: 2}).where(Cohort.id == few)  # 3 left: few
    full = await make_public_run(capacity=2, kind=ProgrammeKind.info_event)
    await Cohort.update({Cohort.seats_taken: 2}).where(Cohort.id == full)
    booked = await make_public_run(capacity=2)
    await Cohort.update(
        {Cohort.seats_taken: 2, Cohort.registration_closes_at: FROZEN_NOW - timedelta(days=1)}
    ).where(Cohort.id == booked)
    html = (await client.get("/")).text

    for cohort in (roomy, few, full):
        assert f'href="/events/{cohort}#register"' in html  # the form, straight away
        assert f'<a href="/events/{cohort}">' in html  # the title links to the page
    assert f'href="/events/{booked}#register"' not in html
    cards = {
        cohort: html[html.index(f'<a href="/events/{cohort}">') :].split("</li>\n    <li", 1)[0]
        for cohort in (roomy, few, full, booked)
    }
    assert "Plätze frei" in cards[roomy]
    assert "Wenige Plätze" in cards[few]
    assert "Warteliste" in cards[full] and "Auf die Warteliste" in cards[full]
    assert "Ausgebucht" in cards[booked] and "Die Anmeldung ist geschlossen." in cards[booked]
    # place with a map search, the event's language, Berlin time
    assert "https://www.openstreetmap.org/search?query=Haus%20der%20Kulturen" in cards[roomy]
    assert "Sprache" in cards[roomy] and "Deutsch" in cards[roomy]
    assert "Mi., 9. Dez. 2026, 10:00–12:00" in cards[roomy]
    # the staff link does not read like a registration; every page links the legal pages
    assert "Für Mitarbeitende: Anmelden" in html
    assert "Anmeldung für Mitarbeitende" not in html
    assert 'href="/datenschutz"' in html and 'href="/impressum"' in html


async def test_the_start_page_shows_no_personal_data(client: httpx.AsyncClient) -> None:
    cohort = await make_public_run()
    await post_form(
        client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {"name": "Jana Becker", "email": "jana@example.org", "consent": "on"},
    )
    html = (await client.get("/")).text
    assert "Jana" not in html and "jana@" not in html


async def test_filter_by_kind_and_month(client: httpx.AsyncClient) -> None:
    december = await make_public_run(start=datetime(2026, 12, 9, 9, tzinfo=UTC), dates=1)
    march = await make_public_run(start=datetime(2027, 3, 3, 9, tzinfo=UTC), dates=1)
    info = await make_public_run(
        start=datetime(2027, 3, 10, 9, tzinfo=UTC), dates=1, kind=ProgrammeKind.info_event
    )
    # the last evening of February in Berlin is already March 1st there
    late = await make_public_run(start=datetime(2027, 2, 28, 23, 30, tzinfo=UTC), dates=1)

    def listed(html: str) -> set[int]:
        found = {int(n) for n in re.findall(r'<a href="/events/(\d+)">', html)}
        return found & {december, march, info, late}

    assert listed((await client.get("/")).text) == {december, march, info, late}
    march_page = (await client.get("/?month=2027-03")).text
    assert listed(march_page) == {march, info, late}
    assert '<option value="2027-03" selected>März 2027</option>' in march_page
    assert listed((await client.get("/?kind=training&month=2027-03")).text) == {march, late}
    assert listed((await client.get("/?kind=info_event")).text) == {info}
    empty = (await client.get("/?month=2027-08")).text
    assert "Zu Ihrer Auswahl gibt es keine Termine." in empty
    assert '<a href="/">Alle Termine zeigen</a>' in empty


async def test_a_bad_month_or_kind_is_a_400_in_the_pages_language(
    client: httpx.AsyncClient,
) -> None:
    for month in ("2027-13", "abc", "2027-3", "1999-12", "2027-00"):
        response = await client.get(f"/?month={month}")
        assert response.status_code == 400, month
        assert "Bitte geben Sie den Monat so an: 2027-03." in response.text
    english = await client.get("/?month=2027-13&lang=en")
    assert english.status_code == 400
    assert "Please give the month like 2027-03." in english.text
    kind = await client.get("/?kind=rucksack&lang=de")
    assert kind.status_code == 400
    assert "Bitte wählen Sie Schulungen oder Infoveranstaltungen." in kind.text


async def test_more_than_fifty_events_are_paged(client: httpx.AsyncClient) -> None:
    ids = [
        await make_public_run(start=FROZEN_NOW + timedelta(days=2, hours=n), dates=1)
        for n in range(53)
    ]
    first = (await client.get("/")).text
    assert len(re.findall(r'href="/events/\d+#register"', first)) == 50
    assert "53 Veranstaltungen · Seite 1 von 2" in first
    assert '<a href="/?page=2" rel="next">Spätere Termine</a>' in first
    second = (await client.get("/?page=2")).text
    shown = [int(n) for n in re.findall(r'href="/events/(\d+)#register"', second)]
    assert shown == ids[50:]
    assert '<a href="/" rel="prev">Frühere Termine</a>' in second
    training = (await client.get("/?kind=training&page=2")).text
    assert 'href="/?kind=training" rel="prev"' in training
    assert (await client.get("/?page=3")).status_code == 404
    assert (await client.get("/?page=0")).status_code == 400


async def test_every_public_calendar_on_the_start_page_offers_google_and_outlook(
    client: httpx.AsyncClient,
) -> None:
    """Google Calendar gets the webcal address, Outlook the https one, each in the page's
    language; no personal feed is ever handed to them."""
    world = await build_world()
    html = (await client.get("/?lang=en")).text
    for path in ("/feeds/public.ics?lang=en", f"/feeds/programmes/{world.training}.ics?lang=en"):
        assert "cid=" + quote(f"webcal://testserver{path}", safe="") in html, path
        assert "url=" + quote_plus(f"http://testserver{path}") in html, path
    assert html.count("outlook.live.com") == html.count("calendar.google.com") >= 4
    assert "/feeds/private" not in html


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose page body was rendered (not sent again from `kept_bodies`)."""
    rendered: list[str] = []
    real = render_thread._RenderedOnSend.__call__

    async def counted(self: Any, scope: Any, receive: Any, send: Any) -> None:
        if self._kept() is None:
            rendered.append(scope["path"])
        await real(self, scope, receive, send)

    monkeypatch.setattr(render_thread._RenderedOnSend, "__call__", counted)
    return rendered


async def test_the_start_page_is_rendered_again_only_when_what_it_shows_changes(
    app: Litestar, renders: list[str]
) -> None:
    world = await build_world()
    async with (
        app_client(app, address=("203.0.113.7", 1)) as first,
        app_client(app, address=("198.51.100.9", 2)) as second,
    ):
        page = (await first.get("/")).text
        assert (await second.get("/")).text == page
        assert renders == ["/"]

        # a registration changes no word on the page: it is not rendered again
        registered = await second.post(
            f"/api/v1/events/{world.training_run}/registrations",
            json={"name": "Ada Yılmaz", "email": "ada@example.org", "consent": True},
        )
        assert registered.status_code == 201, registered.text
        assert (await first.get("/")).text == page
        assert renders == ["/"]

        # a new title is shown to the very next visitor (stamped, as every change is)
        await Cohort.update(
            {Cohort.title: "Vorurteile verlernen", Cohort.updated_at: datetime.now(UTC)}
        ).where(Cohort.id == world.training_run)
        changed = (await second.get("/")).text
        assert "Vorurteile verlernen" in changed
        assert (await first.get("/")).text == changed
        assert renders == ["/", "/"]

        # each language and each filter is a page of its own
        turkish = (await first.get("/?lang=tr")).text
        assert 'lang="tr"' in turkish
        assert 'lang="de"' in (await second.get("/")).text
        assert "Vorurteile verlernen" not in (await second.get("/?kind=info_event")).text
        assert renders == ["/", "/", "/", "/"]


async def test_a_signed_in_page_is_never_sent_to_another_visitor(
    app: Litestar, renders: list[str]
) -> None:
    await build_world()
    staff = await make_staff(name="Greta Beispiel")
    async with (
        app_client(app, address=("203.0.113.7", 1)) as visitor,
        app_client(app, address=("198.51.100.9", 2)) as coordinator,
    ):
        await sign_in(coordinator, staff.email)
        assert "Greta Beispiel" in (await coordinator.get("/")).text
        assert "Greta Beispiel" not in (await visitor.get("/")).text
        assert "Greta Beispiel" in (await coordinator.get("/")).text
        assert renders.count("/") == 3  # only the visitor's page could be kept
