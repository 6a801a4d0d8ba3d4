"""The start page reads its runs again only when what it shows may have changed, and then
shows the change on the very next request, in every worker (`enrolment.listing_cache`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from litestar import Litestar

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.domain.enrolment.listing_cache import ListingCache
from programmes.settings import Settings
from programmes.tables import Cohort
from tests.conftest import app_client, running
from tests.factories import make_public_run


def reads(app: Litestar) -> int:
    listings: ListingCache = app.state.listings
    return listings.reads


def card(html: str, cohort: int) -> str:
    """The start page's card of one run."""
    start = html.index(f'<a href="/events/{cohort}">')
    return html[start:].split('<li class="run card">', 1)[0]


async def register(client: httpx.AsyncClient, cohort: int, seats: int, n: int) -> None:
    answer = await client.post(
        f"/api/v1/events/{cohort}/registrations",
        json={
            "name": f"Gast {n}",
            "email": f"gast{n}@example.org",
            "seats": seats,
            "consent": True,
        },
    )
    assert answer.status_code == 201, answer.text


async def test_seats_taken_show_at_once_and_cost_a_read_only_when_the_words_change(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    run = await make_public_run(capacity=8, max_seats=3)
    assert "Plätze frei" in card((await client.get("/")).text, run)
    assert reads(app) == 1

    # 8 -> 5 free: still "places free", so the kept runs still hold
    await register(client, run, 3, 1)
    assert "Plätze frei" in card((await client.get("/")).text, run)
    assert reads(app) == 1

    # 5 -> 2 free: "few places left" on the very next request
    await register(client, run, 3, 2)
    assert "Wenige Plätze" in card((await client.get("/")).text, run)
    assert reads(app) == 2

    # full: the waiting list, and the button says so
    await register(client, run, 2, 3)
    full = card((await client.get("/")).text, run)
    assert "Warteliste" in full and "Auf die Warteliste" in full
    assert reads(app) == 3


async def test_a_change_through_one_worker_shows_on_the_other_at_once(
    app: Litestar, client: httpx.AsyncClient, settings: Settings, clock: FrozenClock
) -> None:
    run = await make_public_run(capacity=2, max_seats=2)
    async with running(create_app(settings, clock=clock)) as other, app_client(other) as second:
        assert "Wenige Plätze" in card((await second.get("/")).text, run)
        assert "Wenige Plätze" in card((await client.get("/")).text, run)

        await register(client, run, 2, 1)  # through the first worker
        assert "Warteliste" in card((await second.get("/")).text, run)

        # a renamed run (stamped, as every change is) too
        await Cohort.update(
            {Cohort.title: "Vorurteile verlernen", Cohort.updated_at: datetime.now(UTC)}
        ).where(Cohort.id == run)
        assert "Vorurteile verlernen" in card((await second.get("/")).text, run)
        assert "Vorurteile verlernen" in card((await client.get("/")).text, run)


async def test_time_alone_opens_registration_and_drops_runs_that_are_over(
    app: Litestar, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    # a day after the rows' stamps: no change is recent enough to be read again anyway
    clock.at = datetime.now(UTC) + timedelta(days=1)
    soon = await make_public_run(dates=1, start=clock.at + timedelta(hours=2))
    later = await make_public_run(start=clock.at + timedelta(days=14))
    await Cohort.update(
        {
            Cohort.registration_opens_at: clock.at + timedelta(hours=1),
            Cohort.updated_at: datetime.now(UTC),
        }
    ).where(Cohort.id == later)

    html = (await client.get("/")).text
    assert f'href="/events/{soon}#register"' in html
    assert "Die Anmeldung beginnt am" in card(html, later)
    assert f'href="/events/{later}#register"' not in html

    clock.advance(timedelta(hours=1))  # registration opens; nothing in the data changed
    html = (await client.get("/")).text
    assert f'href="/events/{later}#register"' in html

    clock.advance(timedelta(hours=3))  # the only date of `soon` has ended
    html = (await client.get("/")).text
    assert f'<a href="/events/{soon}">' not in html
    assert f'<a href="/events/{later}">' in html


async def test_a_change_that_commits_late_shows_within_seconds(
    app: Litestar, client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    """A transaction stamps its rows before it may wait for the write lock, so its commit
    can land after a newer stamp: the catalogue's fingerprint misses it, and the runs read
    shortly after a change are read again every 2 s until the change has settled."""
    renamed = await make_public_run()
    other = await make_public_run()
    clock.at = datetime.now(UTC)  # the app's clock and the stamps agree here
    await Cohort.update({Cohort.updated_at: clock.at}).where(Cohort.id == other)
    assert "Vorurteile verlernen" not in (await client.get("/")).text

    # committed now, stamped a second before the newest stamp
    await Cohort.update(
        {Cohort.title: "Vorurteile verlernen", Cohort.updated_at: clock.at - timedelta(seconds=1)}
    ).where(Cohort.id == renamed)
    assert "Vorurteile verlernen" not in (await client.get("/")).text  # missed, for now

    clock.advance(timedelta(seconds=2))
    assert "Vorurteile verlernen" in card((await client.get("/")).text, renamed)


async def test_every_filter_and_language_reads_the_same_fresh_runs(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    run = await make_public_run(capacity=3, max_seats=3)
    pages = ("/", "/?kind=training", "/?lang=en", "/?lang=ar&kind=training")
    for path in pages:
        assert f'href="/events/{run}#register"' in (await client.get(path)).text

    await register(client, run, 3, 1)
    for path in pages:
        html = (await client.get(path)).text
        words = re.findall(r'availability-(\w+)"', card(html, run))
        assert words == ["waiting_list"], path
