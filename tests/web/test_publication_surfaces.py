"""Every place that shows runs follows the one publication rule: one run of each run status ×
programme status × public flag × kind, then the start page, the event pages and their files,
the JSON API, the public feed, each programme's feed and a coordinator's private feed are
asked which of them they show."""

from __future__ import annotations

from datetime import timedelta

import httpx

from programmes.domain.feeds import feed_tokens
from programmes.vocabulary import ProgrammeKind, PublicationStatus, Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_cohort, make_programme, make_session, make_staff
from tests.publication_table import COMBINATIONS, expected
from tests.web.feed_helpers import HOST, events, fetch

BASE = f"http://{HOST}"


def programme_feed_exists(
    programme: PublicationStatus, is_public: bool, kind: ProgrammeKind
) -> bool:
    return programme in ("published", "cancelled") and is_public and kind != "rucksack"


async def test_every_place_shows_what_the_rule_says(client: httpx.AsyncClient) -> None:
    made = []
    for run, programme, is_public, kind in COMBINATIONS:
        programme_id = await make_programme(kind, is_public=is_public, status=programme)
        cohort_id = await make_cohort(programme_id, status=run)
        session_id = await make_session(cohort_id, starts_at=FROZEN_NOW + timedelta(days=10))
        made.append(((run, programme, is_public, kind), programme_id, cohort_id, session_id))
    coordinator = await make_staff(Role.coordinator)
    token = await feed_tokens.create_feed_token(account_id=coordinator.id, now=FROZEN_NOW)

    public = events((await fetch(client, "/feeds/public.ics")).content)
    private = events((await fetch(client, f"/feeds/private/{token}.ics")).content)
    home = (await client.get("/")).text
    api = {event["id"] for event in (await client.get("/api/v1/events")).json()}
    shown = {"listed": 0, "private": 0}

    for combination, programme_id, cohort_id, session_id in made:
        listed = expected("listed", *combination)
        in_private = expected("private feed", *combination)
        shown["listed"] += listed
        shown["private"] += in_private
        where = repr(combination)
        assert (session_id in public) is listed, where
        assert (f"/events/{cohort_id}.ics" in home) is listed, where
        assert (cohort_id in api) is listed, where
        for path in (f"/events/{cohort_id}", f"/events/{cohort_id}.ics"):
            status = (await client.get(path)).status_code
            assert status == (200 if listed else 404), (path, where)
        api_status = (await client.get(f"/api/v1/events/{cohort_id}")).status_code
        assert api_status == (200 if listed else 404), where

        feed = await fetch(client, f"/feeds/programmes/{programme_id}.ics")
        assert feed.status_code == (200 if programme_feed_exists(*combination[1:]) else 404), where
        if feed.status_code == 200:
            assert (session_id in events(feed.content)) is listed, where

        assert (session_id in private) is in_private, where
        if in_private:
            page = f"{BASE}/events/{cohort_id}" if listed else f"{BASE}/staff/cohorts/{cohort_id}"
            assert str(private[session_id]["URL"]) == page, where
        if listed:
            assert str(public[session_id]["URL"]) == f"{BASE}/events/{cohort_id}", where

    # the rule is not vacuous: some runs are listed, more are in staff feeds, some nowhere
    assert 0 < shown["listed"] < shown["private"] < len(made)
