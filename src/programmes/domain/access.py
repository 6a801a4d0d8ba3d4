"""Who may see and change what: the role rules of the domain.

Coordinators see and change everything. A partner sees the cohorts at their own KiTa and
nothing of other KiTas. A trainer sees the cohorts they lead and sessions they stand in for.
Anything a person may not see answers exactly like something that does not exist
(`NotFound`), so ids of other KiTas' data reveal nothing. Changing plans is for coordinators
only (`Forbidden`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from programmes.domain.errors import N_, Forbidden, NotFound
from programmes.tables import Cohort, CohortTrainer, Session
from programmes.vocabulary import Role


@dataclass(frozen=True)
class Staff:
    """A signed-in member of staff, as the rest of the service sees them."""

    id: int
    email: str
    name: str
    role: Role
    kita_id: int | None

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.coordinator


def require_coordinator(staff: Staff) -> None:
    if staff.role is not Role.coordinator:
        raise Forbidden(N_("Only coordinators may do this."))


def cohort_scope(staff: Staff) -> Any:
    """A where-clause on `Cohort` selecting the cohorts `staff` may see (None: all)."""
    if staff.role is Role.coordinator:
        return None
    if staff.role is Role.partner:
        return Cohort.kita == staff.kita_id
    led = CohortTrainer.select(CohortTrainer.cohort).where(CohortTrainer.trainer == staff.id)
    substituting = Session.select(Session.cohort).where(Session.substitute == staff.id)
    return Cohort.id.is_in(led) | Cohort.id.is_in(substituting)  # type: ignore[arg-type]


def visible(query: Any, staff: Staff) -> Any:
    scope = cohort_scope(staff)
    return query if scope is None else query.where(scope)


async def check_cohort_visible(staff: Staff, cohort_id: int) -> None:
    """Raise NotFound unless the cohort exists and `staff` may see it."""
    query = visible(Cohort.exists().where(Cohort.id == cohort_id), staff)
    if not await query:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)


async def leads_cohort(staff: Staff, cohort_id: int) -> bool:
    return bool(
        await CohortTrainer.exists().where(
            (CohortTrainer.cohort == cohort_id) & (CohortTrainer.trainer == staff.id)
        )
    )


__all__ = [
    "Staff",
    "check_cohort_visible",
    "cohort_scope",
    "leads_cohort",
    "require_coordinator",
    "visible",
]
