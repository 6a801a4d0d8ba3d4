"""Staff pages for registrations: the coordination's lists of a run, and families in
Rucksack groups for partners (own KiTa) and coordinators."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.catalogue import entries
from programmes.domain.enrolment import families, registrations
from programmes.domain.enrolment.families import ChildInput, FamilyInput, GuardianInput
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import CapacityChange, PersonInput
from programmes.domain.errors import N_, InvalidInput
from programmes.settings import Settings
from programmes.vocabulary import ConsentMethod, RegistrationStatus, Role
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId
from programmes.web.forms import (
    Form,
    checkbox,
    int_list,
    optional_date,
    optional_int,
    required_date,
    seats_asked,
    submit,
    text,
)
from programmes.web.guards import requires_coordinator, requires_role
from programmes.web.notices import done
from programmes.web.pages import page

GUARDIAN_SLOTS = 2
CHILD_SLOTS = 3


class RegistrationPages(Controller):
    path = "/staff/cohorts/{cohort_id:int}/registrations"
    guards = [requires_coordinator]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], cohort_id: PathId
    ) -> Template:
        return page(request, "staff/registrations.html", **await _context(staff, cohort_id))

    @post("/")
    async def register_on_behalf(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await registrations.register_person(
                cohort_id=cohort_id,
                data=PersonInput(
                    name=text(form, "name"),
                    email=text(form, "email"),
                    phone=text(form, "phone"),
                    seats=seats_asked(form),
                    language=text(form, "language") or "de",
                    needs=text(form, "needs"),
                    consent=checkbox(form, "consent"),
                ),
                notice_version=settings.privacy_notice_version,
                mail=mail,
                consent_method=_method(text(form, "consent_method")),
                recorded_by=staff.id,
            )
            return done(f"/staff/cohorts/{cohort_id}/registrations", "registration-added")

        return await submit(
            request, "staff/registrations.html", action, partial(_context, staff, cohort_id)
        )

    @post("/{registration_id:int}/cancel")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        registration_id: PathId,
        mail: NamedDependency[MailContext],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                promoted = await registrations.preview_cancellation(
                    staff=staff, registration_id=registration_id, reason=text(form, "reason")
                )
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="registration-cancel",
                    action=f"/staff/cohorts/{cohort_id}/registrations/{registration_id}/cancel",
                    back=f"/staff/cohorts/{cohort_id}/registrations",
                    promoted=promoted,
                )
            await registrations.cancel_registration(
                staff=staff, registration_id=registration_id, reason=text(form, "reason"), mail=mail
            )
            return done(f"/staff/cohorts/{cohort_id}/registrations", "registration-cancelled")

        return await submit(
            request, "staff/registrations.html", action, partial(_context, staff, cohort_id)
        )

    @post("/{registration_id:int}/move")
    async def move(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        registration_id: PathId,
        mail: NamedDependency[MailContext],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                promoted = await registrations.preview_move(
                    staff=staff,
                    registration_id=registration_id,
                    to=text(form, "to"),
                    reason=text(form, "reason"),
                )
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="registration-move",
                    action=f"/staff/cohorts/{cohort_id}/registrations/{registration_id}/move",
                    back=f"/staff/cohorts/{cohort_id}/registrations",
                    promoted=promoted,
                    to=text(form, "to"),
                )
            await registrations.move_registration(
                staff=staff,
                registration_id=registration_id,
                to=text(form, "to"),
                reason=text(form, "reason"),
                mail=mail,
            )
            return done(f"/staff/cohorts/{cohort_id}/registrations", "registration-moved")

        return await submit(
            request, "staff/registrations.html", action, partial(_context, staff, cohort_id)
        )

    @post("/capacity")
    async def capacity(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        mail: NamedDependency[MailContext],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            change = CapacityChange(
                capacity=optional_int(form, "capacity", high=1000),
                move_to_waiting=int_list(form, "move_to_waiting", low=1),
                reason=text(form, "reason"),
            )
            if not confirmed(form):
                preview = await registrations.preview_capacity(
                    staff=staff, cohort_id=cohort_id, change=change
                )
                if preview.moved_back or preview.promoted:  # only then is anybody mailed
                    return confirmation(  # type: ignore[return-value]
                        request,
                        form,
                        what="capacity",
                        action=f"/staff/cohorts/{cohort_id}/registrations/capacity",
                        back=f"/staff/cohorts/{cohort_id}/registrations",
                        preview=preview,
                    )
            await registrations.change_capacity(
                staff=staff, cohort_id=cohort_id, change=change, mail=mail
            )
            return done(f"/staff/cohorts/{cohort_id}/registrations", "capacity-saved")

        return await submit(
            request, "staff/registrations.html", action, partial(_context, staff, cohort_id)
        )


def _method(value: str) -> ConsentMethod:
    try:
        return ConsentMethod(value or "online")
    except ValueError:
        raise InvalidInput(
            N_("Consent was given online, on paper or verbally."), field="consent_method"
        ) from None


async def _context(staff: Staff, cohort_id: int) -> dict[str, Any]:
    return {
        "cohort": await entries.get_cohort(staff=staff, cohort_id=cohort_id),
        "registrations": await registrations.list_registrations(staff=staff, cohort_id=cohort_id),
    }


def family_input(form: Form) -> FamilyInput:
    """Guardians and children from numbered form slots; slots left empty are skipped."""
    guardians = []
    for i in range(GUARDIAN_SLOTS):
        name, phone, email = (text(form, f"g{i}_{f}") for f in ("name", "phone", "email"))
        via = checkbox(form, f"g{i}_via_kita")
        languages = [part.strip() for part in text(form, f"g{i}_languages").split(",")]
        if name.strip() or phone.strip() or email.strip() or via:
            guardians.append(
                GuardianInput(
                    name=name, languages=languages, phone=phone, email=email, reach_via_kita=via
                )
            )
    children = []
    for i in range(CHILD_SLOTS):
        first_name = text(form, f"c{i}_first_name")
        born = optional_date(form, f"c{i}_date_of_birth")
        if first_name.strip() or born:
            if born is None:
                raise InvalidInput(
                    N_("Please fill in this field."), field=f"children[{i}].date_of_birth"
                )
            children.append(ChildInput(first_name=first_name, date_of_birth=born))
    return FamilyInput(
        guardians=guardians,
        children=children,
        consent_method=text(form, "consent_method"),
        consent_given_on=required_date(form, "consent_given_on"),
        language=text(form, "language") or "de",
    )


class FamilyPages(Controller):
    path = "/staff"
    guards = [requires_role(Role.coordinator, Role.partner)]
    include_in_schema = False

    @get("/cohorts/{cohort_id:int}/families")
    async def list_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], cohort_id: PathId
    ) -> Template:
        return page(request, "staff/families.html", **await _family_list_context(staff, cohort_id))

    @post("/cohorts/{cohort_id:int}/families")
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            family = await families.enrol_family(
                staff=staff,
                cohort_id=cohort_id,
                data=family_input(form),
                form_key=text(form, "form_key"),
                notice_version=settings.privacy_notice_version,
                mail=mail,
            )
            return done(f"/staff/families/{family.id}", "family-enrolled")

        return await submit(
            request, "staff/families.html", action, partial(_family_list_context, staff, cohort_id)
        )

    @get("/families/{family_id:int}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        family_id: PathId,
        now: NamedDependency[datetime],
    ) -> Template:
        return page(
            request,
            "staff/family.html",
            request_notice=request.query_params.get("notice"),
            **await _family_context(staff, family_id, now),
        )

    @post("/families/{family_id:int}")
    async def update(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        family_id: PathId,
        mail: NamedDependency[MailContext],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await families.update_family(
                staff=staff, family_id=family_id, data=family_input(form), now=mail.now
            )
            return done(f"/staff/families/{family_id}", "family-saved")

        return await submit(
            request,
            "staff/family.html",
            action,
            partial(_family_context, staff, family_id, mail.now),
        )

    @post("/families/{family_id:int}/withdraw")
    async def withdraw(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        family_id: PathId,
        mail: NamedDependency[MailContext],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                preview = await families.preview_withdrawal(staff=staff, family_id=family_id)
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="family-withdraw",
                    action=f"/staff/families/{family_id}/withdraw",
                    back=f"/staff/families/{family_id}",
                    preview=preview,
                    undo_days=families.UNDO_DAYS,
                )
            await families.withdraw_family(staff=staff, family_id=family_id, mail=mail)
            return done(f"/staff/families/{family_id}", "family-withdrawn")

        return await submit(
            request,
            "staff/family.html",
            action,
            partial(_family_context, staff, family_id, mail.now),
        )

    @post("/families/{family_id:int}/undo-withdrawal")
    async def undo_withdrawal(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        family_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """Take a withdrawal back (within `families.UNDO_DAYS` days); nothing is mailed."""

        async def action(form: Form) -> str:
            family = await families.undo_withdrawal(staff=staff, family_id=family_id, now=now)
            waiting = family.status == RegistrationStatus.waiting.value
            return done(
                f"/staff/families/{family_id}",
                "withdrawal-undone-waiting" if waiting else "withdrawal-undone",
            )

        return await submit(
            request, "staff/family.html", action, partial(_family_context, staff, family_id, now)
        )


async def _family_list_context(staff: Staff, cohort_id: int) -> dict[str, Any]:
    return {
        "cohort": await entries.get_cohort(staff=staff, cohort_id=cohort_id),
        "families": await families.list_families(staff=staff, cohort_id=cohort_id),
        "form_key": secrets.token_urlsafe(16),
        "guardian_slots": range(GUARDIAN_SLOTS),
        "child_slots": range(CHILD_SLOTS),
        "family": None,
        "today": date.today().isoformat(),  # noqa: DTZ011 (a form default only)
        "age_on": families.age_on,
    }


async def _family_context(staff: Staff, family_id: int, now: datetime) -> dict[str, Any]:
    family = await families.get_family(staff=staff, family_id=family_id)
    assert family.cohort_id is not None
    return {
        "family": family,
        "undo_until": families.undo_deadline(family, now),
        "cohort": await entries.get_cohort(staff=staff, cohort_id=family.cohort_id),
        "guardian_slots": range(max(GUARDIAN_SLOTS, len(family.guardians))),
        "child_slots": range(max(CHILD_SLOTS, len(family.children))),
        "form_key": "",
        "today": date.today().isoformat(),  # noqa: DTZ011 (a form default only)
        "age_on": families.age_on,
    }
