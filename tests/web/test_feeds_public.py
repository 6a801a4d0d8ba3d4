"""Public feeds over HTTP: what they contain, and what they never contain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from icalendar import Calendar
from litestar import Litestar

from programmes.clock import FrozenClock
from programmes.tables import Cohort, Programme, Session
from programmes.vocabulary import ProgrammeKind, PublicationStatus
from tests.conftest import FROZEN_NOW
from tests.feed_world import (
    STAMP,
    World,
    add_cohort,
    add_programme,
    add_session,
    berlin,
    build_world,
)
from tests.web.feed_helpers import HOST, events, fetch, parse

EVENT_PROPERTIES = {
    "UID",
    "SEQUENCE",
    "STATUS",
    "DTSTAMP",
    "LAST-MODIFIED",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "URL",
    "CATEGORIES",
    "TRANSP",
}


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world()


async def test_public_feed_has_the_public_runs_and_nothing_else(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await fetch(client, "/feeds/public.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert set(events(response.content)) == world.session_ids("training", "info")


@pytest.mark.parametrize(("kind", "names"), [("training", ["training"]), ("info_event", ["info"])])
async def test_kind_filter(
    client: httpx.AsyncClient, world: World, kind: str, names: list[str]
) -> None:
    response = await fetch(client, f"/feeds/public.ics?kind={kind}")
    assert response.status_code == 200
    assert set(events(response.content)) == world.session_ids(*names)


@pytest.mark.parametrize("kind", ["rucksack", "workshop", "TRAINING", "training,info_event", "ü"])
async def test_unknown_kind_is_400_naming_the_allowed_values(
    client: httpx.AsyncClient, world: World, kind: str
) -> None:
    response = await client.get("/feeds/public.ics", params={"kind": kind})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "kind"
    assert "training, info_event" in body["detail"]


async def test_entries_carry_what_a_calendar_needs(client: httpx.AsyncClient, world: World) -> None:
    body = (await fetch(client, "/feeds/public.ics")).content
    calendar = parse(body)
    assert str(calendar["X-WR-CALNAME"]) == "Haus der Kulturen Herten: Öffentliche Termine"
    assert "METHOD" not in calendar  # a feed is no iTIP message (docs/calendars.md)
    assert calendar.refresh_interval == timedelta(hours=1)
    first = world.sessions["training"][0]
    by_id = events(body)
    entry = by_id[first]
    assert set(entry.keys()) == EVENT_PROPERTIES
    assert str(entry["UID"]) == f"session-{first}@{HOST}"
    assert entry["SEQUENCE"] == 0
    assert str(entry["STATUS"]) == "CONFIRMED"
    assert str(entry["SUMMARY"]) == "Diskriminierung erkennen – Frühjahr 2027"
    assert str(entry["LOCATION"]) == "Haus der Kulturen, Raum 2"
    page = f"http://{HOST}/events/{world.training_run}"
    assert str(entry["DESCRIPTION"]) == (
        f"Sprache: Deutsch\nDetails: {page}\nAnmeldung: {page}#register"
    )
    assert str(entry["TRANSP"]) == "TRANSPARENT"
    assert str(entry["URL"]) == f"http://{HOST}/events/{world.training_run}"
    assert entry.categories == ["Training"]
    assert entry.DTSTAMP == entry.LAST_MODIFIED == STAMP.astimezone(UTC)
    info = by_id[world.sessions["info"][0]]
    assert info.categories == ["Infoveranstaltung"]
    assert str(info["DESCRIPTION"]).startswith("Sprache: Deutsch, Türkisch\nDetails: ")


async def test_english_feed(client: httpx.AsyncClient, world: World) -> None:
    body = (await fetch(client, "/feeds/public.ics?lang=en")).content
    calendar = parse(body)
    assert str(calendar["X-WR-CALNAME"]) == "Haus der Kulturen Herten: Public dates"
    entry = events(body)[world.sessions["training"][0]]
    assert str(entry["SUMMARY"]) == "Recognising discrimination – Frühjahr 2027"
    page = f"http://{HOST}/events/{world.training_run}?lang=en"
    assert str(entry["DESCRIPTION"]) == (
        f"Language: Deutsch\nDetails: {page}\nRegistration: {page}#register"
    )
    assert str(entry["UID"]) == f"session-{world.sessions['training'][0]}@{HOST}"


async def test_vtimezone_and_local_times_across_daylight_saving(
    client: httpx.AsyncClient, world: World
) -> None:
    """2027-03-28 is the switch to summer time: 09:00 stays 09:00 on both sides."""
    body = (await fetch(client, "/feeds/public.ics")).content
    calendar = parse(body)
    (timezone,) = calendar.timezones
    assert str(timezone["TZID"]) == "Europe/Berlin"
    assert [c.name for c in timezone.subcomponents] == ["DAYLIGHT", "STANDARD"]
    before, after = (events(body)[s] for s in world.sessions["training"])
    for entry, offset in ((before, 1), (after, 2)):
        assert entry["DTSTART"].params["TZID"] == "Europe/Berlin"
        start, end = entry.start, entry.end
        assert isinstance(start, datetime) and isinstance(end, datetime)
        assert (start.hour, start.minute) == (9, 0)
        assert start.utcoffset() == timedelta(hours=offset)
        assert end.hour == 12
    assert b"DTSTART;TZID=Europe/Berlin:20270327T090000\r\n" in body
    assert b"DTSTART;TZID=Europe/Berlin:20270329T090000\r\n" in body
    assert isinstance(before.start, datetime) and isinstance(after.start, datetime)
    assert before.start.astimezone(UTC).hour == 8
    assert after.start.astimezone(UTC).hour == 7


async def test_programme_feed(client: httpx.AsyncClient, world: World) -> None:
    response = await fetch(client, f"/feeds/programmes/{world.training}.ics")
    assert response.status_code == 200
    assert set(events(response.content)) == world.session_ids("training")
    calendar = parse(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Haus der Kulturen Herten: Diskriminierung erkennen"


async def test_event_file_has_every_date_of_the_run(
    client: httpx.AsyncClient, world: World
) -> None:
    response = await fetch(client, f"/events/{world.training_run}.ics")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="event-{world.training_run}.ics"'
    )
    assert set(events(response.content)) == world.session_ids("training")
    # a date outside the window of the feeds is still in the event file
    far = await add_session(world.training_run, berlin(2028, 6, 1, 9))
    assert far in events((await fetch(client, f"/events/{world.training_run}.ics")).content)
    assert far not in events((await fetch(client, "/feeds/public.ics")).content)


async def test_window_is_30_days_back_and_400_ahead(
    client: httpx.AsyncClient, world: World
) -> None:
    # frozen now: 2026-11-25 10:00 in Berlin
    inside = [
        await add_session(world.info_run, berlin(2026, 10, 26, 10)),  # 30 days back
        await add_session(world.info_run, berlin(2027, 12, 30, 23)),  # day 400 ahead
    ]
    outside = [
        await add_session(world.info_run, berlin(2026, 10, 24, 10)),
        await add_session(world.info_run, berlin(2027, 12, 31, 10)),
    ]
    shown = set(events((await fetch(client, "/feeds/public.ics")).content))
    assert set(inside) <= shown
    assert not set(outside) & shown


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/programmes/999.ics",  # unknown
        "/feeds/programmes/{rucksack}.ics",  # internal
        "/feeds/programmes/{unpublished}.ics",  # draft
        "/feeds/programmes/0.ics",
        "/feeds/programmes/-1.ics",
        "/feeds/programmes/1.json",
        "/feeds/programmes/{training}",
        "/feeds/programmes/99999999999999999999.ics",
        "/feeds/programmes/%C3%BC.ics",
        "/events/999.ics",
        "/events/{draft_run}.ics",  # draft run of a public programme
        "/events/{sonnenblume_group}.ics",  # internal Rucksack group
        "/events/{unpublished_run}.ics",  # run of an unpublished programme
        "/events/abc.ics",
        "/events/1.ics.ics",
        "/events/%00.ics",
    ],
)
async def test_missing_internal_and_unpublished_are_404(
    client: httpx.AsyncClient, world: World, path: str
) -> None:
    url = path.format(**vars(world))
    response = await client.get(url, headers={"accept": "application/json"})
    assert response.status_code == 404, url
    head = await client.head(url)
    assert head.status_code == 404


async def test_unpublishing_takes_a_programme_out_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    url = f"/feeds/programmes/{world.training}.ics"
    assert (await fetch(client, url)).status_code == 200
    await Programme.update(  # every change sets updated_at to now: feeds rely on it
        {Programme.status: PublicationStatus.draft.value, Programme.updated_at: FROZEN_NOW}
    ).where(Programme.id == world.training)
    assert (await fetch(client, url)).status_code == 404
    assert (await fetch(client, f"/events/{world.training_run}.ics")).status_code == 404
    public = events((await fetch(client, "/feeds/public.ics")).content)
    assert set(public) == world.session_ids("info")


async def test_move_and_cancel_keep_the_uid_and_raise_the_sequence(
    client: httpx.AsyncClient, world: World
) -> None:
    session_id = world.sessions["info"][0]
    url = f"/events/{world.info_run}.ics"
    original = events((await fetch(client, url)).content)[session_id]

    moved_start = berlin(2026, 12, 10, 19)
    await Session.update(
        {
            Session.sequence: Session.sequence + 1,
            Session.starts_at: moved_start,
            Session.ends_at: moved_start + timedelta(hours=2),
            Session.updated_at: STAMP + timedelta(days=1),
        }
    ).where(Session.id == session_id)
    moved = events((await fetch(client, url)).content)[session_id]
    assert str(moved["UID"]) == str(original["UID"])
    assert moved["SEQUENCE"] == 1
    modified = (STAMP + timedelta(days=1)).astimezone(UTC)
    assert (moved.start, moved.LAST_MODIFIED) == (moved_start, modified)

    await Session.update(
        {
            Session.sequence: Session.sequence + 1,
            Session.status: "cancelled",
            Session.cancel_reason: "Referentin erkrankt",  # internal
            Session.public_cancel_note: "Ersatztermin folgt",
            Session.updated_at: STAMP + timedelta(days=2),
        }
    ).where(Session.id == session_id)
    for feed in ("/feeds/public.ics", url, f"/feeds/programmes/{world.info_event}.ics"):
        cancelled = events((await fetch(client, feed)).content)[session_id]
        assert str(cancelled["UID"]) == str(original["UID"])
        assert str(cancelled["STATUS"]) == "CANCELLED"
        assert cancelled["SEQUENCE"] == 2
        assert str(cancelled["SUMMARY"]) == "Elterncafé: Schule in NRW – Dezember – abgesagt"
        assert str(cancelled["DESCRIPTION"]).startswith("Abgesagt: Ersatztermin folgt\n")
        assert "Referentin" not in str(cancelled["DESCRIPTION"])


async def test_a_cancelled_run_shows_its_dates_cancelled_with_a_higher_sequence(
    client: httpx.AsyncClient, world: World
) -> None:
    await Cohort.update(
        {Cohort.status: PublicationStatus.cancelled.value, Cohort.updated_at: FROZEN_NOW}
    ).where(Cohort.id == world.training_run)
    shown = events((await fetch(client, "/feeds/public.ics")).content)
    for session_id in world.sessions["training"]:
        assert str(shown[session_id]["STATUS"]) == "CANCELLED"
        assert shown[session_id]["SEQUENCE"] == 1
        assert str(shown[session_id]["DESCRIPTION"]).startswith("Dieser Termin ist abgesagt.")


async def test_a_renamed_run_or_programme_reaches_the_feed(
    client: httpx.AsyncClient, world: World
) -> None:
    session_id = world.sessions["training"][0]
    renamed_at = STAMP + timedelta(hours=5)
    await fetch(client, "/feeds/public.ics")  # warm the cache
    await Cohort.update({Cohort.title: "Sommer 2027", Cohort.updated_at: renamed_at}).where(
        Cohort.id == world.training_run
    )
    entry = events((await fetch(client, "/feeds/public.ics")).content)[session_id]
    assert str(entry["SUMMARY"]) == "Diskriminierung erkennen – Sommer 2027"
    assert (entry.LAST_MODIFIED, entry["SEQUENCE"]) == (renamed_at.astimezone(UTC), 0)

    later = renamed_at + timedelta(hours=1)
    await Programme.update(
        {Programme.title: "Diskriminierung begegnen", Programme.updated_at: later}
    ).where(Programme.id == world.training)
    entry = events((await fetch(client, "/feeds/public.ics")).content)[session_id]
    assert str(entry["SUMMARY"]) == "Diskriminierung begegnen – Sommer 2027"
    assert entry.stamp == later.astimezone(UTC)


async def test_same_data_same_bytes_and_no_clock_in_the_body(
    client: httpx.AsyncClient, world: World, app: Litestar, clock: FrozenClock
) -> None:
    first = (await fetch(client, "/feeds/public.ics")).content
    clock.advance(timedelta(hours=3))  # same day: same window, same data
    app.state.feed_cache.feeds.clear()
    app.state.feed_cache.events.clear()
    app.state.feed_cache.entries.clear()
    app.state.feed_cache.previous.clear()
    second = (await fetch(client, "/feeds/public.ics")).content
    assert first == second
    assert b"20261125T" not in first  # nothing is stamped with "now"


async def test_hostile_text_round_trips_without_adding_anything(
    client: httpx.AsyncClient,
) -> None:
    title = 'Semi;colon, comma\\back "quoted" END:VEVENT\r\nBEGIN:VEVENT\r\nX-EVIL:1'
    run = "مرحبا بكم – Добро пожаловать\nzweite Zeile"
    place = "Raum 1;2,3\\4\r\nEND:VCALENDAR"
    language = "Türkçe; عربي, Русский"
    programme = await add_programme(ProgrammeKind.training, title)
    cohort = await add_cohort(programme, run, location="ignored", language=language)
    session_id = await add_session(cohort, berlin(2026, 12, 5, 10), location=place)
    cancelled_id = await add_session(cohort, berlin(2026, 12, 6, 10), theme="Thema\r\n;,\\")
    reason = "Grund: END:VEVENT\nBEGIN:VTODO"
    await Session.update(
        {
            Session.status: "cancelled",
            Session.cancel_reason: "intern",
            Session.public_cancel_note: reason,
            Session.sequence: 1,
        }
    ).where(Session.id == cancelled_id)
    page = f"http://testserver/events/{cohort}"

    for url in ("/feeds/public.ics", f"/events/{cohort}.ics", f"/feeds/programmes/{programme}.ics"):
        body = (await fetch(client, url)).content
        calendar = Calendar.from_ical(body)
        assert [c.name for c in calendar.walk()] == [
            "VCALENDAR",
            "VTIMEZONE",
            "DAYLIGHT",
            "STANDARD",
            "VEVENT",
            "VEVENT",
        ]
        assert b"\r\nX-EVIL" not in body
        assert b"\r\nBEGIN:VTODO" not in body
        shown = events(body)
        plain, cancelled = shown[session_id], shown[cancelled_id]
        for entry in (plain, cancelled):
            assert set(entry.keys()) == EVENT_PROPERTIES
        # CR LF is written (and read back) as LF, the one line break iCalendar has
        want_title = title.replace("\r\n", "\n")
        assert str(plain["SUMMARY"]) == f"{want_title} – {run}"
        assert str(plain["LOCATION"]) == place.replace("\r\n", "\n")
        assert str(plain["DESCRIPTION"]) == (
            f"Sprache: {language}\nDetails: {page}\nAnmeldung: {page}#register"
        )
        assert str(cancelled["LOCATION"]) == "ignored"
        assert str(cancelled["DESCRIPTION"]) == (
            f"Abgesagt: {reason}\nThema: Thema\n;,\\\nSprache: {language}\nDetails: {page}"
        )


async def test_an_empty_feed_is_a_valid_calendar(client: httpx.AsyncClient) -> None:
    response = await fetch(client, "/feeds/public.ics")
    assert response.status_code == 200
    calendar = parse(response.content)
    assert calendar.walk("VEVENT") == []
    # no data yet: the window's last move (Berlin midnight) is the last modification
    assert response.headers["last-modified"] == "Tue, 24 Nov 2026 23:00:00 GMT"
    assert response.headers["etag"]
    programme = await add_programme(ProgrammeKind.info_event, "Bald")
    empty = await fetch(client, f"/feeds/programmes/{programme}.ics")
    assert empty.status_code == 200
    assert parse(empty.content).walk("VEVENT") == []


async def test_the_feed_follows_the_data_without_waiting(
    client: httpx.AsyncClient, world: World
) -> None:
    """Insert, delete and change are each seen by the very next request."""
    before = events((await fetch(client, "/feeds/public.ics")).content)
    added = await add_session(world.info_run, berlin(2026, 12, 17, 18))
    assert set(events((await fetch(client, "/feeds/public.ics")).content)) == {*before, added}
    await Session.delete().where(Session.id == added)
    assert set(events((await fetch(client, "/feeds/public.ics")).content)) == set(before)
    changed_at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a change sets updated_at to now
    await Session.update({Session.location: "Aula", Session.updated_at: changed_at}).where(
        Session.id == world.sessions["info"][0]
    )
    entry = events((await fetch(client, "/feeds/public.ics")).content)[world.sessions["info"][0]]
    assert str(entry["LOCATION"]) == "Aula"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_feeds_only_answer_get_and_head(
    client: httpx.AsyncClient, world: World, method: str
) -> None:
    for url in ("/feeds/public.ics", f"/events/{world.info_run}.ics"):
        response = await client.request(method, url)
        assert response.status_code == 405, (method, url)
