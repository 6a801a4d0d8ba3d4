"""The public start page lists upcoming public runs and links to the calendar feeds."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from programmes.tables import Session
from tests.conftest import FROZEN_NOW
from tests.feed_world import add_session, build_world


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
