"""Staff pages for data subjects' rights: a coordinator exports (as a page or JSON) or
erases one family's or one person's data, giving their password again first."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.domain.enrolment.families import get_family
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.errors import N_, DomainError, InvalidInput
from programmes.domain.privacy import consent, erasure, export, requests
from programmes.domain.privacy.subjects import get_subject
from programmes.vocabulary import Role
from programmes.web.api.privacy import KINDS, SubjectPath
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId
from programmes.web.errors import status_for
from programmes.web.forms import checkbox, read_form, text
from programmes.web.guards import requires_coordinator, requires_role
from programmes.web.notices import done
from programmes.web.pages import page, request_language


class PrivacyPages(Controller):
    path = "/staff/privacy/{subjects:str}/{subject_id:int}"
    guards = [requires_coordinator]
    include_in_schema = False

    @get("/")
    async def overview(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        subjects: SubjectPath,
        subject_id: PathId,
    ) -> Template:
        subject = await get_subject(staff=staff, kind=KINDS[subjects], subject_id=subject_id)
        return page(request, "staff/privacy.html", subject=subject, subjects=subjects)

    @post("/export", status_code=200)
    async def export_data(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        subjects: SubjectPath,
        subject_id: PathId,
    ) -> Response[Any]:
        form = await read_form(request)
        kind = KINDS[subjects]
        try:
            await staff_accounts.confirm_password(staff, text(form, "password"), now=now)
            data = await export.export_subject(
                staff=staff, kind=kind, subject_id=subject_id, now=now
            )
        except DomainError as error:
            return await _again(request, staff, subjects, subject_id, error)
        if text(form, "format") == "json":
            return Response(
                json.dumps(data, ensure_ascii=False, indent=2),
                media_type="application/json; charset=utf-8",
                headers={
                    "Content-Disposition": f'attachment; filename="{kind.value}-{subject_id}.json"'
                },
            )
        return page(request, "staff/privacy_export.html", data=data, subjects=subjects)  # type: ignore[return-value]

    @post("/erase", status_code=303)
    async def erase_data(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        subjects: SubjectPath,
        subject_id: PathId,
    ) -> Response[Any]:
        form = await read_form(request)
        try:
            if not checkbox(form, "confirm"):
                raise InvalidInput(
                    N_("Tick the box to confirm that the data are to be erased."),
                    field="confirm",
                )
            await staff_accounts.confirm_password(staff, text(form, "password"), now=now)
            await erasure.erase_subject(
                staff=staff, kind=KINDS[subjects], subject_id=subject_id, now=now
            )
        except DomainError as error:
            return await _again(request, staff, subjects, subject_id, error)
        return Redirect(
            done(f"/staff/privacy/{subjects}/{subject_id}", "data-erased"), status_code=303
        )


async def _again(
    request: Request[Any, Any, Any],
    staff: Staff,
    subjects: str,
    subject_id: int,
    error: DomainError,
) -> Response[Any]:
    """The page again with the error next to its field (the password is never echoed)."""
    subject = await get_subject(staff=staff, kind=KINDS[subjects], subject_id=subject_id)
    message = error.translated(request_language(request))
    return page(  # type: ignore[return-value]
        request,
        "staff/privacy.html",
        status_code=status_for(error),
        subject=subject,
        subjects=subjects,
        errors=[{"field": error.field, "message": message}],
        error=message,
    )


class ErasureRequestPages(Controller):
    path = "/staff/privacy/requests"
    guards = [requires_coordinator]
    include_in_schema = False

    @get("/")
    async def open_requests(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        return page(
            request,
            "staff/erasure_requests.html",
            requests=await requests.open_requests(staff=staff),
        )


class FamilyConsentPages(Controller):
    """What a KiTa partner (own KiTa) or a coordinator does for a family's rights."""

    path = "/staff/families/{family_id:int}"
    guards = [requires_role(Role.coordinator, Role.partner)]
    include_in_schema = False

    @post("/consent/withdraw", status_code=303)
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        family_id: PathId,
        mail: NamedDependency[MailContext],
    ) -> Response[Any]:
        """Asks once (it cannot be undone), then records the withdrawal."""
        form = await read_form(request)
        if not confirmed(form):
            await get_family(staff=staff, family_id=family_id)  # 404 for a foreign family
            return confirmation(  # type: ignore[return-value]
                request,
                form,
                what="consent-withdraw",
                action=f"/staff/families/{family_id}/consent/withdraw",
                back=f"/staff/families/{family_id}",
            )
        await consent.withdraw_family_consent(staff=staff, family_id=family_id, mail=mail)
        return Redirect(f"/staff/families/{family_id}?notice=consent-withdrawn", status_code=303)

    @post("/erasure-request", status_code=303)
    async def request_erasure(
        self, staff: NamedDependency[Staff], family_id: PathId, now: NamedDependency[datetime]
    ) -> Redirect:
        await requests.request_family_erasure(staff=staff, family_id=family_id, now=now)
        return Redirect(f"/staff/families/{family_id}?notice=erasure-requested", status_code=303)
