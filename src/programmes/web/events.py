"""Public event pages: details, the registration form, and the cancel link (cancel, or
withdraw consent and have one's data deleted).

The registration form checks its own CSRF token (the middleware skips it): when the token
does not match, the middleware would refuse with an error page and the entries would be
lost, which on this form hurts a person who may have typed for minutes in a language new to
them (the cookie is gone after a restored tab or cleared cookies). So the form comes back
with the entries, a fresh token and a word on what happened, and nothing is stored. Giving
a forged form's values back with a fresh token is harmless here: the form is public and
signs nobody in, so a forger could fetch a token and register anyone without the victim.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from hmac import compare_digest
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.middleware.csrf import generate_csrf_hash, generate_csrf_token
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_403_FORBIDDEN
from litestar.utils.scope.state import ScopeState

from programmes.domain.enrolment import events, registrations
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import Outcome, PersonInput
from programmes.domain.errors import DomainError
from programmes.domain.privacy import consent
from programmes.settings import Settings
from programmes.web.calendar_links import CalendarLinks
from programmes.web.deps import PathId
from programmes.web.errors import form_expired, wants_json
from programmes.web.forms import Form, checkbox, form_error, read_form, seats_asked, text
from programmes.web.guards import PUBLIC
from programmes.web.pages import page, request_language
from programmes.web.registration_limit import check_registration_limit

#: The CSRF cookie's name (app.site_router's CSRFConfig).
CSRF_COOKIE = "programmes_csrf"
_SECRET_HEX = 64  # litestar.middleware.csrf.CSRF_SECRET_LENGTH


async def event_page(request: Request[Any, Any, Any], cohort_id: int) -> Template:
    """The page of one public event (served by the `/events/{name}` route in web/feeds.py,
    which also serves `/events/{id}.ics`)."""
    settings: Settings = request.app.state.settings
    context = await _event_context(
        cohort_id, request_language(request), settings, request.app.state.clock()
    )
    return page(request, "public/event.html", **context)


async def _event_context(
    cohort_id: int,
    language: str,
    settings: Settings,
    now: datetime,
    outcome: Outcome | None = None,
) -> dict[str, Any]:
    shown = await events.event_page(cohort_id, now=now)
    return {
        "event": shown.event,
        "state": shown.state,
        "availability": shown.availability,
        "outcome": outcome,
        "calendar_file": CalendarLinks(settings.base_url, language).event(cohort_id),
        "retention_days": settings.retention_public_days,
        "expired": False,
    }


def _decoded(token: str, secret: str) -> str | None:
    """The random part of a signed CSRF token, or None (Litestar's CSRF middleware rule)."""
    if len(token) <= _SECRET_HEX:
        return None
    random, signature = token[:_SECRET_HEX], token[_SECRET_HEX:]
    return random if compare_digest(signature, generate_csrf_hash(random, secret)) else None


def _csrf_matches(request: Request[Any, Any, Any], form: Form, secret: str) -> bool:
    sent = request.headers.get("x-csrftoken") or text(form, "_csrf_token")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent_random, cookie_random = _decoded(sent, secret), _decoded(cookie, secret)
    return (
        sent_random is not None
        and cookie_random is not None
        and compare_digest(sent_random, cookie_random)
    )


class EventPages(Controller):
    path = "/events"
    include_in_schema = False
    opt = PUBLIC

    @post("/{cohort_id:int}/register", opt={**PUBLIC, "exclude_from_csrf": True})
    async def register(
        self,
        request: Request[Any, Any, Any],
        cohort_id: PathId,
        mail: NamedDependency[MailContext],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        form = await read_form(request)
        language = request_language(request)
        context = partial(_event_context, cohort_id, language, settings, mail.now)
        if not _csrf_matches(request, form, settings.secret_key):
            if wants_json(request):
                return form_expired(request)
            return await _expired_form(request, form, settings, await context())
        # the form is drawn again (errors, confirmation) with the token it came with: the
        # route is outside the CSRF middleware, which would otherwise put it in the scope
        sent = request.headers.get("x-csrftoken") or text(form, "_csrf_token")
        ScopeState.from_scope(request.scope).csrf_token = sent
        try:
            await check_registration_limit(request, settings, mail.now)
            outcome = await registrations.register_person(
                cohort_id=cohort_id,
                data=PersonInput(
                    name=text(form, "name"),
                    email=text(form, "email"),
                    phone=text(form, "phone"),
                    seats=seats_asked(form),
                    language=text(form, "language") or language,
                    needs=text(form, "needs"),
                    consent=checkbox(form, "consent"),
                ),
                notice_version=settings.privacy_notice_version,
                mail=mail,
            )
        except DomainError as error:
            return await form_error(request, "public/event.html", error, form, context)
        # the places left after this registration
        return page(request, "public/event.html", **await context(outcome))  # type: ignore[return-value]

    @get("/cancel/{token:str}")
    async def cancel_page(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        registration = await registrations.registration_for_token(token)
        response = page(
            request,
            "public/cancel.html",
            registration=registration,
            token=token,
            cancelled=False,
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
            cancelled=True,
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
            cancelled=True,
            withdrawn=True,
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        return response


async def _expired_form(
    request: Request[Any, Any, Any], form: Form, settings: Settings, context: dict[str, Any]
) -> Response[Any]:
    """The form again with its entries, a fresh token (and cookie) and what to do (403:
    nothing was stored)."""
    secret = settings.secret_key
    cookie = request.cookies.get(CSRF_COOKIE, "")
    token = cookie if _decoded(cookie, secret) is not None else generate_csrf_token(secret)
    ScopeState.from_scope(request.scope).csrf_token = token
    response = page(
        request,
        "public/event.html",
        status_code=HTTP_403_FORBIDDEN,
        **{**context, "form": form, "expired": True},
    )
    if token != cookie:
        response.cookies.append(
            Cookie(
                key=CSRF_COOKIE,
                value=token,
                path="/",
                secure=settings.secure_cookies,
                httponly=True,
                samesite="lax",
            )
        )
    response.headers["Cache-Control"] = "no-store"
    return response  # type: ignore[return-value]
