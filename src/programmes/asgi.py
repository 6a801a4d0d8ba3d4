"""Entry point for uvicorn workers: builds the app from the environment, inside the request
log when `programmes serve` turned it on."""

from __future__ import annotations

from litestar.types import ASGIApp

from programmes.app import create_app
from programmes.logging_config import with_request_log
from programmes.settings import load_settings


def app_from_environment() -> ASGIApp:
    return with_request_log(create_app(load_settings()))
