"""The staff page for a message to everybody in a run or a Rucksack group: write, see who
gets it (the confirmation step), send (into the outbox). Rules in
`domain/enrolment/messages.py`."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.catalogue import entries
from programmes.domain.enrolment import messages
from programmes.domain.enrolment.messages import MessageInput
from programmes.vocabulary import Role
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId
from programmes.web.forms import Form, checkbox, submit, text
from programmes.web.guards import requires_role
from programmes.web.notices import done
from programmes.web.pages import page

TEMPLATE = "staff/message.html"


class MessagePages(Controller):
    path = "/staff/cohorts/{cohort_id:int}/message"
    guards = [requires_role(Role.coordinator, Role.partner, Role.trainer)]
    include_in_schema = False

    @get("/")
    async def form_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], cohort_id: PathId
    ) -> Template:
        return page(request, TEMPLATE, **await _context(staff, cohort_id))

    @post("/")
    async def send(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        url = f"/staff/cohorts/{cohort_id}/message"

        async def action(form: Form) -> str | Response[Any]:
            data = message_input(form)
            if not confirmed(form):
                audience = await messages.preview_message(
                    staff=staff, cohort_id=cohort_id, data=data
                )
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="cohort-message",
                    action=url,
                    back=f"/staff/cohorts/{cohort_id}",
                    audience=audience,
                    languages_by_code=messages.LANGUAGE_NAMES,
                    subject=text(form, "subject").strip(),
                )
            sent = await messages.send_message(staff=staff, cohort_id=cohort_id, data=data, now=now)
            if sent.repeated:
                return done(url, "message-repeated")
            return done(url, "message-queued", count=sent.mails)

        return await submit(request, TEMPLATE, action, partial(_context, staff, cohort_id))


def message_input(form: Form) -> MessageInput:
    return MessageInput(
        subject=text(form, "subject"),
        text=text(form, "text"),
        translations={
            code: (text(form, f"subject_{code}"), text(form, f"text_{code}"))
            for code in messages.TRANSLATIONS
        },
        include_waiting=checkbox(form, "include_waiting"),
        form_key=text(form, "form_key"),
    )


async def _context(staff: Staff, cohort_id: int) -> dict[str, Any]:
    await messages.check_may_write(staff, cohort_id)
    return {
        "cohort": await entries.get_cohort(staff=staff, cohort_id=cohort_id),
        "overview": await messages.recipients_overview(
            staff=staff, cohort_id=cohort_id, include_waiting=False
        ),
        "form_key": secrets.token_urlsafe(16),
        "translations": messages.TRANSLATIONS,
        "max_subject": messages.MAX_SUBJECT_LENGTH,
        "max_text": messages.MAX_TEXT_LENGTH,
    }
