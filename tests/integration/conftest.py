from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _bind_database(database: None) -> None:
    """Every integration test runs on its own fresh database."""
