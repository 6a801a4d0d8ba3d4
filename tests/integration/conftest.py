from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from programmes.domain.mail import outbox
from programmes.settings import Settings, load_settings
from tests.conftest import environment_for_tests
from tests.smtp_server import SmtpServer, running_smtp_server

MAIL_FROM = "programme@hdk.example"


@pytest.fixture(autouse=True)
def _bind_database(database: None) -> None:
    """Every integration test runs on its own fresh database."""


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free port of 127.0.0.1 that records what it accepts."""
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def mail_settings(database_url: str, smtp_server: SmtpServer, tmp_path: Path) -> Settings:
    """The test settings with PROGRAMMES_SMTP_URL pointing at `smtp_server`."""
    return load_settings(
        environment_for_tests(
            database_url, PROGRAMMES_SMTP_URL=smtp_server.url, PROGRAMMES_MAIL_FROM=MAIL_FROM
        ),
        workdir=tmp_path,
    )


@pytest.fixture(autouse=True)
def _message_ids_for_the_test_host() -> Iterator[None]:
    outbox.set_message_id_host("testserver")
    yield
    outbox.set_message_id_host("localhost")
