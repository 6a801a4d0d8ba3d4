"""Confirm, then act: the step before a staff action that mails people, removes someone or
cannot be taken back.

The action's form is posted as usual; without `confirmed=yes` the controller asks the
domain what would happen (the same checks as the action, nothing written) and answers with
`staff/confirm.html`: what will happen, and the same form again in hidden fields with
`confirmed=yes` and a fresh CSRF token. No JavaScript is needed. An input error shows up
already at this step, like on the form itself.

Asking first: cancelling, moving or reinstating a session, saving a schedule (its preview),
cancelling or moving a registration, changing a run's places when somebody would be moved
or told, withdrawing a family, recording a withdrawn consent, archiving a KiTa, deleting a
closure, sending a message to everybody in a group, rotating or revoking one's calendar
link, deactivating a staff account (erasing data asks for the password and a tick
already). Not asking: registering a person or enrolling a family on their behalf (the one
mail goes to the person just entered, which is what the form is for) and plain edits.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template

from programmes.web.forms import Form, text
from programmes.web.pages import page

CONFIRM_FIELD = "confirmed"
_NOT_REPEATED = frozenset({"_csrf_token", CONFIRM_FIELD, "password"})


def confirmed(form: Form) -> bool:
    return text(form, CONFIRM_FIELD) == "yes"


def confirmation(
    request: Request[Any, Any, Any],
    form: Form,
    *,
    what: str,
    action: str,
    back: str,
    **facts: Any,
) -> Template:
    """The confirmation page for `what` (a case of `staff/confirm.html`), posting the same
    form to `action` once more; `back` leaves without doing anything."""
    hidden = [(name, str(value)) for name, value in form.multi_items() if name not in _NOT_REPEATED]
    return page(
        request, "staff/confirm.html", what=what, action=action, back=back, hidden=hidden, **facts
    )
