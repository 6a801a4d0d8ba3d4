"""Reading HTML forms into domain inputs, and showing a form again with its errors.

Browsers send every field as text; these helpers turn text into the types the domain
expects and raise `InvalidInput` naming the field when they cannot, so a form error looks
exactly like any other domain error to the person filling it in.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import Any

from litestar import Request, Response
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect

from programmes.domain.errors import (
    N_,
    AlreadyExists,
    DomainError,
    InvalidInput,
    InvalidInputs,
    TooManyRequests,
)
from programmes.domain.types import MAX_ID, check_day
from programmes.web.errors import status_for
from programmes.web.pages import page, request_language

Form = FormMultiDict


async def read_form(request: Request[Any, Any, Any]) -> Form:
    return await request.form()


def text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def optional_int(form: Form, name: str, *, low: int = 0, high: int = MAX_ID) -> int | None:
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        number = int(raw)
    except ValueError:
        raise InvalidInput(N_("Please enter a whole number."), field=name) from None
    if not low <= number <= high:
        raise InvalidInput(
            N_("Please enter a number from %(low)s to %(high)s."), field=name, low=low, high=high
        )
    return number


def required_int(form: Form, name: str, *, low: int = 0, high: int = MAX_ID) -> int:
    number = optional_int(form, name, low=low, high=high)
    if number is None:
        raise InvalidInput(N_("Please fill in this field."), field=name)
    return number


def int_list(form: Form, name: str, *, low: int = 0, high: int = MAX_ID) -> list[int]:
    numbers = []
    for raw in form.getall(name, []):
        try:
            number = int(str(raw))
        except ValueError:
            raise InvalidInput(N_("Please enter a whole number."), field=name) from None
        if not low <= number <= high:
            raise InvalidInput(
                N_("Please enter a number from %(low)s to %(high)s."),
                field=name,
                low=low,
                high=high,
            )
        numbers.append(number)
    return numbers


def optional_date(form: Form, name: str) -> date | None:
    raw = text(form, name).strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(N_("Please enter a date like 2027-03-01."), field=name) from None
    return check_day(day, field=name)


def required_date(form: Form, name: str) -> date:
    day = optional_date(form, name)
    if day is None:
        raise InvalidInput(N_("Please fill in this field."), field=name)
    return day


def seats_asked(form: Form) -> int:
    """The seats asked for in a registration form: blank means one; any whole number goes
    to the domain's rule (the run's own maximum), so that rule alone decides and 0 is
    refused there, naming the field, rather than quietly made one."""
    seats = optional_int(form, "seats", low=0, high=MAX_ID)
    return 1 if seats is None else seats


def checkbox(form: Form, name: str) -> bool:
    return text(form, name) in ("on", "1", "true", "yes")


#: What a form's page shows besides the form itself (lists to choose from, the record being
#: edited), loaded only when the form is shown again with an error: a saved form redirects.
ErrorContext = Callable[[], Awaitable[Mapping[str, Any]]]


async def form_error(
    request: Request[Any, Any, Any],
    template: str,
    error: DomainError,
    form: Form,
    context: ErrorContext,
) -> Response[Any]:
    """`template` again with the error, the entered values and what `context` loads (a
    refusal by a limit also says when to try again: `Retry-After`; a refusal of something
    that exists already gives the page its ids as `existing`, to link to it)."""
    language = request_language(request)
    response = page(
        request,
        template,
        status_code=status_for(error),
        errors=error_items(error, language),
        error=error.translated(language),
        form=form,
        **({"existing": error.existing} if isinstance(error, AlreadyExists) else {}),
        **await context(),
    )
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response  # type: ignore[return-value]


def error_items(error: DomainError, language: str) -> list[dict[str, str | None]]:
    """Each problem of `error` (all of them for `InvalidInputs`) as {"field", "message"}."""
    several = error.errors if isinstance(error, InvalidInputs) else [error]
    return [{"field": each.field, "message": each.translated(language)} for each in several]


async def submit(
    request: Request[Any, Any, Any],
    template: str,
    action: Callable[[Form], Awaitable[str | Response[Any]]],
    context: ErrorContext,
) -> Response[Any]:
    """Run `action` with the posted form; on success redirect (303) to the URL it returns
    (or answer with the page it returns: a confirmation step, see `web.confirm`), on a
    domain error show `template` again with the error, the entered values and what
    `context` loads (only then)."""
    form = await read_form(request)
    try:
        target = await action(form)
    except DomainError as error:
        return await form_error(request, template, error, form, context)
    if isinstance(target, str):
        return Redirect(target, status_code=303)
    return target
