"""The errors a use case can raise, each carrying a message a person can act on.

The web layer maps them to HTTP in one place (`programmes.web.errors`); the domain never
knows about status codes. `field` names the input that caused the error, when there is one,
so that forms and JSON clients can point at it.

Messages are catalogued: the English text is a template marked with `N_()` for extraction,
the values go in as keyword parameters, and `translated(language)` renders it in the
reader's language (German first), e.g.
`InvalidInput(N_("At most %(cap)s sessions per cohort."), field="count", cap=60)`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from programmes.i18n import gettext

T = TypeVar("T")


def N_(message: str) -> str:
    """Mark a message for extraction into the catalogue without translating it yet."""
    return message


class DomainError(Exception):
    """Base class: a rule of the service was broken or a request cannot be served."""

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        self.template = message
        self.params = params
        self.message = message % params if params else message
        self.field = field
        super().__init__(self.message)

    def translated(self, language: str) -> str:
        return gettext(language, self.template, **self.params)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidInput(DomainError):
    """The input is malformed or out of range (HTTP 422). Always names the field."""


class InvalidParameter(InvalidInput):
    """A query or path parameter is malformed or unknown (HTTP 400). Names the parameter."""


class NotFound(DomainError):
    """The object does not exist, or the caller may not know that it exists (HTTP 404)."""


class Forbidden(DomainError):
    """The caller is known but their role may not do this (HTTP 403)."""


class Conflict(DomainError):
    """The input is well-formed but clashes with the current state (HTTP 409)."""


class AlreadyExists(Conflict):
    """The input describes something that exists already (HTTP 409), e.g. a family enrolled
    twice. `existing` names it by id (`{"family_id": 7}`), for a JSON client to go on with
    and for a page to link to, instead of a second one being created."""

    def __init__(
        self,
        message: str,
        *,
        existing: Mapping[str, int],
        field: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(message, field=field, **params)
        self.existing = dict(existing)


class Unavailable(DomainError):
    """A dependency (database, remote calendar) cannot be reached (HTTP 503/502)."""


class AuthenticationFailed(DomainError):
    """Credentials are missing, wrong, expired or revoked (HTTP 401)."""


class TooManyRequests(DomainError):
    """A throttle refused the request (HTTP 429); `retry_after` is in seconds."""

    def __init__(
        self, message: str, *, retry_after: int, field: str | None = None, **params: Any
    ) -> None:
        super().__init__(message, field=field, **params)
        self.retry_after = retry_after


class InvalidInputs(InvalidInput):
    """Several inputs are wrong at once: a form checked as a whole, so that a person sees
    every problem in one go. `errors` holds each (each naming its field); the first is also
    this error's own message and field, for callers that show one."""

    def __init__(self, errors: list[InvalidInput]) -> None:
        first = errors[0]
        super().__init__(first.template, field=first.field, **first.params)
        self.errors = errors


class ErrorList:
    """Checks a whole form: `check` runs one field's rule and keeps its error instead of
    raising it, `raise_any` then raises them all together (the one error as it is, or one
    `InvalidInputs`)."""

    def __init__(self) -> None:
        self.errors: list[InvalidInput] = []

    def check(self, rule: Callable[[], T], fallback: T) -> T:
        """The rule's result, or `fallback` when it refused the input (error kept)."""
        try:
            return rule()
        except InvalidInputs as several:
            self.errors.extend(several.errors)
        except InvalidInput as error:
            self.errors.append(error)
        return fallback

    def add(self, error: InvalidInput) -> None:
        self.errors.append(error)

    def raise_any(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidInputs(self.errors)
