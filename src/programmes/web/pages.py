"""Rendering HTML pages: the Jinja environment, the page language and shared context.

The language comes from `?lang=` (which also sets a cookie), then the `lang` cookie, then
German. Templates translate and format dates in the page's language through the render
context (`programmes.formatting`), so concurrent requests in different languages never mix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Template

from programmes import i18n
from programmes.formatting import localise
from programmes.web.calendar_links import CalendarLinks
from programmes.web.guards import current_staff

LANGUAGE_COOKIE = "lang"
TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"


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
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["form_value"] = _form_value
    return localise(env)


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
            # public calendars' links in the page's language (`_subscribe.html`)
            "calendar": CalendarLinks(request.app.state.settings.base_url, language),
            "path": request.url.path,
            "errors": [],
            "error": None,
            "form": None,
            **context,
        },
    )
