from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T10:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Programme and run texts in more languages (translations as JSON); "
    "Turkish and Arabic as registration languages"
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="programmes", description=DESCRIPTION
    )

    for class_name, tablename in (("Programme", "programme"), ("Cohort", "cohort")):
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="translations",
            db_column_name="translations",
            column_class_name="JSON",
            column_class=JSON,
            params={
                "default": "{}",
                "null": False,
                "primary_key": False,
                "unique": False,
                "index": False,
                "index_method": IndexMethod.btree,
                "choices": None,
                "db_column_name": None,
                "secret": False,
            },
            schema=None,
        )

    # Only the recorded choices change (no SQL): registrations and people may now have
    # Turkish and Arabic as the language of their mails.
    for class_name, tablename in (("Registration", "registration"), ("Person", "person")):
        manager.alter_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name="language",
            db_column_name="language",
            params={
                "choices": Enum(
                    "Language", {"de": "de", "en": "en", "tr": "tr", "ar": "ar"}
                )
            },
            old_params={"choices": Enum("Language", {"de": "de", "en": "en"})},
            column_class=Varchar,
            old_column_class=Varchar,
            schema=None,
        )

    return manager
