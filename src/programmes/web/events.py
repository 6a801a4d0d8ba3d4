"""Public event pages: details, the registration form, and the cancel link (cancel, or
withdraw consent and have one's data deleted)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from programmes.domain.enrolment import events, registrations
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import Outcome, PersonInput
from programmes.domain.errors import DomainError
from programmes.domain.privacy import consent
from programmes.settings import Settings
from programmes.web.deps import PathId
from programmes.web.forms import checkbox, form_error, read_form, seats_asked, text
from programmes.web.guards import PUBLIC
from programmes.web.pages import page, request_language
from programmes.web.registration_limit import check_registration_limit


async def event_page(request: Request[Any, Any, Any], cohort_id: int) -> Template:
    """The page of one public event (served by the `/events/{name}` route in web/feeds.py,
    which also serves `/events/{id}.ics`)."""
    return page(
        request, "public/event.html", **await _event_context(cohort_id, request.app.state.clock())
    )


async def _event_context(
    cohort_id: int, now: datetime, outcome: Outcome | None = None
) -> dict[str, Any]:
    shown = await events.event_page(cohort_id, now=now)
    return {"event": shown.event, "state": shown.state, "outcome": outcome}


class EventPages(Controller):
    path = "/events"
    include_in_schema = False
    opt = PUBLIC

    @post("/{cohort_id:int}/register")
    async def register(
        self,
        request: Request[Any, Any, Any],
        cohort_id: PathId,
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        form = await read_form(request)
        try:
            await check_registration_limit(request, settings, mail.now)
            outcome = await registrations.register_person(
                cohort_id=cohort_id,
                data=PersonInput(
                    name=text(form, "name"),
                    email=text(form, "email"),
                    phone=text(form, "phone"),
                    seats=seats_asked(form),
                    language=text(form, "language") or request_language(request),
                    needs=text(form, "needs"),
                    consent=checkbox(form, "consent"),
                ),
                notice_version=settings.privacy_notice_version,
                mail=mail,
            )
        except DomainError as error:
            return await form_error(
                request,
                "public/event.html",
                error,
                form,
                partial(_event_context, cohort_id, mail.now),
            )
        return page(  # type: ignore[return-value]
            request,
            "public/event.html",
            # the places left after this registration
            **await _event_context(cohort_id, mail.now, outcome),
        )

    @get("/cancel/{token:str}")
    async def cancel_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        registration = await registrations.registration_for_token(token)
        response = page(
            request,
            "public/cancel.html",
            registration=registration,
            token=token,
            done=False,
            withdrawn=False,
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @post("/cancel/{token:str}")
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        mail: NamedDependency[MailContext],
    ) -> Template:
        registration = await registrations.cancel_by_token(token=token, mail=mail)
        response = page(
            request,
            "public/cancel.html",
            registration=registration,
            token="",
            done=True,
            withdrawn=False,
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response

    @post("/cancel/{token:str}/withdraw")
    async def withdraw_consent(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        mail: NamedDependency[MailContext],
    ) -> Template:
        """Withdraw consent: cancelled, no more mail, the registrant's data erased."""
        registration = await consent.withdraw_by_link(token=token, mail=mail)
        response = page(
            request,
            "public/cancel.html",
            registration=registration,
            token="",
            done=True,
            withdrawn=True,
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response
