"""Piccolo's configuration, for the `piccolo` command (e.g. `piccolo migrations new programmes
--auto`). The service itself configures the engine through `programmes.db.configure`."""

from programmes import db
from programmes.settings import load_settings

DB = db.configure(load_settings().database)
APP_REGISTRY = db.APP_REGISTRY
