from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T10:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Programme and run texts in more languages (translations as JSON)"


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

    return manager
