from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T10:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "A session's public cancel note (apart from the internal reason); "
    "a private feed's reminder"
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="programmes", description=DESCRIPTION
    )

    # Existing sessions get an empty note: their reason was written for staff, and the
    # public now sees "This date is cancelled." unless a coordinator writes a note.
    manager.add_column(
        table_class_name="Session",
        tablename="cohort_session",
        column_name="public_cancel_note",
        db_column_name="public_cancel_note",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 300,
            "default": "",
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

    # Minutes before a session's start; NULL: no reminder (the default).
    manager.add_column(
        table_class_name="FeedToken",
        tablename="feed_token",
        column_name="reminder_minutes",
        db_column_name="reminder_minutes",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
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
