from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Serial
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-06T10:51:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Places made from the free text of cohorts and sessions"


class Place(Table, tablename="place", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


#: Every distinct free-text place of a cohort or session becomes a place named after it
#: (nothing is lost; its town stays empty until a coordinator fills it in), and the rows
#: refer to it. Plain SQL both engines understand.
_PLACES_FROM_TEXT = (
    "INSERT INTO place (name, street, postcode, town, created_at, updated_at) "
    "SELECT DISTINCT SUBSTR(location, 1, 200), '', '', '', CURRENT_TIMESTAMP, "
    "CURRENT_TIMESTAMP FROM ("
    "SELECT location FROM cohort WHERE location <> '' "
    "UNION SELECT location FROM cohort_session WHERE location <> ''"
    ") AS texts"
)
_COHORTS_TO_PLACES = (
    "UPDATE cohort SET place = (SELECT MIN(p.id) FROM place p "
    "WHERE p.name = SUBSTR(cohort.location, 1, 200)) WHERE location <> ''"
)
_SESSIONS_TO_PLACES = (
    "UPDATE cohort_session SET place = (SELECT MIN(p.id) FROM place p "
    "WHERE p.name = SUBSTR(cohort_session.location, 1, 200)) WHERE location <> ''"
)


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="programmes", description=DESCRIPTION
    )

    async def places_from_text():
        for statement in (_PLACES_FROM_TEXT, _COHORTS_TO_PLACES, _SESSIONS_TO_PLACES):
            await Place.raw(statement)

    manager.add_raw(places_from_text)
    return manager
