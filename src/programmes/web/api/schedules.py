"""JSON API for schedules and single sessions."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Struct

from programmes.domain.access import Staff
from programmes.domain.planning import schedules, sessions
from programmes.domain.planning.schedules import RuleInput, SchedulePlan
from programmes.domain.planning.sessions import SessionView
from programmes.domain.types import Id
from programmes.vocabulary import Role
from programmes.web.deps import PathId
from programmes.web.guards import requires_coordinator, requires_role, requires_staff


class ScheduleController(Controller):
    path = "/cohorts/{cohort_id:int}"
    tags = ["schedules"]

    @post("/schedule/preview", guards=[requires_coordinator], status_code=200)
    async def preview(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        data: JSONBody[RuleInput],
        now: NamedDependency[datetime],
    ) -> SchedulePlan:
        """Every date the rule would create, keep or cancel, and every date skipped (nothing
        is saved)."""
        return await schedules.preview_schedule(
            staff=staff, cohort_id=cohort_id, rule=data, now=now
        )

    @put("/schedule", guards=[requires_coordinator])
    async def save(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        data: JSONBody[RuleInput],
        now: NamedDependency[datetime],
    ) -> SchedulePlan:
        """Save the rule: create sessions; on a second save change only future sessions
        without attendance."""
        return await schedules.save_schedule(staff=staff, cohort_id=cohort_id, rule=data, now=now)

    @get("/sessions", guards=[requires_staff])
    async def list_sessions(
        self, staff: NamedDependency[Staff], cohort_id: PathId
    ) -> list[SessionView]:
        return await sessions.list_sessions(staff=staff, cohort_id=cohort_id)


class MoveInput(Struct, frozen=True):
    starts_at: datetime
    ends_at: datetime
    location: str | None = None


class CancelInput(Struct, frozen=True):
    reason: str  # internal: staff pages and staff feeds
    public_note: str = ""  # what public feeds and the mails to those registered say


class ThemeInput(Struct, frozen=True):
    theme: str | None


class SubstituteInput(Struct, frozen=True):
    trainer_id: Id | None


class SessionController(Controller):
    path = "/sessions/{session_id:int}"
    tags = ["sessions"]

    @get("/", guards=[requires_staff])
    async def get_session(self, staff: NamedDependency[Staff], session_id: PathId) -> SessionView:
        return await sessions.get_session(staff=staff, session_id=session_id)

    @post("/move", guards=[requires_coordinator], status_code=200)
    async def move(
        self,
        staff: NamedDependency[Staff],
        session_id: PathId,
        data: JSONBody[MoveInput],
        now: NamedDependency[datetime],
    ) -> SessionView:
        return await sessions.move_session(
            staff=staff,
            session_id=session_id,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            location=data.location,
            now=now,
        )

    @post("/cancel", guards=[requires_coordinator], status_code=200)
    async def cancel(
        self,
        staff: NamedDependency[Staff],
        session_id: PathId,
        data: JSONBody[CancelInput],
        now: NamedDependency[datetime],
    ) -> SessionView:
        return await sessions.cancel_session(
            staff=staff,
            session_id=session_id,
            reason=data.reason,
            public_note=data.public_note,
            now=now,
        )

    @put("/theme", guards=[requires_role(Role.coordinator, Role.trainer)])
    async def theme(
        self,
        staff: NamedDependency[Staff],
        session_id: PathId,
        data: JSONBody[ThemeInput],
        now: NamedDependency[datetime],
    ) -> SessionView:
        return await sessions.change_theme(
            staff=staff, session_id=session_id, theme=data.theme, now=now
        )

    @put("/substitute", guards=[requires_coordinator])
    async def substitute(
        self,
        staff: NamedDependency[Staff],
        session_id: PathId,
        data: JSONBody[SubstituteInput],
        now: NamedDependency[datetime],
    ) -> SessionView:
        return await sessions.set_substitute(
            staff=staff, session_id=session_id, trainer_id=data.trainer_id, now=now
        )
