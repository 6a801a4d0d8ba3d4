"""One database and two servers (the real one and the racy control) for the whole module:
starting `programmes serve --workers 2` takes seconds, so the scenarios share them and
each works on a run of its own."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from programmes import db
from programmes.settings import parse_database_url
from tests.conftest import ENGINE, _recreate_postgres_database
from tests.live_server import LiveServer, live_server


@pytest.fixture(scope="module")
def shared_database_url(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if ENGINE == "sqlite":
        template = parse_database_url(migrated_template).sqlite_path
        assert template is not None
        path = tmp_path_factory.mktemp("concurrency") / "shared.sqlite"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    parts = urlsplit(migrated_template)
    url = parts._replace(path=parts.path + "_concurrency").geturl()
    _recreate_postgres_database(url)
    db.configure(parse_database_url(url))
    asyncio.run(db.migrate())
    return url


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
    with live_server(
        shared_database_url, tmp_path_factory.mktemp("racy"), PROGRAMMES_TEST_UNSAFE_SEATS="1"
    ) as running:
        yield running


@pytest.fixture
async def shared_database(shared_database_url: str) -> AsyncIterator[None]:
    """Bind the tables to the shared database for setting up and checking a scenario."""
    db.configure(parse_database_url(shared_database_url))
    async with db.connection_pool(min_size=1, max_size=4):
        yield


__all__ = ["Path"]
