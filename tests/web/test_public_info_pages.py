"""The privacy notice and the imprint: linked from every public page, filled from the
settings (the notice's version is the one consents record, its retention periods the ones
the retention job applies), and gzip for pages, stylesheets and JSON."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.settings import SettingsError, load_settings
from programmes.tables import Registration
from programmes.web.public import retention_policy
from tests.conftest import app_client, environment_for_tests, running
from tests.factories import make_public_run
from tests.web.helpers import post_form


@pytest.fixture
async def office_client(
    database_url: str, clock: FrozenClock, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(
        environment_for_tests(
            database_url,
            PROGRAMMES_PRIVACY_NOTICE_VERSION="2027-01",
            PROGRAMMES_RETENTION_PUBLIC_DAYS="14",
            PROGRAMMES_RETENTION_FAMILY_MONTHS="1",
            PROGRAMMES_RETENTION_MAIL_DAYS="7",
            PROGRAMMES_ORGANISATION="Stadt Herten, Integrationsbüro",
            PROGRAMMES_IMPRINT_ADDRESS="Kurt-Schumacher-Str. 2, 45699 Herten",
            PROGRAMMES_IMPRINT_PHONE="+49 2366 303-0",
            PROGRAMMES_IMPRINT_EMAIL="integration@herten.example",
        ),
        workdir=tmp_path,
    )
    app = create_app(settings, clock=clock)
    async with running(app), app_client(app) as http:
        yield http


async def test_the_privacy_notice_states_the_recorded_version_and_the_jobs_periods(
    office_client: httpx.AsyncClient,
) -> None:
    html = (await office_client.get("/datenschutz")).text
    assert "<h1>Datenschutzerklärung</h1>" in html
    assert "Fassung 2027-01" in html
    assert "wird 14 Tage nach dem letzten Termin der Veranstaltung gelöscht" in html
    assert "werden 1 Monat nach dem letzten Termin ihrer Elterngruppe gelöscht" in html
    assert "bewahren wir 7 Tage nach dem Senden auf" in html
    assert "Stadt Herten, Integrationsbüro" in html
    assert "integration@herten.example" in html
    # the consent given on the form records that same version
    cohort = await make_public_run()
    form = (await office_client.get(f"/events/{cohort}")).text
    assert '<a href="/datenschutz">Datenschutzerklärung</a>' in form
    assert "löschen sie 14 Tage nach ihrem letzten Termin" in form
    await post_form(
        office_client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {"name": "Jana Becker", "email": "jana@example.org", "consent": "on"},
    )
    stored = await Registration.select(Registration.consent_notice_version)
    assert stored == [{"consent_notice_version": "2027-01"}]


def test_the_notice_and_the_retention_job_read_the_same_settings(tmp_path: Path) -> None:
    settings = load_settings(
        environment_for_tests("sqlite:///x.sqlite", PROGRAMMES_RETENTION_PUBLIC_DAYS="9"),
        workdir=tmp_path,
    )
    import programmes.app

    assert programmes.app.retention_policy is retention_policy  # type: ignore[attr-defined]
    assert retention_policy(settings).public_days == 9


async def test_the_imprint_comes_from_the_settings(office_client: httpx.AsyncClient) -> None:
    html = (await office_client.get("/impressum?lang=en")).text
    assert "<h1>Imprint and contact</h1>" in html
    assert "Kurt-Schumacher-Str. 2, 45699 Herten" in html
    assert 'href="tel:+492366303-0"' in html
    assert 'href="mailto:integration@herten.example"' in html


def test_a_bad_imprint_setting_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PROGRAMMES_IMPRINT_EMAIL"):
        load_settings(
            environment_for_tests("sqlite:///x.sqlite", PROGRAMMES_IMPRINT_EMAIL="not an address"),
            workdir=tmp_path,
        )
    with pytest.raises(SettingsError, match="PROGRAMMES_IMPRINT_ADDRESS"):
        load_settings(
            environment_for_tests("sqlite:///x.sqlite", PROGRAMMES_IMPRINT_ADDRESS="a\nb"),
            workdir=tmp_path,
        )


async def test_the_english_addresses_lead_to_the_pages(client: httpx.AsyncClient) -> None:
    privacy = await client.get("/privacy?lang=en")
    assert privacy.status_code == 301
    assert privacy.headers["location"] == "/datenschutz?lang=en"
    imprint = await client.get("/imprint")
    assert imprint.headers["location"] == "/impressum"
    for path in ("/", "/datenschutz", "/impressum", "/staff/login"):
        html = (await client.get(path)).text
        assert 'href="/datenschutz"' in html and 'href="/impressum"' in html, path


async def test_pages_css_and_json_are_gzipped_and_small(client: httpx.AsyncClient) -> None:
    for _ in range(50):
        await make_public_run(dates=2)
    cohort = await make_public_run()
    for path, kind in (
        ("/", "text/html"),
        (f"/events/{cohort}", "text/html"),
        ("/datenschutz", "text/html"),
        ("/static/app.css", "text/css"),
        ("/api/v1/events", "application/json"),
    ):
        packed = await client.get(path, headers={"accept-encoding": "gzip"})
        assert packed.status_code == 200, path
        assert packed.headers["content-type"].startswith(kind), path
        assert packed.headers["content-encoding"] == "gzip", path
        assert "accept-encoding" in packed.headers["vary"].lower(), path
        size = int(packed.headers["content-length"])
        assert size < 50 * 1024, (path, size)
        plain = await client.get(path, headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers, path
        assert packed.content == plain.content, path  # httpx unpacked it
        assert size < len(plain.content), path
    # HEAD says the same length, without a body
    head = await client.head("/", headers={"accept-encoding": "gzip"})
    assert head.headers["content-encoding"] == "gzip"
    assert head.content == b""
    # the feeds gzip themselves, once: unpacked once, it is the calendar
    feed = await client.get("/feeds/public.ics", headers={"accept-encoding": "gzip"})
    assert feed.headers["content-encoding"] == "gzip"
    assert feed.text.startswith("BEGIN:VCALENDAR")
