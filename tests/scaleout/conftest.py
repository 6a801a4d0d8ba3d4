"""Two `programmes serve` processes on different ports sharing one database, standing for
two hosts behind a load balancer. Started once for the module; scenarios use runs of
their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from programmes import db
from programmes.settings import parse_database_url
from tests.conftest import migrated_copy
from tests.live_server import LiveServer, live_server

#: Public registrations per client address and 10 minutes, shared by both hosts.
REGISTRATION_LIMIT = 150


@pytest.fixture(scope="module")
def hosts_database_url(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_copy(migrated_template, tmp_path_factory, "scaleout")


@pytest.fixture(scope="module")
def hosts(
    hosts_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    env = {"PROGRAMMES_REGISTRATION_LIMIT": f"{REGISTRATION_LIMIT}/10"}
    with (
        live_server(hosts_database_url, tmp_path_factory.mktemp("a"), workers=1, **env) as a,
        live_server(hosts_database_url, tmp_path_factory.mktemp("b"), workers=1, **env) as b,
    ):
        yield a, b


@pytest.fixture
async def hosts_database(hosts_database_url: str) -> AsyncIterator[None]:
    """Bind the tables to the shared database for setting up and checking a scenario."""
    db.configure(parse_database_url(hosts_database_url))
    async with db.connection_pool(min_size=1, max_size=4):
        yield
