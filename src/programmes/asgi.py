"""Entry point for uvicorn workers: builds the app from the environment."""

from __future__ import annotations

from litestar import Litestar

from programmes.app import create_app
from programmes.settings import load_settings


def app_from_environment() -> Litestar:
    return create_app(load_settings())
