"""Golden files: the bytes of the public feeds of a fixed world stay what they were.

Regenerate after a deliberate change with `UPDATE_GOLDEN=1 pytest tests/web/test_feed_golden.py`
and review the diff. The world has fixed ids and timestamps, so SQLite and PostgreSQL
must produce the same bytes."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from programmes.tables import Session
from tests.conftest import FROZEN_NOW
from tests.feed_world import build_world
from tests.web.feed_helpers import events, fetch

GOLDEN = Path(__file__).parent / "golden"
CASES = {
    "public_feed.ics": "/feeds/public.ics",
    "public_feed_en.ics": "/feeds/public.ics?lang=en",
    "event_file.ics": "/events/1.ics",
}


@pytest.mark.parametrize("filename", sorted(CASES))
async def test_golden_feed(client: httpx.AsyncClient, filename: str) -> None:
    world = await build_world()
    assert world.training_run == 1
    # one cancelled and moved session, so the golden bytes cover STATUS and SEQUENCE
    await Session.update(
        {
            Session.status: "cancelled",
            Session.sequence: 2,
            Session.cancel_reason: "Trainerin krank",  # internal: never in a public feed
            Session.public_cancel_note: "Zu wenige Anmeldungen",
            Session.updated_at: FROZEN_NOW,
        }
    ).where(Session.id == world.sessions["training"][1])
    body = (await fetch(client, CASES[filename])).content
    path = GOLDEN / filename
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_bytes(body)
    assert path.exists(), f"missing {path}; run with UPDATE_GOLDEN=1 once"
    assert body == path.read_bytes(), f"{filename} differs; if intended, UPDATE_GOLDEN=1"
    assert events(body)


def test_golden_files_kept_byte_exact() -> None:
    """Git must not turn the CRLF of the golden files into LF."""
    assert "*.ics -text" in (GOLDEN / ".gitattributes").read_text()
    for path in GOLDEN.glob("*.ics"):
        data = path.read_bytes()
        assert data.count(b"\r\n") == data.count(b"\n") > 20
