"""Entry point for uvicorn workers: builds the app from the environment, shares each
worker's event loop fairly between kinds of request (unless PROGRAMMES_FAIR_SHARE is off),
inside the request log when `programmes serve` turned it on (so logged durations include
the wait for a turn)."""

from __future__ import annotations

from litestar.types import ASGIApp

from programmes.app import create_app
from programmes.logging_config import with_request_log
from programmes.settings import load_settings
from programmes.web.fair_share import FairShare


def app_from_environment() -> ASGIApp:
    settings = load_settings()
    app: ASGIApp = create_app(settings)
    if settings.fair_share:
        app = FairShare(app)
    return with_request_log(app)
