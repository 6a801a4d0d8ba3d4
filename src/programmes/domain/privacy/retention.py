"""Retention: personal data is kept only as long as the privacy notice promises.

- Public registrants (trainings, info events): anonymised `public_days` after the last
  session of every run they registered for (the notice says "deleted after the event";
  the days leave time for certificates and questions).
- Families: anonymised `family_months` after the last session of every cohort they
  were enrolled in.
- Mails: the address, subject, text and attachment of sent (or given-up) mails are
  cleared `mail_days` after they were sent, so the outbox keeps no contact details and
  no usable link.

Anonymising is `erasure.erase`: every report stays the same. The job is idempotent (what
is anonymised is not touched again) and returns what it did, or would do on a dry run.
`programmes retention [--dry-run]` runs it; the server runs it daily when
`PROGRAMMES_RETENTION_DAILY` is on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from programmes.clock import Clock
from programmes.db import fetch, write_transaction
from programmes.domain import audit
from programmes.domain.accounts import kept_forms
from programmes.domain.privacy.erasure import erase, forget_mails
from programmes.domain.privacy.requests import close_requests
from programmes.domain.privacy.subjects import SubjectKind, find_subject

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class RetentionPolicy:
    public_days: int = 30
    family_months: int = 24
    mail_days: int = 30

    def cutoffs(self, now: datetime) -> tuple[datetime, datetime, datetime]:
        """Runs ended before the first, cohorts before the second, mails sent before the
        third are due."""
        return (
            now - timedelta(days=self.public_days),
            _months_before(now, self.family_months),
            now - timedelta(days=self.mail_days),
        )


@dataclass(frozen=True)
class RetentionReport:
    dry_run: bool
    people: tuple[int, ...]
    families: tuple[int, ...]
    mails: int
    cutoffs: tuple[datetime, datetime, datetime]

    def summary(self) -> str:
        verb = "Would anonymise" if self.dry_run else "Anonymised"
        clear = "would clear" if self.dry_run else "cleared"
        people_before, families_before, mails_before = (c.date() for c in self.cutoffs)
        return (
            f"{verb} {len(self.people)} public registrant(s) (runs ended before "
            f"{people_before}) and {len(self.families)} family(ies) (cohorts ended before "
            f"{families_before}); {clear} {self.mails} mail(s) sent before {mails_before}."
        )


async def apply_retention(
    policy: RetentionPolicy, *, now: datetime, dry_run: bool = False
) -> RetentionReport:
    """Anonymise what is due (or, on a dry run, only say what is)."""
    people_before, families_before, mails_before = policy.cutoffs(now)
    people = await _due(SubjectKind.person, people_before)
    families = await _due(SubjectKind.family, families_before)
    mails = await _due_mails(mails_before)
    report = RetentionReport(
        dry_run=dry_run,
        people=people,
        families=families,
        mails=mails,
        cutoffs=(people_before, families_before, mails_before),
    )
    if dry_run:
        return report
    for kind, ids in ((SubjectKind.person, people), (SubjectKind.family, families)):
        for subject_id in ids:
            async with write_transaction():
                subject = await find_subject(kind, subject_id)
                if subject.anonymised:
                    continue  # another worker was quicker
                await erase(subject, now=now)
                await close_requests(subject, staff_id=None, now=now)
                await audit.record(
                    actor_id=None,
                    action=f"{kind.value}.retention_erased",
                    object_type=kind.value,
                    object_id=subject_id,
                    now=now,
                )
    async with write_transaction():
        await forget_mails(_MAILS_DUE, mails_before, mails_before, now=now)
        await kept_forms.forget_expired(now=now)  # entries kept during a sign-in, if left
    return report


async def run_daily(policy: RetentionPolicy, clock: Clock) -> None:
    """The server's daily run (a background task of each worker; runs are idempotent)."""
    while True:
        try:
            report = await apply_retention(policy, now=clock())
            log.info("retention: %s", report.summary())
        except Exception:
            log.exception("retention run failed; trying again tomorrow")
        await asyncio.sleep(DAY_SECONDS)


#: A subject is due when it is not anonymised and has no registration in a run or cohort
#: whose last session ends after the cutoff (one with no session counts by its creation).
_DUE = (
    "SELECT x.id FROM {table} x WHERE x.anonymised_at IS NULL AND x.created_at < {{}} "
    "AND NOT EXISTS (SELECT 1 FROM registration r JOIN cohort c ON c.id = r.cohort "
    "WHERE r.{table} = x.id AND ("
    "EXISTS (SELECT 1 FROM cohort_session s WHERE s.cohort = c.id AND s.ends_at >= {{}}) "
    "OR (c.created_at >= {{}} AND NOT EXISTS ("
    "SELECT 1 FROM cohort_session s WHERE s.cohort = c.id)))) ORDER BY x.id"
)
_MAILS_DUE = (
    "((sent_at IS NOT NULL AND sent_at < {}) OR (failed_at IS NOT NULL AND failed_at < {})) "
    "AND (to_address <> '' OR body_text <> '' OR attachment <> '')"
)


async def _due(kind: SubjectKind, before: datetime) -> tuple[int, ...]:
    sql = _DUE.format(table=kind.value)
    rows = await fetch(sql, before, before, before)
    return tuple(int(r["id"]) for r in rows)


async def _due_mails(before: datetime) -> int:
    rows = await fetch(
        f"SELECT COUNT(*) AS n FROM outbox WHERE {_MAILS_DUE}",  # noqa: S608 (constant)
        before,
        before,
    )
    return int(rows[0]["n"])


def _months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` earlier (the last day of a shorter month)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, _days_in(year, month + 1))
    return moment.replace(year=year, month=month + 1, day=day)


def _days_in(year: int, month: int) -> int:
    following = datetime(year + (month == 12), month % 12 + 1, 1)  # noqa: DTZ001 (a date)
    return (following - timedelta(days=1)).day
