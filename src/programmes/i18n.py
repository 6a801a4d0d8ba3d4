"""Translations: German first; English, Turkish and Arabic for the public.

Message ids are English; each catalogue (`locale/<code>/LC_MESSAGES/messages.po`) is
compiled in memory at first use, so there is no build step and no binary file in the
repository. Pages and mails pick the language per request or per recipient, never globally;
their templates translate through `install_gettext`.

Public pages, mails to the public and to families, and certificates speak every language of
`LANGUAGES`; staff pages only those of `STAFF_LANGUAGES`. A language's own name and its
writing direction come from Babel's locale data, so adding a language is one catalogue and
one entry in `LANGUAGES` (the catalogue needs what `babel-public.cfg` extracts).
Extract new strings with `pybabel extract -F babel.cfg -k N_ -o messages.pot .` and merge them
with `pybabel update -i messages.pot -d src/programmes/locale`.
"""

from __future__ import annotations

import gettext as gettext_module
import re
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from programmes.vocabulary import Language


def _own_name(code: str) -> str:
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: Languages of public pages and mails, German (the default) first: `vocabulary.Language`,
#: which registrations store.
LANGUAGES: tuple[str, ...] = tuple(language.value for language in Language)
#: Languages of staff pages (a subset of `LANGUAGES`).
STAFF_LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
#: Each language in its own name ("Türkçe", "العربية"), for language switches and forms.
LANGUAGE_NAMES = {code: _own_name(code) for code in LANGUAGES}
#: Languages written right to left.
RIGHT_TO_LEFT = frozenset(code for code in LANGUAGES if Locale.parse(code).text_direction == "rtl")

_ACCEPT_ITEM = re.compile(
    r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$"
)


def normalise_language(value: str | None, offered: tuple[str, ...] = LANGUAGES) -> str | None:
    """'en', 'EN', 'en-GB', 'tr_TR' -> the code when it is `offered`; anything else -> None."""
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    return code if code in offered else None


def direction(language: str) -> str:
    """'rtl' for a language written right to left, else 'ltr'."""
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def accepted_language(header: str | None, offered: tuple[str, ...] = LANGUAGES) -> str | None:
    """The offered language a browser's `Accept-Language` prefers most ("tr-TR,tr;q=0.9,
    de;q=0.5" -> 'tr'); q=0 means "not this one"; ties keep the header's order."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    for position, item in enumerate(header.split(",")[:32]):
        match = _ACCEPT_ITEM.match(item)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        code = normalise_language(match.group(1), offered)
        if code is None or not 0 < quality <= 1:
            continue
        if best is None or (quality, -position) > (best[0], -best[1]):
            best = (quality, position, code)
    return best[2] if best else None


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalogue for a language; English (the message ids) needs none. A message a
    catalogue lacks shows in English (the test of the catalogues keeps that from happening
    on public pages and in mails)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language not in LANGUAGES or not po_path.exists():
        return gettext_module.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(language: str, message: str, **variables: Any) -> str:
    text = translations(language).gettext(message)
    return text % variables if variables else text


def ngettext(language: str, singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(language).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


def install_gettext(env: Environment) -> None:
    """Templates translate with `_()`, `gettext`, `ngettext` and `{% trans %}`, looked up in
    the language of the render context's `lang` (German when it has none)."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_template_gettext, ngettext=_template_ngettext, newstyle=True
    )


@pass_context
def _template_gettext(context: Context, message: str) -> str:
    return translations(context.get("lang", DEFAULT_LANGUAGE)).gettext(message)


@pass_context
def _template_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang", DEFAULT_LANGUAGE)).ngettext(singular, plural, n)
