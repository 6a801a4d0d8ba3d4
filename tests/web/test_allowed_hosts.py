"""Only the service's own host names are served: a forged Host header (DNS rebinding, a
poisoned link in a mail) gets 400 on every route, the back office and feeds included."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from programmes.settings import SettingsError, load_settings
from tests.conftest import environment_for_tests


@pytest.mark.parametrize("path", ["/", "/health", "/feeds/public.ics", "/admin/", "/staff/login"])
async def test_a_foreign_host_header_is_refused_everywhere(
    client: httpx.AsyncClient, path: str
) -> None:
    refused = await client.get(path, headers={"host": "evil.example"})
    assert refused.status_code == 400
    assert "set-cookie" not in refused.headers
    assert refused.headers["cache-control"] == "no-store"
    allowed = await client.get(path)
    assert allowed.status_code in (200, 302, 303)


@pytest.mark.parametrize(
    "host", ["localhost", "127.0.0.1:8000", "testserver:443", "TestServer", "[::1]:8000"]
)
async def test_loopback_and_the_base_urls_host_are_served(
    client: httpx.AsyncClient, host: str
) -> None:
    assert (await client.get("/health", headers={"host": host})).status_code == 200


def test_extra_hosts_come_from_the_environment(tmp_path: Path) -> None:
    settings = load_settings(
        environment_for_tests(
            "sqlite:///x.sqlite", PROGRAMMES_ALLOWED_HOSTS="10.0.0.5, *.programme.example.org"
        ),
        workdir=tmp_path,
    )
    assert {"10.0.0.5", "*.programme.example.org", "testserver"} <= set(settings.allowed_hosts)


@pytest.mark.parametrize("value", ["evil example", "http://x.example", "a..b", "*"])
def test_a_bad_host_list_stops_with_one_line(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(
            environment_for_tests("sqlite:///x.sqlite", PROGRAMMES_ALLOWED_HOSTS=value),
            workdir=tmp_path,
        )
    assert str(raised.value).startswith("PROGRAMMES_ALLOWED_HOSTS:")


@pytest.mark.parametrize(
    "host", ["", "testserver.evil.example", "evil.example:80", "testserver@evil.example", "::1"]
)
async def test_lookalike_hosts_are_refused(client: httpx.AsyncClient, host: str) -> None:
    assert (await client.get("/health", headers={"host": host})).status_code == 400
