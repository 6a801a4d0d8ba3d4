"""Which servers a closure import may contact (SSRF guard of programmes.domain.planning.closures).

The import tests in tests/integration/test_closures.py run against a real server on
127.0.0.1, which this guard refuses by design; there, the guard is switched off (as the test
settings do) except to show that 127.0.0.1 and localhost are refused. What needs a public
server (a public address redirecting into the office network) is shown here with a fake name
resolver and httpx's MockTransport: no packet leaves the machine.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from programmes.domain.errors import Unavailable
from programmes.domain.planning.closure_import import fetch_calendar
from programmes.domain.planning.closures import AddressRefused, calendar_client, is_public_address

CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
PUBLIC = "93.184.215.14"

NAMES = {
    "kita.example": [PUBLIC],
    "intranet.example": ["10.1.2.3"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC, "192.168.0.10"],
    "mapped.example": ["::ffff:127.0.0.1"],
}


async def fake_resolve(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return NAMES[host]


class Body(httpx.AsyncByteStream):
    """A streamed body, as a network response has (the import reads it in pieces)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data


class Recorder:
    """A stand-in for the internet: kita.example serves a calendar or redirects."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.hosts.append(request.url.host)
        if request.url.path.startswith("/moved"):
            target = request.url.path.removeprefix("/moved")
            return httpx.Response(302, headers={"Location": f"http:/{target}"})
        return httpx.Response(200, stream=Body(CALENDAR), headers={"Content-Type": "text/calendar"})


async def fetch(url: str, recorder: Recorder, *, allow_private_hosts: bool = False) -> bytes:
    async with calendar_client(
        allow_private_hosts=allow_private_hosts,
        resolve=fake_resolve,
        transport=httpx.MockTransport(recorder),
    ) as client:
        return await fetch_calendar(url, client=client)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%2",
        "fc00::1",
        "fd12:3456::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "ff02::1",
        "not an address",
    ],
)
def test_local_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111"])
def test_internet_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


async def test_a_public_server_is_asked() -> None:
    recorder = Recorder()
    assert await fetch("https://kita.example/schliesstage.ics", recorder) == CALENDAR
    assert recorder.hosts == ["kita.example"]


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("intranet.example", "10.1.2.3"),
        ("metadata.example", "169.254.169.254"),
        ("mixed.example", "192.168.0.10"),  # one private address among public ones is enough
        ("mapped.example", "::ffff:127.0.0.1"),
        ("127.0.0.1", "127.0.0.1"),
    ],
)
async def test_a_private_server_is_refused_before_it_is_asked(host: str, address: str) -> None:
    NAMES.setdefault("127.0.0.1", ["127.0.0.1"])
    recorder = Recorder()
    with pytest.raises(AddressRefused) as refused:
        await fetch(f"http://{host}/schliesstage.ics", recorder)
    assert refused.value.field == "url"
    assert f"points at {host}" in refused.value.message
    assert f"({address})" in refused.value.message
    assert recorder.hosts == []


async def test_a_redirect_into_the_private_network_is_refused() -> None:
    recorder = Recorder()
    with pytest.raises(AddressRefused) as refused:
        await fetch("http://kita.example/moved/intranet.example/admin.ics", recorder)
    assert "intranet.example" in refused.value.message
    assert recorder.hosts == ["kita.example"]  # the private server was never asked


async def test_the_setting_lets_private_servers_through() -> None:
    recorder = Recorder()
    url = "http://kita.example/moved/intranet.example/schliesstage.ics"
    assert await fetch(url, recorder, allow_private_hosts=True) == CALENDAR
    assert recorder.hosts == ["kita.example", "intranet.example"]


async def test_an_unknown_name_is_explained_like_any_unknown_server() -> None:
    recorder = Recorder()
    with pytest.raises(Unavailable) as unknown:
        await fetch("https://nirgendwo.example/schliesstage.ics", recorder)
    assert unknown.value.field == "url"
    assert "could not be found" in unknown.value.message
    assert recorder.hosts == []


async def test_the_real_resolver_refuses_localhost() -> None:
    """With the event loop's getaddrinfo (no fake): localhost is loopback."""
    async with calendar_client(transport=httpx.MockTransport(Recorder())) as client:
        with pytest.raises(AddressRefused):
            await fetch_calendar("http://localhost:9/schliesstage.ics", client=client)
