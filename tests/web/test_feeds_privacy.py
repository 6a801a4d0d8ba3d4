"""No feed and no public page carries a person's name, e-mail address or phone number.

The world has families (guardians, children), members of the public and staff whose names,
e-mail addresses and phone numbers are unique marker strings, registrations for every run,
and a session note that names somebody. Every feed, for every role and language, is
searched for every marker (in the raw bytes and with folded lines joined)."""

from __future__ import annotations

import httpx

from programmes.domain.feeds import feed_tokens
from tests.conftest import FROZEN_NOW
from tests.feed_world import build_world
from tests.web.feed_helpers import events, fetch, unfolded


async def test_no_feed_and_no_public_page_shows_personal_data(client: httpx.AsyncClient) -> None:
    world = await build_world()
    assert len(world.markers) >= 30
    urls = [
        "/feeds/public.ics",
        "/feeds/public.ics?kind=training",
        "/feeds/public.ics?kind=info_event",
        f"/feeds/programmes/{world.training}.ics",
        f"/feeds/programmes/{world.info_event}.ics",
        f"/events/{world.training_run}.ics",
        f"/events/{world.info_run}.ics",
    ]
    for staff in (
        world.coordinator,
        world.partner,
        world.other_partner,
        world.trainer,
        world.other_trainer,
    ):
        token = await feed_tokens.create_feed_token(account_id=staff.id, now=FROZEN_NOW)
        urls.append(f"/feeds/private/{token}.ics")

    searched = 0
    for url in urls:
        for language in ("", "?lang=en" if "?" not in url else "&lang=en"):
            response = await fetch(client, url + language)
            assert response.status_code == 200, url
            assert events(response.content), url  # every feed here has entries
            texts = (response.content.decode("utf-8"), unfolded(response.content))
            for text in texts:
                for marker in world.markers:
                    assert marker not in text, (url, marker)
            searched += 1
    assert searched == len(urls) * 2

    for page in ("/", "/?lang=en"):
        html = (await client.get(page)).text
        assert "Diskriminierung erkennen" in html or "Recognising discrimination" in html
        for marker in world.markers:
            assert marker not in html, (page, marker)
