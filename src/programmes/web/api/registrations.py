"""JSON API for registrations. The public registers and cancels without an account; the
coordination sees and manages every registration; partners enrol families of their KiTa."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from msgspec import Struct

from programmes.domain.access import Staff
from programmes.domain.enrolment import events, families, registrations
from programmes.domain.enrolment.events import EventView
from programmes.domain.enrolment.families import FamilyInput, FamilyView
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import (
    CancelView,
    CapacityChange,
    Outcome,
    PersonInput,
    RegistrationView,
)
from programmes.domain.errors import N_, InvalidInput
from programmes.domain.privacy import consent
from programmes.settings import Settings
from programmes.vocabulary import ConsentMethod, Role
from programmes.web.deps import PathId
from programmes.web.guards import PUBLIC, requires_coordinator, requires_role
from programmes.web.registration_limit import check_registration_limit


class CancelInput(Struct, frozen=True):
    token: str


class PublicRegistrationController(Controller):
    """Anonymous: no personal data comes back except the caller's own outcome."""

    path = "/events"
    tags = ["public"]
    opt = PUBLIC

    @get("/", summary="Upcoming public trainings and info events")
    async def list_events(self, now: NamedDependency[datetime]) -> list[EventView]:
        return await events.upcoming_events(now=now)

    @get("/{cohort_id:int}", summary="One public event")
    async def get_event(self, cohort_id: PathId) -> EventView:
        return await events.public_event(cohort_id)

    @post("/{cohort_id:int}/registrations", status_code=HTTP_201_CREATED, summary="Register")
    async def register(
        self,
        request: Request[Any, Any, Any],
        cohort_id: PathId,
        data: JSONBody[PersonInput],
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> Outcome:
        """Confirmed while places last, else the waiting list with its position. The same
        e-mail address for the same event returns the first registration unchanged."""
        await check_registration_limit(request, settings, mail.now)
        return await registrations.register_person(
            cohort_id=cohort_id,
            data=data,
            notice_version=settings.privacy_notice_version,
            mail=mail,
        )

    @post("/registrations/cancel", status_code=HTTP_200_OK, summary="Cancel with the mailed token")
    async def cancel(
        self, data: JSONBody[CancelInput], mail: NamedDependency[MailContext]
    ) -> CancelView:
        return await registrations.cancel_by_token(token=data.token, mail=mail)

    @post(
        "/registrations/withdraw",
        status_code=HTTP_200_OK,
        summary="Withdraw consent with the mailed token: cancelled, no more mail, data erased",
    )
    async def withdraw_consent(
        self, data: JSONBody[CancelInput], mail: NamedDependency[MailContext]
    ) -> CancelView:
        return await consent.withdraw_by_link(token=data.token, mail=mail)


class OnBehalfInput(Struct, frozen=True):
    person: PersonInput
    consent_method: str = "online"


class ReasonInput(Struct, frozen=True):
    reason: str = ""


class MoveInput(Struct, frozen=True):
    to: str
    reason: str


class CoordinatorRegistrationController(Controller):
    path = "/"
    tags = ["registrations"]
    guards = [requires_coordinator]

    @get("/cohorts/{cohort_id:int}/registrations")
    async def list_registrations(
        self, staff: NamedDependency[Staff], cohort_id: PathId
    ) -> list[RegistrationView]:
        return await registrations.list_registrations(staff=staff, cohort_id=cohort_id)

    @post("/cohorts/{cohort_id:int}/registrations", status_code=HTTP_201_CREATED)
    async def register_on_behalf(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        data: JSONBody[OnBehalfInput],
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> Outcome:
        """Register someone on their behalf (consent given on paper, verbally or online)."""
        return await registrations.register_person(
            cohort_id=cohort_id,
            data=data.person,
            notice_version=settings.privacy_notice_version,
            mail=mail,
            consent_method=_consent_method(data.consent_method),
            recorded_by=staff.id,
        )

    @put("/cohorts/{cohort_id:int}/capacity")
    async def change_capacity(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        data: JSONBody[CapacityChange],
        mail: NamedDependency[MailContext],
    ) -> dict[str, list[int]]:
        promoted = await registrations.change_capacity(
            staff=staff, cohort_id=cohort_id, change=data, mail=mail
        )
        return {"promoted": promoted}

    @post("/registrations/{registration_id:int}/cancel", status_code=HTTP_200_OK)
    async def cancel(
        self,
        staff: NamedDependency[Staff],
        registration_id: PathId,
        data: JSONBody[ReasonInput],
        mail: NamedDependency[MailContext],
    ) -> None:
        await registrations.cancel_registration(
            staff=staff, registration_id=registration_id, reason=data.reason, mail=mail
        )

    @post("/registrations/{registration_id:int}/move", status_code=HTTP_200_OK)
    async def move(
        self,
        staff: NamedDependency[Staff],
        registration_id: PathId,
        data: JSONBody[MoveInput],
        mail: NamedDependency[MailContext],
    ) -> None:
        await registrations.move_registration(
            staff=staff, registration_id=registration_id, to=data.to, reason=data.reason, mail=mail
        )


def _consent_method(value: str) -> ConsentMethod:
    try:
        return ConsentMethod(value)
    except ValueError:
        raise InvalidInput(
            N_("Consent was given online, on paper or verbally."), field="consent_method"
        ) from None


class EnrolInput(Struct, frozen=True):
    family: FamilyInput
    form_key: str


class FamilyController(Controller):
    """Partners (their own KiTa) and coordinators."""

    path = "/"
    tags = ["families"]
    guards = [requires_role(Role.coordinator, Role.partner)]

    @get("/cohorts/{cohort_id:int}/families")
    async def list_families(
        self, staff: NamedDependency[Staff], cohort_id: PathId
    ) -> list[FamilyView]:
        return await families.list_families(staff=staff, cohort_id=cohort_id)

    @post("/cohorts/{cohort_id:int}/families", status_code=HTTP_201_CREATED)
    async def enrol(
        self,
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        data: JSONBody[EnrolInput],
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> FamilyView:
        """Enrol a family; `form_key` (any unique string per form) makes retries safe."""
        return await families.enrol_family(
            staff=staff,
            cohort_id=cohort_id,
            data=data.family,
            form_key=data.form_key,
            notice_version=settings.privacy_notice_version,
            mail=mail,
        )

    @get("/families/{family_id:int}")
    async def get_family(self, staff: NamedDependency[Staff], family_id: PathId) -> FamilyView:
        return await families.get_family(staff=staff, family_id=family_id)

    @put("/families/{family_id:int}")
    async def update_family(
        self,
        staff: NamedDependency[Staff],
        family_id: PathId,
        data: JSONBody[FamilyInput],
        now: NamedDependency[datetime],
    ) -> FamilyView:
        return await families.update_family(staff=staff, family_id=family_id, data=data, now=now)

    @post("/families/{family_id:int}/withdraw", status_code=HTTP_200_OK)
    async def withdraw(
        self, staff: NamedDependency[Staff], family_id: PathId, mail: NamedDependency[MailContext]
    ) -> FamilyView:
        return await families.withdraw_family(staff=staff, family_id=family_id, mail=mail)
