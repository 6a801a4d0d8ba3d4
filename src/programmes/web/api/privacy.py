"""JSON API for data subjects' rights: coordinators export or erase one family's or one
person's data after giving their password again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.domain.privacy import erasure, export
from programmes.domain.privacy.subjects import SubjectKind
from programmes.web.deps import PathId
from programmes.web.guards import requires_coordinator

#: `families` or `people` in the path.
SubjectPath = Annotated[
    str, PathParameter(pattern="^(families|people)$", description="families or people")
]
KINDS = {"families": SubjectKind.family, "people": SubjectKind.person}


class PasswordConfirmation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    password: Annotated[str, msgspec.Meta(max_length=200)]


class Erased(msgspec.Struct, frozen=True):
    kind: str
    id: int
    erased: bool = True


class PrivacyController(Controller):
    path = "/privacy/{subjects:str}/{subject_id:int}"
    tags = ["privacy"]
    guards = [requires_coordinator]

    @post("/export", summary="Every stored datum of one family or person", status_code=200)
    async def export_data(
        self,
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        subjects: SubjectPath,
        subject_id: PathId,
        data: JSONBody[PasswordConfirmation],
    ) -> dict[str, Any]:
        """Fields, registrations with consents, attendance, mails sent, audit events.
        The coordinator's password is asked again; the export is audited."""
        await staff_accounts.confirm_password(staff, data.password, now=now)
        return await export.export_subject(
            staff=staff, kind=KINDS[subjects], subject_id=subject_id, now=now
        )

    @post("/erase", summary="Erase one family's or person's personal data", status_code=200)
    async def erase_data(
        self,
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        subjects: SubjectPath,
        subject_id: PathId,
        data: JSONBody[PasswordConfirmation],
    ) -> Erased:
        """Names, contacts, dates of birth, free texts and mails go; anonymous rows stay,
        so every report is unchanged. The coordinator's password is asked again."""
        await staff_accounts.confirm_password(staff, data.password, now=now)
        kind = KINDS[subjects]
        await erasure.erase_subject(staff=staff, kind=kind, subject_id=subject_id, now=now)
        return Erased(kind=kind.value, id=subject_id)
