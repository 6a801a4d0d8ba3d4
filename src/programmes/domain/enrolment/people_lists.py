"""The contact list of a cohort or run for daily work: who is registered (confirmed, and the
waiting list in order) and how to reach them.

Who may read it: coordinators (every cohort and run), the trainers who lead the cohort
(they call families, so they see contacts), and the partner of the cohort's KiTa. A trainer
who only stands in for a session does not: a substitute covers one session and gets its
attendance page, not the families' phone numbers for the whole group. Anybody else gets
"not found", exactly as for a cohort that does not exist.

Cancelled and withdrawn registrations are not listed (the list is for reaching the people
who take part or wait for a place). A family or person whose data was erased shows as "—"
with no contact details at all. The page, the printable list and the CSV/XLSX files are
made from the same `PeopleList` and the same column labels (`COLUMNS`), so they cannot
drift apart. Four queries for any size of list. Each CSV or XLSX download is in the audit
trail (the page and the print version are not: they stay on the screen or on paper).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Final

import msgspec
from babel import Locale

from programmes.clock import BERLIN
from programmes.db import fetch
from programmes.domain import audit
from programmes.domain.access import Staff, leads_cohort, visible
from programmes.domain.errors import N_, NotFound
from programmes.i18n import gettext
from programmes.tables import Cohort, Guardian, Registration
from programmes.vocabulary import ProgrammeKind, RegistrationStatus, Role

ERASED_NAME: Final = "—"

#: (key, label) of the columns of the table the CSV and XLSX files hold, in order.
COLUMNS: Final = (
    ("number", N_("No.")),
    ("status", N_("Status")),
    ("waiting_position", N_("Place on the waiting list")),
    ("name", N_("Name")),
    ("email", N_("E-mail")),
    ("phone", N_("Phone")),
    ("languages", N_("Language(s)")),
    ("reach_via_kita", N_("Reach via the KiTa")),
    ("seats", N_("Seats")),
)


class Contact(msgspec.Struct, frozen=True):
    """A guardian of a family, or the person registered for a run."""

    name: str
    email: str
    phone: str
    languages: str
    #: None for people registered for a run (only families are reached via a KiTa).
    reach_via_kita: bool | None


class Entry(msgspec.Struct, frozen=True):
    """One registration: a family or a person, with everybody to contact."""

    registration_id: int
    number: int
    status: str
    #: 1, 2, 3, … along the waiting list; None for confirmed registrations.
    waiting_position: int | None
    seats: int
    anonymised: bool
    contacts: list[Contact]

    @property
    def name(self) -> str:
        if self.anonymised:
            return ERASED_NAME
        return ", ".join(c.name for c in self.contacts if c.name) or ERASED_NAME

    @property
    def languages(self) -> str:
        """Every language of the family's guardians once, in the order they were entered."""
        spoken = [part.strip() for c in self.contacts for part in c.languages.split(",")]
        return ", ".join(dict.fromkeys(part for part in spoken if part))


class PeopleList(msgspec.Struct, frozen=True):
    cohort_id: int
    cohort: str
    programme: str
    kind: str
    kita: str | None
    entries: list[Entry]
    made_at: datetime

    @property
    def families(self) -> bool:
        """A Rucksack group lists families (guardians); a run lists people."""
        return self.kind == ProgrammeKind.rucksack.value

    @property
    def confirmed(self) -> list[Entry]:
        return [e for e in self.entries if e.status == RegistrationStatus.confirmed.value]

    @property
    def waiting(self) -> list[Entry]:
        return [e for e in self.entries if e.status == RegistrationStatus.waiting.value]


async def check_may_list(staff: Staff, cohort_id: int) -> None:
    """NotFound unless the cohort exists and `staff` may read its contact list: trainers
    only for cohorts they lead (not those where they only stand in)."""
    if staff.role is Role.trainer:
        allowed = await leads_cohort(staff, cohort_id)
    else:
        allowed = bool(await visible(Cohort.exists().where(Cohort.id == cohort_id), staff))
    if not allowed:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)


async def people_list(*, staff: Staff, cohort_id: int, language: str, now: datetime) -> PeopleList:
    """The contact list of a cohort; `language` names the languages of people registered
    for a run (families' languages are kept as entered)."""
    await check_may_list(staff, cohort_id)
    cohorts = await fetch(
        "SELECT c.id, c.title, p.title AS programme, p.kind AS kind, k.name AS kita "
        "FROM cohort c JOIN programme p ON p.id = c.programme "
        "LEFT JOIN kita k ON k.id = c.kita WHERE c.id = {}",
        cohort_id,
    )
    if not cohorts:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    cohort = cohorts[0]
    registrations = await Registration.select(
        Registration.id,
        Registration.status,
        Registration.waiting_position,
        Registration.seats,
        Registration.family,
        Registration.language,
        Registration.created_at,
        Registration.family.anonymised_at.as_alias("family_erased"),
        Registration.person.name.as_alias("person_name"),
        Registration.person.email.as_alias("person_email"),
        Registration.person.phone.as_alias("person_phone"),
        Registration.person.anonymised_at.as_alias("person_erased"),
    ).where(
        (Registration.cohort == cohort_id)
        & (Registration.status != RegistrationStatus.cancelled.value)
    )
    family_ids = [r["family"] for r in registrations if r["family"] is not None]
    guardians: dict[int, list[Contact]] = defaultdict(list)
    if family_ids:
        for row in (
            await Guardian.select(
                Guardian.family,
                Guardian.name,
                Guardian.email,
                Guardian.phone,
                Guardian.languages,
                Guardian.reach_via_kita,
            )
            .where(Guardian.family.is_in(family_ids))
            .order_by(Guardian.id)
        ):
            guardians[row["family"]].append(
                Contact(
                    name=row["name"] or "",
                    email=row["email"] or "",
                    phone=row["phone"] or "",
                    languages=", ".join(row["languages"] or []),
                    reach_via_kita=bool(row["reach_via_kita"]),
                )
            )
    return PeopleList(
        cohort_id=cohort["id"],
        cohort=cohort["title"],
        programme=cohort["programme"],
        kind=cohort["kind"],
        kita=cohort["kita"],
        entries=_entries(registrations, guardians, language),
        made_at=now,
    )


def _entries(
    registrations: list[dict[str, Any]], guardians: dict[int, list[Contact]], language: str
) -> list[Entry]:
    confirmed: list[tuple[bool, str, int, dict[str, Any], list[Contact]]] = []
    waiting: list[tuple[int, int, dict[str, Any], list[Contact]]] = []
    for row in registrations:
        erased = row["family_erased"] is not None or row["person_erased"] is not None
        if erased:
            contacts: list[Contact] = []
        elif row["family"] is not None:
            contacts = guardians.get(row["family"], [])
        else:
            contacts = [
                Contact(
                    name=row["person_name"] or "",
                    email=row["person_email"] or "",
                    phone=row["person_phone"] or "",
                    languages=_language_name(row["language"], language),
                    reach_via_kita=None,
                )
            ]
        if row["status"] == RegistrationStatus.waiting.value:
            waiting.append((row["waiting_position"] or 0, row["id"], row, contacts))
        else:
            name = ", ".join(c.name for c in contacts).casefold()
            confirmed.append((erased or not name.strip(), name, row["id"], row, contacts))
    confirmed.sort(key=lambda item: item[:3])
    waiting.sort(key=lambda item: item[:2])
    ordered = [(row, contacts) for *_, row, contacts in confirmed] + [
        (row, contacts) for *_, row, contacts in waiting
    ]
    entries = []
    rank = 0
    for number, (row, contacts) in enumerate(ordered, start=1):
        is_waiting = row["status"] == RegistrationStatus.waiting.value
        rank += is_waiting
        entries.append(
            Entry(
                registration_id=row["id"],
                number=number,
                status=row["status"],
                waiting_position=rank if is_waiting else None,
                seats=int(row["seats"]),
                anonymised=row["family_erased"] is not None or row["person_erased"] is not None,
                contacts=contacts,
            )
        )
    return entries


def _language_name(code: str, language: str) -> str:
    """A registration's language ("tr") in the reader's language ("Türkisch")."""
    try:
        name = Locale.parse(code).get_display_name(language) or code
    except (ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:]


def table_rows(people: PeopleList, language: str) -> list[list[str | int | None]]:
    """The list as a table for CSV and XLSX: a heading row with translated labels, then one
    row per contact (a family with two guardians has two rows with the same number), and
    one row with "—" for an erased registration. Seats only for runs."""

    def _(message: str) -> str:
        return gettext(language, message)

    columns = [(key, label) for key, label in COLUMNS if key != "seats" or not people.families]
    if not people.families:
        columns = [(key, label) for key, label in columns if key != "reach_via_kita"]
    rows: list[list[str | int | None]] = [[_(label) for _key, label in columns]]
    for entry in people.entries:
        contacts = entry.contacts or [Contact(ERASED_NAME, "", "", "", None)]
        for contact in contacts:
            values: dict[str, str | int | None] = {
                "number": entry.number,
                "status": _(entry.status),
                "waiting_position": entry.waiting_position,
                "name": contact.name or ERASED_NAME,
                "email": contact.email,
                "phone": contact.phone,
                "languages": contact.languages,
                "reach_via_kita": _("yes") if contact.reach_via_kita else "",
                "seats": entry.seats,
            }
            rows.append([values[key] for key, _label in columns])
    return rows


async def record_download(*, staff: Staff, people: PeopleList, extension: str) -> None:
    """Audit a download: a file of contacts leaves the service (who, which cohort, how many
    registrations, which format; never a name or a contact)."""
    await audit.record(
        actor_id=staff.id,
        action="cohort.contact_list_downloaded",
        object_type="cohort",
        object_id=people.cohort_id,
        now=people.made_at,
        detail={"format": extension, "registrations": len(people.entries)},
    )


def file_name(people: PeopleList, extension: str) -> str:
    """`kontaktliste-<cohort id>-<date>.csv`: no names in file names (they end up in
    download folders and mail attachments)."""
    day = people.made_at.astimezone(BERLIN).date().isoformat()
    return f"kontaktliste-{people.cohort_id}-{day}.{extension}"


__all__ = [
    "COLUMNS",
    "Contact",
    "Entry",
    "PeopleList",
    "check_may_list",
    "file_name",
    "people_list",
    "record_download",
    "table_rows",
]
