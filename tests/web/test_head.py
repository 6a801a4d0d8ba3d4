"""`HEAD` answers like `GET` on every page, without a body (link checkers, uptime monitors)."""

from __future__ import annotations

import httpx
import pytest

from tests.feed_world import build_world


@pytest.mark.parametrize(
    "path",
    ["/", "/events/{run}", "/events/{run}.ics", "/feeds/public.ics", "/staff/login", "/health"],
)
async def test_head_answers_with_the_headers_of_get_and_no_body(
    client: httpx.AsyncClient, path: str
) -> None:
    world = await build_world()
    url = path.format(run=world.training_run)
    got = await client.get(url)
    head = await client.head(url)
    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers.get("content-encoding") == got.headers.get("content-encoding")


async def test_head_of_a_missing_page_is_404_without_a_body(client: httpx.AsyncClient) -> None:
    head = await client.head("/events/99999")
    assert head.status_code == 404
    assert head.content == b""


async def test_head_never_changes_anything(client: httpx.AsyncClient) -> None:
    """A HEAD to a form's address runs as GET: it can never submit the form."""
    world = await build_world()
    head = await client.head(f"/events/{world.training_run}")
    assert head.status_code == 200
    post_only = await client.head("/staff/logout")
    assert post_only.status_code in (404, 405)
