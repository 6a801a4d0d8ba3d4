"""The data model: Piccolo tables, one module per area. Import tables from here."""

from programmes.tables.accounts import Account, AccountLink, ApiToken, FeedToken, KeptForm
from programmes.tables.catalogue import (
    Cohort,
    CohortTrainer,
    Programme,
    ProgrammePause,
    Session,
)
from programmes.tables.participation import Attendance, Registration
from programmes.tables.people import Child, Family, Guardian, Person
from programmes.tables.places import ClosureDay, Kita, OrgCalendar, OrgClosure, Place
from programmes.tables.records import AuditEvent, ErasureRequest, Outbox, RateCounter

#: Every table of the service, parents before children (the order migrations create them).
ALL_TABLES = (
    Kita,
    ClosureDay,
    Place,
    OrgCalendar,
    OrgClosure,
    Account,
    ApiToken,
    FeedToken,
    AccountLink,
    Programme,
    Cohort,
    CohortTrainer,
    ProgrammePause,
    Session,
    Family,
    Guardian,
    Child,
    Person,
    Registration,
    Attendance,
    AuditEvent,
    Outbox,
    RateCounter,
    ErasureRequest,
    KeptForm,
)

__all__ = [
    "ALL_TABLES",
    "Account",
    "AccountLink",
    "ApiToken",
    "Attendance",
    "AuditEvent",
    "Child",
    "ClosureDay",
    "Cohort",
    "CohortTrainer",
    "ErasureRequest",
    "Family",
    "FeedToken",
    "Guardian",
    "KeptForm",
    "Kita",
    "OrgCalendar",
    "OrgClosure",
    "Outbox",
    "Person",
    "Place",
    "Programme",
    "ProgrammePause",
    "RateCounter",
    "Registration",
    "Session",
]
