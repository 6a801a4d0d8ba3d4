"""The data model: Piccolo tables, one module per area. Import tables from here."""

from programmes.tables.accounts import Account, AccountLink, ApiToken, FeedToken, KeptForm
from programmes.tables.catalogue import Cohort, CohortTrainer, Programme, Session
from programmes.tables.participation import Attendance, Registration
from programmes.tables.people import Child, Family, Guardian, Person
from programmes.tables.places import ClosureDay, Kita, Place
from programmes.tables.records import AuditEvent, ErasureRequest, Outbox, RateCounter

#: Every table of the service, parents before children (the order migrations create them).
ALL_TABLES = (
    Kita,
    ClosureDay,
    Place,
    Account,
    ApiToken,
    FeedToken,
    AccountLink,
    Programme,
    Cohort,
    CohortTrainer,
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
    "Outbox",
    "Person",
    "Place",
    "Programme",
    "RateCounter",
    "Registration",
    "Session",
]
