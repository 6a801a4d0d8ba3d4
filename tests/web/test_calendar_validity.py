"""Every feed of a demo-like world passes libical's validator with no problem at all and
reads back in two other parsers calendar apps build on: `icalendar` and Home Assistant's
`ical`. Plus the rules a subscriber sees: no METHOD and no ORGANIZER (docs/calendars.md),
TRANSP, the calendar's own name, description, colour and source, SUMMARY without
repetition, DESCRIPTION ending with the page (and registration) link, and the public cancel
note in public feeds where the internal reason stays in staff feeds."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from ical.calendar_stream import IcsCalendarStream

from programmes.demo import DEMO_ACCOUNTS, load_demo
from programmes.domain.accounts import staff_accounts
from programmes.domain.feeds import feed_tokens
from programmes.domain.planning import sessions
from programmes.tables import Cohort, FeedToken, Programme
from tests.conftest import FROZEN_NOW
from tests.feed_world import World, build_world
from tests.libical import problems, require_libical
from tests.web.feed_helpers import HOST, events, fetch, parse, unfolded
from tests.web.helpers import post_form, sign_in

LANGUAGES = ("", "?lang=en")


def assert_valid_everywhere(path: str, body: bytes) -> None:
    assert problems(body) == [], path
    calendar = parse(body)  # icalendar
    assert calendar.name == "VCALENDAR"
    read = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))  # Home Assistant
    assert len(read.events) == len(events(body)), path
    text = unfolded(body)
    assert "\r\nMETHOD:" not in text, path
    assert "\r\nORGANIZER" not in text, path


async def demo_feeds(client: httpx.AsyncClient) -> dict[str, bytes]:
    paths = [f"/feeds/public.ics{q}" for q in LANGUAGES]
    paths += [f"/feeds/public.ics?kind={kind}" for kind in ("training", "info_event")]
    for row in await Programme.select(Programme.id):
        paths += [f"/feeds/programmes/{row['id']}.ics{q}" for q in LANGUAGES]
    for row in await Cohort.select(Cohort.id):
        paths += [f"/events/{row['id']}.ics{q}" for q in LANGUAGES]
    for account in DEMO_ACCOUNTS:
        staff = await staff_accounts.account_by_email(account.email)
        token = await feed_tokens.create_feed_token(account_id=staff.id, now=FROZEN_NOW)
        paths += [f"/feeds/private/{token}.ics{q}" for q in LANGUAGES]
    feeds = {}
    for path in paths:
        response = await fetch(client, path)
        if response.status_code == 200:
            feeds[path] = response.content
    return feeds


async def test_every_demo_feed_is_valid_in_libical_icalendar_and_home_assistant(
    client: httpx.AsyncClient,
) -> None:
    require_libical()
    await load_demo(now=FROZEN_NOW)
    feeds = await demo_feeds(client)
    assert sum("/private/" in path for path in feeds) == 2 * len(DEMO_ACCOUNTS)
    assert sum(path.startswith("/events/") for path in feeds) >= 2
    assert sum(len(events(body)) for body in feeds.values()) > 50
    # the demo's places have towns and coordinates: every entry carries a map location
    for path, body in feeds.items():
        for entry in events(body).values():
            assert "GEO" in entry and "X-APPLE-STRUCTURED-LOCATION" in entry, path
            assert str(entry["LOCATION"]).endswith("Herten"), path
    for path, body in feeds.items():
        assert_valid_everywhere(path, body)
        for entry in events(body).values():
            summary = str(entry["SUMMARY"])
            first, _, rest = summary.partition(" – ")
            assert not rest or first not in rest, (path, summary)


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world()


async def test_a_cancelled_date_shows_the_public_note_and_staff_the_reason(
    client: httpx.AsyncClient, world: World
) -> None:
    session_id = world.sessions["training"][0]
    await sessions.cancel_session(
        staff=world.coordinator,
        session_id=session_id,
        reason="Trainerin Frau Markername krank",
        public_note="Ein Ersatztermin folgt.",
        now=FROZEN_NOW,
    )
    token = await feed_tokens.create_feed_token(account_id=world.coordinator.id, now=FROZEN_NOW)
    public = {
        "/feeds/public.ics": "Abgesagt: Ein Ersatztermin folgt.",
        "/feeds/public.ics?lang=en": "Cancelled: Ein Ersatztermin folgt.",
        f"/events/{world.training_run}.ics": "Abgesagt: Ein Ersatztermin folgt.",
        f"/feeds/programmes/{world.training}.ics": "Abgesagt: Ein Ersatztermin folgt.",
    }
    for path, first_line in public.items():
        body = (await fetch(client, path)).content
        assert_valid_everywhere(path, body)
        description = str(events(body)[session_id]["DESCRIPTION"])
        assert description.startswith(first_line + "\n"), path
        assert "Markername" not in unfolded(body), path
        assert "#register" not in description  # a cancelled date takes no registrations
        page = f"/events/{world.training_run}" + ("?lang=en" if "lang=en" in path else "")
        assert description.endswith(page), path
    private = (await fetch(client, f"/feeds/private/{token}.ics")).content
    assert_valid_everywhere("private", private)
    description = str(events(private)[session_id]["DESCRIPTION"])
    assert description.startswith(
        "Abgesagt: Trainerin Frau Markername krank\n"
        "Hinweis für die Öffentlichkeit: Ein Ersatztermin folgt.\n"
    )


async def test_feeds_describe_themselves(client: httpx.AsyncClient, world: World) -> None:
    token = await feed_tokens.create_feed_token(account_id=world.trainer.id, now=FROZEN_NOW)
    expected = {
        "/feeds/public.ics": ("teal", f"http://{HOST}/feeds/public.ics?lang=de"),
        "/feeds/public.ics?kind=training&lang=en": (
            "royalblue",
            f"http://{HOST}/feeds/public.ics?kind=training&lang=en",
        ),
        f"/feeds/programmes/{world.training}.ics": (
            "royalblue",
            f"http://{HOST}/feeds/programmes/{world.training}.ics?lang=de",
        ),
        f"/events/{world.training_run}.ics": (
            "seagreen",
            f"http://{HOST}/events/{world.training_run}.ics?lang=de",
        ),
        f"/feeds/private/{token}.ics": ("purple", None),
    }
    for path, (color, source) in expected.items():
        body = (await fetch(client, path)).content
        assert_valid_everywhere(path, body)
        calendar = parse(body)
        assert str(calendar["NAME"]) == str(calendar["X-WR-CALNAME"]), path
        # icalendar leaves an X- property's TEXT escaped
        caldesc = str(calendar["X-WR-CALDESC"]).replace("\\,", ",")
        assert str(calendar["DESCRIPTION"]) == caldesc, path
        assert str(calendar["DESCRIPTION"]), path
        assert str(calendar["COLOR"]) == color, path
        if source is None:  # the private address holds the token: never in the file
            assert "SOURCE" not in calendar
            assert token not in body.decode()
        else:
            assert str(calendar["SOURCE"]) == source, path
        transp = "OPAQUE" if "/private/" in path else "TRANSPARENT"
        assert {str(e["TRANSP"]) for e in events(body).values()} == {transp}, path


async def test_a_run_title_that_holds_the_programme_title_is_said_once(
    client: httpx.AsyncClient, world: World
) -> None:
    await Cohort.update(
        {Cohort.title: "Rucksack KiTa Sonnenblume 2026/27", Cohort.updated_at: FROZEN_NOW}
    ).where(Cohort.id == world.sonnenblume_group)
    await Cohort.update({Cohort.title: "Diskriminierung", Cohort.updated_at: FROZEN_NOW}).where(
        Cohort.id == world.training_run
    )
    token = await feed_tokens.create_feed_token(account_id=world.coordinator.id, now=FROZEN_NOW)
    shown = events((await fetch(client, f"/feeds/private/{token}.ics")).content)
    group = shown[world.sessions["sonnenblume"][0]]
    assert str(group["SUMMARY"]) == "Rucksack KiTa Sonnenblume 2026/27"
    training = shown[world.sessions["training"][0]]
    assert str(training["SUMMARY"]) == "Diskriminierung erkennen"
    info = shown[world.sessions["info"][0]]
    assert str(info["SUMMARY"]) == "Elterncafé: Schule in NRW – Dezember"


async def test_libical_finds_what_is_wrong(client: httpx.AsyncClient, world: World) -> None:
    """The check itself: a feed with METHOD:PUBLISH and no ORGANIZER fails it."""
    body = (await fetch(client, f"/events/{world.training_run}.ics")).content
    broken = body.replace(b"CALSCALE:GREGORIAN\r\n", b"CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n")
    assert problems(broken)
    assert problems(body) == []


# --------------------------------------------------------------------------------------------
# the private feed's reminder


async def test_a_private_feed_reminds_only_when_its_owner_asks(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await feed_tokens.create_feed_token(account_id=world.other_trainer.id, now=FROZEN_NOW)
    url = f"/feeds/private/{token}.ics"
    assert b"BEGIN:VALARM" not in (await fetch(client, url)).content  # off by default

    for given, stored in (("0", 0), ("10080", 10080), ("30", 30)):
        await feed_tokens.set_feed_reminder(
            account_id=world.other_trainer.id,
            minutes=feed_tokens.check_reminder(given),
            now=FROZEN_NOW,
        )
        body = (await fetch(client, url)).content
        assert_valid_everywhere(url, body)
        alarms = [c for c in parse(body).walk("VALARM")]
        assert alarms and len(alarms) == len(events(body))
        assert {a.decoded("TRIGGER") for a in alarms} == {-timedelta(minutes=stored)}
        assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
    await feed_tokens.set_feed_reminder(
        account_id=world.other_trainer.id, minutes=None, now=FROZEN_NOW
    )
    assert b"BEGIN:VALARM" not in (await fetch(client, url)).content
    # public feeds never carry one
    assert b"VALARM" not in (await fetch(client, "/feeds/public.ics")).content


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("-1", "Eine Erinnerung kommt zwischen 0 Minuten und einer Woche (10080 Minuten)"),
        ("10081", "Eine Erinnerung kommt zwischen 0 Minuten und einer Woche (10080 Minuten)"),
        ("1.5", "Bitte die Minuten als ganze Zahl angeben."),
        ("abc", "Bitte die Minuten als ganze Zahl angeben."),
    ],
)
async def test_the_reminder_on_the_staff_page_and_its_bounds(
    client: httpx.AsyncClient, world: World, given: str, message: str
) -> None:
    await sign_in(client, world.trainer.email)
    await post_form(client, "/staff/feed", "/staff/feed/create", {})
    refused = await post_form(client, "/staff/feed", "/staff/feed/reminder", {"reminder": given})
    assert refused.status_code == 422
    assert message in refused.text
    row = await FeedToken.select(FeedToken.reminder_minutes).first()
    assert row == {"reminder_minutes": None}  # nothing stored

    saved = await post_form(client, "/staff/feed", "/staff/feed/reminder", {"reminder": "45"})
    assert saved.status_code == 303
    assert await FeedToken.select(FeedToken.reminder_minutes).first() == {"reminder_minutes": 45}
    page = await client.get("/staff/feed")
    assert 'name="reminder"' in page.text and 'value="45"' in page.text
    # rotating keeps it
    await post_form(client, "/staff/feed", "/staff/feed/rotate", {})
    active = await FeedToken.select(FeedToken.reminder_minutes).where(
        FeedToken.revoked_at.is_null()
    )
    assert active == [{"reminder_minutes": 45}]
    cleared = await post_form(client, "/staff/feed", "/staff/feed/reminder", {"reminder": ""})
    assert cleared.status_code == 303
    assert await FeedToken.select(FeedToken.reminder_minutes).where(
        FeedToken.revoked_at.is_null()
    ) == [{"reminder_minutes": None}]


# --------------------------------------------------------------------------------------------
# subscribing from the event page


@pytest.mark.parametrize(("query", "suffix"), [("", ""), ("?lang=en", "?lang=en")])
async def test_the_event_page_offers_subscribe_google_and_outlook_in_its_language(
    client: httpx.AsyncClient, world: World, query: str, suffix: str
) -> None:
    from html import unescape
    from urllib.parse import quote

    page = await client.get(f"/events/{world.training_run}{query}")
    assert page.status_code == 200
    text = unescape(page.text)
    feed = f"{HOST}/events/{world.training_run}.ics{suffix}"
    assert f'href="webcal://{feed}"' in text
    assert f'href="/events/{world.training_run}.ics{suffix}"' in text  # the download
    assert (
        "https://calendar.google.com/calendar/render?cid=" + quote(f"webcal://{feed}", safe="")
        in text
    )
    assert (
        "https://outlook.live.com/calendar/0/addfromweb?url=" + quote(f"http://{feed}", safe="")
        in text
    )
    assert "/feeds/private/" not in text  # never a personal feed
    label = "Add to Google Calendar" if suffix else "Zu Google Kalender hinzufügen"
    assert label in text
