"""Rendering HTML pages: the Jinja environment, the page language and shared context.

The page's language: `?lang=` (which also sets the `programmes_lang` cookie), then that
cookie, then the browser's `Accept-Language`, then German. Public pages speak every language
of `i18n.LANGUAGES`, staff pages (`/staff/`) those of `i18n.STAFF_LANGUAGES`; a `?lang=` the
page does not speak shows the page in German with a notice saying so. Templates translate and
format dates in the page's language through the render context (`programmes.formatting`),
so concurrent requests in different languages never mix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request
from litestar.datastructures import Cookie

from programmes import i18n
from programmes.formatting import localise
from programmes.web.calendar_links import CalendarLinks
from programmes.web.guards import current_staff
from programmes.web.notices import NOTICES, counted
from programmes.web.render_thread import Page, Reuse

LANGUAGE_COOKIE = "programmes_lang"
#: Paths whose pages speak only the staff languages.
STAFF_PATHS = ("/staff", "/admin", "/api/")
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
    env.globals["text_direction"] = i18n.direction
    #: Every public language in its own name (staff forms for texts in each language).
    env.globals["public_languages"] = i18n.LANGUAGE_NAMES
    return localise(env)


@dataclass(frozen=True)
class LanguageChoice:
    """The language a page is shown in, and why."""

    language: str
    #: The languages this page speaks (for its language switch).
    offered: tuple[str, ...]
    #: Chosen with `?lang=` (the page then remembers it in a cookie).
    from_query: bool = False
    #: A `?lang=` code this page does not speak (it is shown in German instead).
    unavailable: str | None = None


def offered_languages(request: Request[Any, Any, Any]) -> tuple[str, ...]:
    """Staff pages speak the staff languages; every other page all of them."""
    if request.url.path.startswith(STAFF_PATHS):
        return i18n.STAFF_LANGUAGES
    return i18n.LANGUAGES


def choose_language(request: Request[Any, Any, Any]) -> LanguageChoice:
    offered = offered_languages(request)
    asked = request.query_params.get("lang")
    if asked is not None:
        language = i18n.normalise_language(asked, offered)
        if language is not None:
            return LanguageChoice(language, offered, from_query=True)
        return LanguageChoice(i18n.DEFAULT_LANGUAGE, offered, unavailable=asked.strip()[:20] or "?")
    language = i18n.normalise_language(
        request.cookies.get(LANGUAGE_COOKIE), offered
    ) or i18n.accepted_language(request.headers.get("accept-language"), offered)
    return LanguageChoice(language or i18n.DEFAULT_LANGUAGE, offered)


def request_language(request: Request[Any, Any, Any]) -> str:
    return choose_language(request).language


def switch_language_url(request: Request[Any, Any, Any], language: str) -> str:
    """The same page and query in another language."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", language))
    return f"{request.url.path}?{urlencode(params)}"


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    shows: object = None,
    **context: Any,
) -> Page:
    """A rendered page in the request's language, with the signed-in staff member, what the
    last form did (`?done=`, see `web.notices`) and the entries a person made before their
    sign-in expired (`web.kept_forms`), shown again in the form.

    `shows`: for a public page, every value besides the request that its body depends on
    (compared with ==). An anonymous visitor's page without a notice or kept form is then
    sent again without rendering when another visitor asked for the same address in the
    same language and the values are equal (`render_thread.Reuse`)."""
    choice = choose_language(request)
    language = str(context.pop("lang", choice.language))
    notice = NOTICES.get(request.query_params.get("done") or "")
    how_many = counted(request.query_params.get("done") or "", request.query_params.get("n"))
    kept = request.scope.get("kept_form")  # type: ignore[typeddict-item]
    cookies = []
    if choice.from_query and language == choice.language:
        cookies.append(
            Cookie(
                key=LANGUAGE_COOKIE,
                value=language,
                max_age=365 * 24 * 3600,
                samesite="lax",
                httponly=True,
            )
        )
    staff = current_staff(request)
    shared = (
        shows is not None and staff is None and notice is None and not how_many and kept is None
    )
    return Page(
        template_name=template,
        status_code=status_code,
        reuse=Reuse(
            key=(
                template,
                status_code,
                language,
                choice.offered,
                choice.unavailable,
                str(request.url),
            ),
            shown=shows,
        )
        if shared
        else None,
        cookies=cookies,
        # the language depends on these: no cache may serve one visitor's page to another
        headers={"Vary": "Accept-Language, Cookie"},
        context={
            "lang": language,
            "dir": i18n.direction(language),
            "languages": {code: i18n.LANGUAGE_NAMES[code] for code in choice.offered},
            "language_unavailable": choice.unavailable,
            "switch_language_url": lambda code: switch_language_url(request, code),
            "staff": staff,
            # public calendars' links in the page's language (`_subscribe.html`)
            "calendar": CalendarLinks(request.app.state.settings.base_url, language),
            "path": request.url.path,
            "errors": [],
            "error": None,
            "form": kept,
            "kept": kept is not None,
            "done": i18n.gettext(language, notice)
            if notice
            else (i18n.ngettext(language, *how_many) if how_many else None),
            **context,
        },
    )
