"""Private feeds: the token's life cycle on /staff/feed, whose dates each role sees, and
the headers and answers that keep the token's owner private."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest

from programmes.domain.accounts import management
from programmes.domain.feeds import feed_tokens
from programmes.domain.feeds.feed_tokens import FEED_TOKEN_PREFIX
from programmes.tables import FeedToken, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_staff
from tests.feed_world import World, build_world
from tests.web.feed_helpers import events, fetch, unfolded
from tests.web.helpers import csrf_token, post_form, sign_in

_FEED_URL = re.compile(r'value="(http://testserver/feeds/private/([^"]+)\.ics)"')


@pytest.fixture
async def world(client: httpx.AsyncClient) -> World:
    return await build_world()


async def token_for(account_id: int) -> str:
    return await feed_tokens.create_feed_token(account_id=account_id, now=FROZEN_NOW)


def private_url(token: str) -> str:
    return f"/feeds/private/{token}.ics"


# --------------------------------------------------------------------------------------------
# the staff page


async def test_staff_page_creates_shows_once_rotates_and_revokes(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.trainer)
    await sign_in(client, staff.email)
    home = await client.get("/staff/")
    assert 'href="/staff/feed"' in home.text

    page = await client.get("/staff/feed")
    assert page.status_code == 200
    assert "Sie haben keinen Kalender-Link." in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"

    posted = await post_form(client, "/staff/feed", "/staff/feed/create", {})
    assert (posted.status_code, posted.headers["location"]) == (
        303,
        "/staff/feed?done=feed-created",
    )
    assert "cal_" not in posted.headers["location"]  # the link never goes into a URL
    created = await client.get(posted.headers["location"])
    assert created.headers["cache-control"] == "no-store"
    assert "Ihr Kalender-Link ist angelegt." in created.text
    match = _FEED_URL.search(created.text)
    assert match, created.text
    token = match.group(2)
    assert token.startswith(FEED_TOKEN_PREFIX)
    assert len(token) - len(FEED_TOKEN_PREFIX) >= 43  # 256 random bits, base64url
    assert f'href="webcal://testserver/feeds/private/{token}.ics"' in created.text
    stored = await FeedToken.select(FeedToken.token_hash).where(FeedToken.account == staff.id)
    assert [row["token_hash"] for row in stored] != [token]
    assert token not in str(stored)

    again = await client.get("/staff/feed")
    assert token not in again.text  # shown once
    assert "aktiv seit" in again.text
    assert (await fetch(client, private_url(token))).status_code == 200

    twice = await post_form(client, "/staff/feed", "/staff/feed/create", {})
    assert (twice.status_code, twice.headers["location"]) == (303, "/staff/feed?done=feed-exists")

    rotated = await post_form(client, "/staff/feed", "/staff/feed/rotate", {"confirmed": "yes"})
    assert rotated.status_code == 303
    match = _FEED_URL.search((await client.get(rotated.headers["location"])).text)
    assert match
    new_token = match.group(2)
    assert new_token != token
    assert (await fetch(client, private_url(token))).status_code == 404
    assert (await fetch(client, private_url(new_token))).status_code == 200

    revoked = await post_form(client, "/staff/feed", "/staff/feed/revoke", {"confirmed": "yes"})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/staff/feed?done=feed-revoked"
    assert (await fetch(client, private_url(new_token))).status_code == 404
    assert "Sie haben keinen Kalender-Link." in (await client.get("/staff/feed")).text


async def test_staff_page_needs_sign_in_and_csrf(client: httpx.AsyncClient) -> None:
    response = await client.get("/staff/feed")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/staff/login")
    staff = await make_staff(Role.partner)
    await sign_in(client, staff.email)
    await csrf_token(client, "/staff/feed")
    forged = await client.post("/staff/feed/create", data={})
    assert forged.status_code == 403
    assert await FeedToken.count() == 0


async def test_english_staff_page(client: httpx.AsyncClient) -> None:
    staff = await make_staff(Role.coordinator)
    await sign_in(client, staff.email)
    page = await client.get("/staff/feed?lang=en")
    assert "You have no calendar link." in page.text
    assert "Create calendar link" in page.text


# --------------------------------------------------------------------------------------------
# who sees what


async def test_partner_sees_only_the_cohorts_of_their_kita(
    client: httpx.AsyncClient, world: World
) -> None:
    body = (await fetch(client, private_url(await token_for(world.partner.id)))).content
    assert set(events(body)) == world.session_ids("sonnenblume")
    body = (await fetch(client, private_url(await token_for(world.other_partner.id)))).content
    assert set(events(body)) == world.session_ids("regenbogen")


async def test_trainer_sees_the_cohorts_they_lead_and_their_substitutions(
    client: httpx.AsyncClient, world: World
) -> None:
    body = (await fetch(client, private_url(await token_for(world.trainer.id)))).content
    substitution = world.sessions["regenbogen"][1]
    assert set(events(body)) == world.session_ids("sonnenblume") | {substitution}
    entry = events(body)[substitution]
    assert "Sie leiten diesen Termin als Vertretung." in str(entry["DESCRIPTION"])
    assert str(entry["URL"]) == f"http://testserver/staff/cohorts/{world.regenbogen_group}"

    other = (await fetch(client, private_url(await token_for(world.other_trainer.id)))).content
    shown = events(other)
    assert set(shown) == world.session_ids("regenbogen", "training")
    assert "Diesen Termin leitet eine Vertretung." in str(shown[substitution]["DESCRIPTION"])


async def test_coordinator_sees_everything_but_drafts(
    client: httpx.AsyncClient, world: World
) -> None:
    body = (await fetch(client, private_url(await token_for(world.coordinator.id)))).content
    assert set(events(body)) == world.session_ids("training", "info", "sonnenblume", "regenbogen")


async def test_private_entries_show_counts_and_themes_but_no_names(
    client: httpx.AsyncClient, world: World
) -> None:
    body = (await fetch(client, private_url(await token_for(world.coordinator.id)))).content
    shown = events(body)
    group = shown[world.sessions["sonnenblume"][0]]
    assert str(group["DESCRIPTION"]) == (
        "Thema: Der Körper\nSprache: Deutsch\nBestätigte Plätze: 2 von 10\n"
        "Anmeldungen: 2\nWarteliste: 0\n"
        f"Details: http://testserver/staff/cohorts/{world.sonnenblume_group}"
    )
    assert str(group["TRANSP"]) == "OPAQUE"  # the reader's own sessions
    assert "VALARM" not in unfolded(body)  # a reminder only when the owner asks for one
    assert group.categories == ["Rucksack KiTa"]
    assert str(group["SUMMARY"]) == "Rucksack KiTa – KiTa Sonnenblume 2026/27"
    training = shown[world.sessions["training"][0]]
    assert "Bestätigte Plätze: 3 von 16\nAnmeldungen: 2\nWarteliste: 1" in str(
        training["DESCRIPTION"]
    )
    info = shown[world.sessions["info"][0]]
    assert "Bestätigte Plätze: 1\n" in str(info["DESCRIPTION"])  # no capacity
    calendar_name = "X-WR-CALNAME:Haus der Kulturen Herten: Meine Termine"
    assert calendar_name in unfolded(body)


async def test_a_registration_change_updates_the_counts(
    client: httpx.AsyncClient, world: World
) -> None:
    url = private_url(await token_for(world.coordinator.id))
    first = await fetch(client, url)
    await Registration.update(
        {
            Registration.status: "cancelled",
            Registration.waiting_position: None,
            Registration.updated_at: FROZEN_NOW,
        }
    ).where(Registration.cohort == world.training_run, Registration.status == "waiting")
    second = await fetch(client, url, **{"if-none-match": first.headers["etag"]})
    assert second.status_code == 200
    entry = events(second.content)[world.sessions["training"][0]]
    assert "Warteliste: 0" in str(entry["DESCRIPTION"])
    assert entry.LAST_MODIFIED == FROZEN_NOW


# --------------------------------------------------------------------------------------------
# tokens that do not open a feed


@pytest.mark.parametrize(
    "name",
    [
        "cal_" + "A" * 43 + ".ics",  # well-formed, unknown
        "x.ics",
        ".ics",
        "cal_.ics",
        "cal_" + "A" * 5000 + ".ics",  # very long
        "cal_%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC%C3%BC.ics",
        "%D9%85%D8%B1%D8%AD%D8%A8%D8%A7.ics",  # Arabic
        "..%2F..%2Fetc%2Fpasswd.ics",
        "cal_AAAAAAAAAAAAAAAAAAAAAAAA%00.ics",  # NUL
        "cal_AAAAAAAAAAAAAAAAAAAAAAAA%0d%0aX-Evil:1.ics",
        "cal_AAAAAAAAAAAAAAAAAAAAAAAA",  # no .ics
        "cal_AAAAAAAAAAAAAAAAAAAAAAAA.ics.ics",
        "%ff%fe.ics",  # not UTF-8
    ],
)
async def test_malformed_and_unknown_tokens_are_404(
    client: httpx.AsyncClient, world: World, name: str
) -> None:
    response = await client.get(f"/feeds/private/{name}", headers={"accept": "text/calendar"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert "cal_" not in response.text
    # the error keeps the token's page out of referrers and caches, like the feed itself
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/private/",
        "/feeds/private",
        "/feeds/private/%2E%2E%2Fpublic.ics",  # decoded by the server to ../public.ics
        "/feeds/private/%2E%2E/public.ics",
        "/feeds/private/cal_AAAAAAAAAAAAAAAAAAAAAAAA/x.ics",
    ],
)
async def test_paths_around_the_token_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(httpx.URL(f"http://testserver{path}"))
    assert response.status_code == 404


async def test_revoked_rotated_and_deactivated_stop_at_once(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await token_for(world.trainer.id)
    assert (await fetch(client, private_url(token))).status_code == 200  # cached now
    new = await feed_tokens.rotate_feed_token(account_id=world.trainer.id, now=FROZEN_NOW)
    assert (await fetch(client, private_url(token))).status_code == 404
    assert (await fetch(client, private_url(new))).status_code == 200
    await feed_tokens.revoke_feed_token(account_id=world.trainer.id, now=FROZEN_NOW)
    assert (await fetch(client, private_url(new))).status_code == 404

    token = await token_for(world.partner.id)
    assert (await fetch(client, private_url(token))).status_code == 200
    await management.set_active(
        account_id=world.partner.id, active=False, actor_id=None, now=FROZEN_NOW
    )
    assert (await fetch(client, private_url(token))).status_code == 404


async def test_a_valid_token_without_dates_gives_an_empty_calendar(
    client: httpx.AsyncClient,
) -> None:
    staff = await make_staff(Role.trainer)
    response = await fetch(client, private_url(await token_for(staff.id)))
    assert response.status_code == 200
    assert events(response.content) == {}


# --------------------------------------------------------------------------------------------
# headers


async def test_private_feed_headers_win_over_the_defaults(
    client: httpx.AsyncClient, world: World
) -> None:
    url = private_url(await token_for(world.trainer.id))
    anonymous = await fetch(client, url)
    await sign_in(client, world.trainer.email)  # a browser with a staff session cookie
    with_session = await fetch(client, url)
    for response in (anonymous, with_session):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "private, no-cache"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-robots-tag"] == "noindex, nofollow"
        assert "set-cookie" not in response.headers
        assert len(response.headers.get_list("referrer-policy")) == 1
        assert response.headers["x-content-type-options"] == "nosniff"
    not_modified = await fetch(client, url, **{"if-none-match": anonymous.headers["etag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["cache-control"] == "private, no-cache"
    assert not_modified.headers["referrer-policy"] == "no-referrer"


async def test_tokens_are_long_random_and_stored_hashed(world: World) -> None:
    tokens = {await feed_tokens.rotate_feed_token(account_id=world.trainer.id, now=FROZEN_NOW)}
    for _ in range(20):
        tokens.add(
            await feed_tokens.rotate_feed_token(
                account_id=world.trainer.id, now=FROZEN_NOW + timedelta(seconds=1)
            )
        )
    assert len(tokens) == 21
    hashes = {row["token_hash"] for row in await FeedToken.select(FeedToken.token_hash)}
    assert not tokens & hashes
    active = await FeedToken.count().where(
        (FeedToken.account == world.trainer.id) & FeedToken.revoked_at.is_null()
    )
    assert active == 1
