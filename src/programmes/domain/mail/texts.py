"""Writing mails: plain-text Jinja templates in `templates/emails/`, in the recipient's
language. The first line of a rendered template is the subject, the rest the body."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context

from programmes import i18n
from programmes.clock import BERLIN

TEMPLATES = Path(__file__).resolve().parents[4] / "templates" / "emails"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translations(context["lang"]).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return i18n.translations(context["lang"]).ngettext(singular, plural, n)


def when(value: datetime, language: str) -> str:
    """'Dienstag, 1. September 2026, 09:00' in Berlin time."""
    return format_datetime(value, "EEEE, d. MMMM y, HH:mm", tzinfo=BERLIN, locale=language)


def until(value: datetime, language: str) -> str:
    return format_time(value, "HH:mm", tzinfo=BERLIN, locale=language)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # noqa: S701 (plain-text mail, never HTML)
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.filters["when"] = when
    env.filters["until"] = until
    return env


def render_mail(template: str, language: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of `templates/emails/<template>` in `language`."""
    language = i18n.normalise_language(language) or i18n.DEFAULT_LANGUAGE
    text = _environment().get_template(template).render(lang=language, **context)
    subject, _, body = text.partition("\n")
    return " ".join(subject.split()), body.strip() + "\n"
