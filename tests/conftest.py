"""One suite, two engines.

`PROGRAMMES_TEST_DATABASE=sqlite` (the default) runs every database test on a fresh copy of
a migrated SQLite file; `PROGRAMMES_TEST_DATABASE=postgres` runs them on the PostgreSQL
database named by `PROGRAMMES_TEST_POSTGRES_URL` (default
postgresql://postgres@127.0.0.1:5432/programmes_test), migrated once and truncated before
each test. A database whose name lacks "test" is refused, so a suite never wipes real data.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from litestar import Litestar

from programmes import db
from programmes.app import create_app
from programmes.clock import FrozenClock
from programmes.settings import Settings, load_settings, parse_database_url
from programmes.tables import Account

ENGINE = os.environ.get("PROGRAMMES_TEST_DATABASE", "sqlite").strip().lower()
POSTGRES_URL = os.environ.get(
    "PROGRAMMES_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/programmes_test"
)
TEST_SECRET = "test-secret-" + "x" * 40
#: A Wednesday in late November, 10:00 in Berlin: the frozen "now" of the suite.
FROZEN_NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
#: Tests hash passwords with few iterations; one test checks the rehash at full strength.
TEST_PBKDF2_ITERATIONS = 1_000

if ENGINE not in ("sqlite", "postgres"):
    raise pytest.UsageError("PROGRAMMES_TEST_DATABASE must be 'sqlite' or 'postgres'")
if ENGINE == "postgres" and "test" not in urlsplit(POSTGRES_URL).path:
    raise pytest.UsageError(
        f"refusing to run against {POSTGRES_URL}: the database name must contain 'test'"
    )


def environment_for_tests(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "PROGRAMMES_ENV": "test",
        "PROGRAMMES_DATABASE_URL": database_url,
        "PROGRAMMES_SECRET_KEY": TEST_SECRET,
        "PROGRAMMES_BASE_URL": "http://testserver",
        # The closure-import tests serve calendars from a real server on 127.0.0.1.
        "PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS": "true",
        # Tests start hundreds of apps; a render helper process each would cost seconds.
        # (tests/unit/test_render_pool.py and the real-server tests cover the helper.)
        "PROGRAMMES_FEED_RENDERER": "thread",
        **extra,
    }


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per run: a SQLite template file, or the PostgreSQL test database."""
    if ENGINE == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.sqlite"
        url = f"sqlite:///{path}"
    else:
        url = POSTGRES_URL
        _recreate_postgres_database(url)
    settings = load_settings(environment_for_tests(url))
    db.configure(settings.database)
    asyncio.run(db.migrate())
    if ENGINE == "sqlite":
        with sqlite3.connect(path) as conn:  # fold the WAL into the file before copying it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return url


def migrated_copy(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory, name: str
) -> str:
    """A migrated database of its own for tests that run a real server: a copy of the
    SQLite template, or a PostgreSQL database named after the suite's plus `_<name>`."""
    if ENGINE == "sqlite":
        template = parse_database_url(migrated_template).sqlite_path
        assert template is not None
        path = tmp_path_factory.mktemp(name) / f"{name}.sqlite"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    parts = urlsplit(migrated_template)
    url = parts._replace(path=f"{parts.path}_{name}").geturl()
    _recreate_postgres_database(url)
    db.configure(parse_database_url(url))
    asyncio.run(db.migrate())
    return url


def _recreate_postgres_database(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()

    async def recreate() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(recreate())


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for one test."""
    if ENGINE == "sqlite":
        path = tmp_path / "test.sqlite"
        template = parse_database_url(migrated_template).sqlite_path
        assert template is not None
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    asyncio.run(_truncate_postgres(migrated_template))
    return migrated_template


async def _truncate_postgres(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'migration'"
        )
        names = ", ".join(f'"{row["tablename"]}"' for row in tables)
        await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(environment_for_tests(database_url), workdir=tmp_path)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(FROZEN_NOW)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Account, "_pbkdf2_iteration_count", TEST_PBKDF2_ITERATIONS)


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[None]:
    """Bind every table to the test's database (with a pool on PostgreSQL)."""
    db.configure(settings.database)
    async with db.connection_pool(min_size=1, max_size=4):
        yield


@asynccontextmanager
async def running(application: Litestar) -> AsyncIterator[Litestar]:
    """Run the app's lifespan (startup, shutdown) in a task of its own.

    pytest-asyncio may set a fixture up and tear it down in different tasks, but Litestar's
    lifespan holds an anyio cancel scope that must be left in the task that entered it."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with application.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()  # startup failed: raise its error
    try:
        yield application
    finally:
        stop.set()
        await task


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock) -> AsyncIterator[Litestar]:
    async with running(create_app(settings, clock=clock)) as application:
        yield application


def app_client(
    application: Litestar, *, address: tuple[str, int] = ("127.0.0.1", 123)
) -> httpx.AsyncClient:
    """An HTTP client for `application` in this process, as if from `address`."""
    # The same ASGI callable in both libraries' types: httpx spells the scope and messages as
    # plain dicts, Litestar as TypedDicts, which mypy does not take for one another.
    transport = httpx.ASGITransport(app=application, client=address)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(app, address=("203.0.113.7", 50000)) as http:
        yield http


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
