"""Translations: German first, English too.

Message ids are English; the German catalogue (`locale/de/LC_MESSAGES/messages.po`) is
compiled in memory at first use, so there is no build step and no binary file in the
repository. Pages and mails pick the language per request or per recipient, never globally;
their templates translate through `install_gettext`.
Extract new strings with `pybabel extract -F babel.cfg -o messages.pot .` and merge them with
`pybabel update -i messages.pot -d src/programmes/locale`.
"""

from __future__ import annotations

import gettext as gettext_module
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from programmes.vocabulary import Language

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The languages offered for pages and mails: the one list is `vocabulary.Language` (the
#: stored codes' column choices too); here as codes, German first.
LANGUAGES: tuple[str, ...] = tuple(language.value for language in Language)
DEFAULT_LANGUAGE = Language.de.value
#: Each offered language in its own words, for the language switch and the mail-language
#: choice.
LANGUAGE_NAMES = {Language.de.value: "Deutsch", Language.en.value: "English"}


def normalise_language(value: str | None) -> str | None:
    """'en', 'EN', 'en-GB' -> 'en'; anything unknown -> None. For choosing how a page or
    feed is shown (`?lang=`, the cookie), which falls back to German; a language that is
    stored goes through `domain.text.clean_language`, which refuses what it does not know."""
    if not value:
        return None
    code = value.strip().lower()[:2]
    return code if code in LANGUAGES else None


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext_module.NullTranslations:
    """The catalogue for a language; English (the message ids) needs none."""
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
