"""Health, API documentation, languages and security headers."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from programmes import db
from programmes.settings import parse_database_url


async def test_health_says_ok_when_the_database_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # a probe gets no cookie (no CSRF token, no session) but the usual security headers
    assert "set-cookie" not in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_health_says_503_when_the_database_is_unreachable(
    client: httpx.AsyncClient, tmp_path: object
) -> None:
    if db.is_sqlite():
        broken = parse_database_url("sqlite:////nonexistent-dir/nowhere/db.sqlite")
    else:
        broken = parse_database_url("postgresql://postgres@127.0.0.1:1/programmes_test")
    db.configure(broken)
    response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


async def test_openapi_document_and_docs_are_served(client: httpx.AsyncClient) -> None:
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    spec = document.json()
    assert spec["info"]["title"] == "programmes"
    assert "/health" in spec["paths"]
    assert "/api/v1/me" in spec["paths"]
    docs = await client.get("/schema")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]


async def test_pages_are_german_by_default_with_an_english_switch(
    client: httpx.AsyncClient,
) -> None:
    german = await client.get("/")
    assert '<html lang="de" dir="ltr">' in german.text
    assert "Veranstaltungen" in german.text
    assert 'href="/?lang=en"' in german.text
    english = await client.get("/?lang=en")
    assert '<html lang="en" dir="ltr">' in english.text
    assert "Events" in english.text
    assert english.cookies.get("programmes_lang") == "en"
    # the choice sticks for the next page
    again = await client.get("/staff/login")
    assert '<html lang="en" dir="ltr">' in again.text
    assert "Staff sign-in" in again.text


async def test_every_response_carries_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"


async def test_static_files_are_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/app.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]


@pytest.mark.parametrize("path", ["/nowhere", "/staff/nowhere"])
async def test_unknown_pages_are_a_friendly_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path, headers={"accept": "text/html"})
    assert response.status_code in (404, 303)
    if response.status_code == 404:
        assert "Nicht gefunden" in response.text
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "path", ["/feeds/programmes/999999.ics", "/feeds/public.ics?kind=rucksack", "/events/9.ics"]
)
async def test_feed_errors_carry_the_security_headers(client: httpx.AsyncClient, path: str) -> None:
    """The feeds answer outside the pages' middleware; their errors are protected all the
    same (a 400 repeats what the caller sent)."""
    response = await client.get(path)
    assert response.status_code in (400, 404)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers or path.startswith("/events/")


async def test_app_is_litestar(app: Litestar) -> None:
    assert app.openapi_config is not None
