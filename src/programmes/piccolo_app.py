"""Piccolo's view of this service: its tables and where its migrations live."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from programmes.tables import ALL_TABLES

MIGRATIONS_FOLDER = Path(__file__).resolve().parents[2] / "migrations"

APP_CONFIG = AppConfig(
    app_name="programmes",
    migrations_folder_path=str(MIGRATIONS_FOLDER),
    table_classes=list(ALL_TABLES),
    migration_dependencies=["piccolo_api.session_auth.piccolo_app"],
    commands=[],
)
