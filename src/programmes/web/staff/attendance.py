"""The attendance page of a session: a trainer's list on a phone, one tap per mark, saved
in one form post (works without JavaScript; static/attendance.js only fills "all present"
without sending)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.attendance import recording
from programmes.domain.attendance.recording import MarkInput
from programmes.vocabulary import AttendanceMark, Role
from programmes.web.deps import PathId
from programmes.web.forms import Form, required_int, submit, text
from programmes.web.guards import requires_role, requires_staff
from programmes.web.notices import done
from programmes.web.pages import page

_REGISTRATION_FIELD = re.compile(r"^marks\[(\d{1,4})\]\.registration_id$")


def marks_from_form(form: Form) -> list[MarkInput]:
    """The marks a form sends: `marks[i].registration_id` (hidden) with `marks[i].mark`
    (the chosen radio button; none chosen: that participant is left as they are). The
    "all present" button marks every listed participant present."""
    all_present = text(form, "all_present") == "1"
    indexes = sorted(
        int(match.group(1)) for key in form if (match := _REGISTRATION_FIELD.match(key))
    )
    marks = []
    for index in indexes:
        registration_id = required_int(form, f"marks[{index}].registration_id", low=1)
        mark = AttendanceMark.present.value if all_present else text(form, f"marks[{index}].mark")
        if mark:
            marks.append(MarkInput(registration_id=registration_id, mark=mark))
    return marks


class AttendancePages(Controller):
    path = "/staff/sessions/{session_id:int}/attendance"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def sheet(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Template:
        sheet = await recording.get_attendance(staff=staff, session_id=session_id, now=now)
        return page(request, "staff/attendance.html", sheet=sheet)

    @post("/", guards=[requires_role(Role.coordinator, Role.trainer)])
    async def save(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        session_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await recording.record_attendance(
                staff=staff, session_id=session_id, marks=marks_from_form(form), now=now
            )
            return done(f"/staff/sessions/{session_id}/attendance", "attendance-saved")

        async def context() -> dict[str, Any]:
            sheet = await recording.get_attendance(staff=staff, session_id=session_id, now=now)
            return {"sheet": sheet}

        return await submit(request, "staff/attendance.html", action, context)
