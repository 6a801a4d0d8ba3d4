"""Participation certificates (Teilnahmebescheinigungen), in German, for coordinators.

A participant gets one when present at no fewer than the programme's threshold (default
75 %) of the cohort's held sessions (not cancelled, started before now), counted exactly in
whole numbers (`reaches_threshold`). Only confirmed registrations whose personal data is
still there get one: one certificate per registration, naming a family's guardians
together (attendance is recorded per family) or the registered person. The period runs from
the first to the last held session.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec

from programmes.domain.access import Staff, require_coordinator
from programmes.domain.reporting.attendance_list import load_attendance_list
from programmes.domain.reporting.reports import reaches_threshold
from programmes.vocabulary import RegistrationStatus


class Certificate(msgspec.Struct, frozen=True):
    registration_id: int
    name: str
    attended: int


class CertificateSet(msgspec.Struct, frozen=True):
    cohort_id: int
    cohort: str
    programme: str
    kita: str | None
    organisation: str
    threshold_percent: int
    held: int
    first_day: date | None
    last_day: date | None
    certificates: list[Certificate]


async def certificates(
    *, staff: Staff, cohort_id: int, organisation: str, now: datetime
) -> CertificateSet:
    require_coordinator(staff)
    sheet = await load_attendance_list(cohort_id, now=now, blank=False)
    held = sheet.held
    return CertificateSet(
        cohort_id=sheet.cohort_id,
        cohort=sheet.cohort,
        programme=sheet.programme,
        kita=sheet.kita,
        organisation=organisation,
        threshold_percent=sheet.threshold_percent,
        held=held,
        first_day=sheet.first_day,
        last_day=sheet.last_day,
        certificates=[
            Certificate(registration_id=row.registration_id, name=row.name, attended=row.present)
            for row in sheet.rows
            if row.status == RegistrationStatus.confirmed.value
            and not row.anonymised
            and reaches_threshold(row.present, held, sheet.threshold_percent)
        ],
    )
