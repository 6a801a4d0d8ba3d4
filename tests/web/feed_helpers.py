"""Reading feeds back in tests: parse with icalendar, index events by session id."""

from __future__ import annotations

from typing import Any

import httpx
from icalendar import Calendar, Event

HOST = "testserver"  # the host of PROGRAMMES_BASE_URL in tests
IDENTITY = {"accept-encoding": "identity"}


def parse(body: bytes) -> Calendar:
    calendar = Calendar.from_ical(body)
    assert isinstance(calendar, Calendar)
    return calendar


def events(body: bytes) -> dict[int, Event]:
    """The feed's VEVENTs by session id (from the UID, which must have our host)."""
    found: dict[int, Event] = {}
    for event in parse(body).events:
        uid = str(event["UID"])
        prefix, _, host = uid.partition("@")
        assert host == HOST, uid
        assert prefix.startswith("session-"), uid
        session_id = int(prefix.removeprefix("session-"))
        assert session_id not in found, f"duplicate {uid}"
        found[session_id] = event
    return found


def unfolded(body: bytes) -> str:
    """The feed's text with folded lines joined, for searching."""
    return body.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


async def fetch(client: httpx.AsyncClient, url: str, **headers: Any) -> httpx.Response:
    """GET without gzip (unless asked), so `.content` is the feed's bytes."""
    return await client.get(url, headers={**IDENTITY, **headers})
