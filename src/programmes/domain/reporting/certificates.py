"""Participation certificates (Teilnahmebescheinigungen) for coordinators to print, in
German or in any public language (the family's, say): the programme's and group's titles
in that language where coordinators entered them, else in German.

A participant gets one when present at no fewer than the programme's threshold (default
75 %) of the cohort's held sessions (not cancelled, started before now), counted exactly in
whole numbers (`reaches_threshold`). Only confirmed registrations whose personal data is
still there get one: one certificate per registration, naming a family's guardians
together (attendance is recorded per family) or the registered person. The period runs from
the first to the last held session.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from programmes.domain.access import Staff, require_coordinator
from programmes.domain.catalogue import translations as texts
from programmes.domain.reporting.attendance_list import load_attendance_list
from programmes.domain.reporting.reports import reaches_threshold
from programmes.tables import Cohort
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
    *, staff: Staff, cohort_id: int, organisation: str, now: datetime, language: str = "de"
) -> CertificateSet:
    require_coordinator(staff)
    sheet = await load_attendance_list(cohort_id, now=now, blank=False)
    held = sheet.held
    programme, cohort = await _titles(cohort_id, language, sheet.programme, sheet.cohort)
    return CertificateSet(
        cohort_id=sheet.cohort_id,
        cohort=cohort,
        programme=programme,
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


async def _titles(cohort_id: int, language: str, programme: str, cohort: str) -> tuple[str, str]:
    """The programme's and the group's titles in `language` (else as given, in German)."""
    the_programme: Any = Cohort.programme
    row = (
        await Cohort.select(
            Cohort.translations,
            the_programme.title_en.as_alias("title_en"),
            the_programme.translations.as_alias("programme_translations"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    if row is None:
        return programme, cohort
    programme_titles = texts.programme_variants(
        row["title_en"] or "", texts.parse(row["programme_translations"]), "title"
    )
    run_titles = texts.run_variants(
        cohort, texts.parse(row["translations"]), programme, programme_titles
    )
    return (
        texts.pick(programme, programme_titles, language).text,
        texts.pick(cohort, run_titles, language).text,
    )
