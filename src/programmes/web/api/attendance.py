"""JSON API for a session's attendance: read the marks, record them in bulk."""

from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from msgspec import Struct

from programmes.domain.access import Staff
from programmes.domain.attendance import recording
from programmes.domain.attendance.recording import AttendanceSheet, MarkInput
from programmes.vocabulary import Role
from programmes.web.deps import PathId
from programmes.web.guards import requires_role, requires_staff


class AttendanceInput(Struct, frozen=True):
    """`{"marks": [{"registration_id": 12, "mark": "present"}, ...]}`; participants not
    listed keep their marks."""

    marks: list[MarkInput]


class AttendanceController(Controller):
    path = "/sessions/{session_id:int}/attendance"
    tags = ["attendance"]

    @get("/", guards=[requires_staff])
    async def read(
        self, staff: NamedDependency[Staff], session_id: PathId, now: NamedDependency[datetime]
    ) -> AttendanceSheet:
        """The session's confirmed participants and their marks (partners: their KiTa's
        families only)."""
        return await recording.get_attendance(staff=staff, session_id=session_id, now=now)

    @put("/", guards=[requires_role(Role.coordinator, Role.trainer)])
    async def record(
        self,
        staff: NamedDependency[Staff],
        session_id: PathId,
        data: JSONBody[AttendanceInput],
        now: NamedDependency[datetime],
    ) -> AttendanceSheet:
        """Record present / excused / absent for several participants at once: all or
        nothing. Refused for cancelled sessions and before the session's day (Berlin)."""
        return await recording.record_attendance(
            staff=staff, session_id=session_id, marks=data.marks, now=now
        )
