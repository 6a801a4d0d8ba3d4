"""Rendering HTML pages: the Jinja environment, the page language and shared context.

The language comes from `?lang=` (which also sets a cookie), then the `lang` cookie, then
German. Templates translate with `{% trans %}` / `_()`, looked up in the page's language
through the render context, so concurrent requests in different languages never mix.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from programmes import i18n
from programmes.clock import BERLIN
from programmes.web.formatting import FILTERS
from programmes.web.guards import current_staff

LANGUAGE_COOKIE = "lang"
TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"


@pass_context
def _gettext(context: Context, message: str) -> str:
    return i18n.translations(context.get("lang", i18n.DEFAULT_LANGUAGE)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    language = context.get("lang", i18n.DEFAULT_LANGUAGE)
    return i18n.translations(language).ngettext(singular, plural, n)


@pass_context
def _local_datetime(
    context: Context, value: datetime | None, pattern: str = "EEE d. MMM y, HH:mm"
) -> str:
    """A datetime in Berlin time, written the way the page's language writes it."""
    if value is None:
        return ""
    language = context.get("lang", i18n.DEFAULT_LANGUAGE)
    return format_datetime(value, pattern, tzinfo=BERLIN, locale=language)


@pass_context
def _local_date(context: Context, value: date | None, pattern: str = "EEE d. MMM y") -> str:
    if value is None:
        return ""
    return format_date(value, pattern, locale=context.get("lang", i18n.DEFAULT_LANGUAGE))


def _clock(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(BERLIN).strftime("%H:%M")


def _form_value(form: Any, name: str, default: Any = "") -> Any:
    """The value a person entered (after an error), else the stored default."""
    if form is not None and name in form:
        return form.get(name)
    return "" if default is None else default


def build_environment(templates_dir: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates_dir),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True
    )
    env.filters["local_datetime"] = _local_datetime
    env.filters["local_date"] = _local_date
    env.filters["clock"] = _clock
    env.globals["form_value"] = _form_value
    env.filters.update(FILTERS)
    return env


def request_language(request: Request[Any, Any, Any]) -> str:
    return (
        i18n.normalise_language(request.query_params.get("lang"))
        or i18n.normalise_language(request.cookies.get(LANGUAGE_COOKIE))
        or i18n.DEFAULT_LANGUAGE
    )


def switch_language_url(request: Request[Any, Any, Any], language: str) -> str:
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    params["lang"] = language
    return f"{request.url.path}?{urlencode(params)}"


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A rendered page in the request's language, with the signed-in staff member."""
    language = request_language(request)
    cookies = []
    if i18n.normalise_language(request.query_params.get("lang")):
        cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language,
                max_age=365 * 24 * 3600,
                samesite="lax",
                httponly=True,
            )
        )
    return Template(
        template_name=template,
        status_code=status_code,
        cookies=cookies,
        context={
            "lang": language,
            "languages": i18n.LANGUAGE_NAMES,
            "switch_language_url": lambda code: switch_language_url(request, code),
            "staff": current_staff(request),
            "path": request.url.path,
            "errors": [],
            "error": None,
            "form": None,
            **context,
        },
    )
