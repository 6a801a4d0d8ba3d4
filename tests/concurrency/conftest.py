"""One database and two servers (the real one and the racy control) for the whole module:
starting `programmes serve --workers 2` takes seconds, so the scenarios share them and
each works on a run of its own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from programmes import db
from programmes.settings import parse_database_url
from tests.conftest import migrated_copy
from tests.live_server import LiveServer, live_server

RACY_CONTROL = Path(__file__).resolve().parents[1] / "racy_control"


@pytest.fixture(scope="module")
def shared_database_url(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return migrated_copy(migrated_template, tmp_path_factory, "concurrency")


@pytest.fixture(scope="module")
def server(
    shared_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    with live_server(shared_database_url, tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="module")
def racy_server(
    shared_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The same server with the racy seat step of tests/racy_control loaded into every
    process (its `sitecustomize`, first on the path)."""
    path = os.pathsep.join(p for p in (str(RACY_CONTROL), os.environ.get("PYTHONPATH")) if p)
    with live_server(
        shared_database_url, tmp_path_factory.mktemp("racy"), PYTHONPATH=path
    ) as running:
        yield running


@pytest.fixture
async def shared_database(shared_database_url: str) -> AsyncIterator[None]:
    """Bind the tables to the shared database for setting up and checking a scenario."""
    db.configure(parse_database_url(shared_database_url))
    async with db.connection_pool(min_size=1, max_size=4):
        yield
