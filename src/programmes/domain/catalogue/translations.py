"""Programme and run texts in the languages of the public pages.

Coordinators write a programme's title and description in German, and may add them in
each other public language; a run (cohort) has a German title and may have one per language.
English texts of a programme live in its `title_en`/`summary_en` columns (the API and the
calendar feeds have always read them); every other language, and a run's titles in any
language, in a `translations` JSON column: `{"tr": {"title": "…", "summary": "…"}, …}`.
So a new public language needs no migration.

A text missing in the reader's language is shown in German, and says so: `Localised.lang`
is the language the text is in, which pages put on the element (`lang="de"`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from programmes.domain.errors import N_, InvalidInput
from programmes.domain.text import clean_text
from programmes.i18n import DEFAULT_LANGUAGE, LANGUAGES
from programmes.tables import Cohort

#: Languages a text may be translated into (all public languages but German).
TRANSLATED: tuple[str, ...] = tuple(code for code in LANGUAGES if code != DEFAULT_LANGUAGE)
#: Languages kept in the `translations` column of a programme (English has columns).
PROGRAMME_JSON_LANGUAGES: tuple[str, ...] = tuple(code for code in TRANSLATED if code != "en")
MAX_TITLE = 200
MAX_SUMMARY = 5000

#: {language: {"title": …, "summary": …}}
Translations = dict[str, dict[str, str]]


class Localised(msgspec.Struct, frozen=True):
    """A text and the language it is in (German when the reader's language lacks it)."""

    text: str
    lang: str

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)


def parse(raw: Any) -> Translations:
    """A stored `translations` value (JSON text on SQLite, text or dict on PostgreSQL):
    only known languages and non-empty texts."""
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw or "{}")
        except ValueError:
            return {}
    if not isinstance(raw, Mapping):
        return {}
    found: Translations = {}
    for language in TRANSLATED:
        texts = raw.get(language)
        if isinstance(texts, Mapping):
            kept = {k: v for k, v in texts.items() if isinstance(v, str) and v.strip()}
            if kept:
                found[language] = {str(k): v for k, v in kept.items()}
    return found


def stored(translations: Translations) -> str:
    """The JSON text to store (stable key order, so equal texts store equal bytes)."""
    return json.dumps(translations, ensure_ascii=False, sort_keys=True)


def checked(
    translations: Mapping[str, Mapping[str, str]] | None,
    *,
    languages: tuple[str, ...],
    fields: Mapping[str, int],
) -> Translations:
    """What a coordinator entered, cleaned like the German texts: `fields` maps each field to
    its longest length; an unknown language or field is an error naming it
    (`translations.<language>.<field>`, as the form's fields are `<field>_<language>`)."""
    result: Translations = {}
    for language, texts in (translations or {}).items():
        if language not in languages:
            raise InvalidInput(
                N_("Texts in %(languages)s only, please."),
                field="translations",
                languages=", ".join(languages),
            )
        for name, value in texts.items():
            if name not in fields:
                raise InvalidInput(
                    N_("Only these texts can be translated: %(names)s."),
                    field="translations",
                    names=", ".join(fields),
                )
            text = clean_text(
                value,
                field=f"{name}_{language}",
                max_length=fields[name],
                required=False,
                multiline=name == "summary",
            )
            if text:
                result.setdefault(language, {})[name] = text
    return result


def pick(german: str, variants: Mapping[str, str], language: str) -> Localised:
    """The text in `language` when there is one, else the German one."""
    text = variants.get(language, "").strip() if language != DEFAULT_LANGUAGE else ""
    return Localised(text, language) if text else Localised(german, DEFAULT_LANGUAGE)


def programme_variants(english: str, translations: Translations, field: str) -> dict[str, str]:
    """A programme's `field` ("title" or "summary") in each language it has."""
    variants = {code: texts[field] for code, texts in translations.items() if field in texts}
    if english.strip():
        variants["en"] = english
    return variants


def run_variants(
    cohort_title: str,
    cohort_translations: Translations,
    programme_title: str,
    programme_titles: Mapping[str, str],
) -> dict[str, str]:
    """A run's title in each language: its own translation; a run named like its
    programme (the form's default) takes the programme's translated titles."""
    variants = dict(programme_titles) if cohort_title.strip() == programme_title.strip() else {}
    variants.update(
        {code: texts["title"] for code, texts in cohort_translations.items() if "title" in texts}
    )
    return variants


async def run_titles(cohort_id: int) -> dict[str, str]:
    """A run's title in each language it has (one query; empty for a missing run)."""
    programme: Any = Cohort.programme
    row = (
        await Cohort.select(
            Cohort.title,
            Cohort.translations,
            programme.title.as_alias("programme_title"),
            programme.title_en.as_alias("programme_title_en"),
            programme.translations.as_alias("programme_translations"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    if row is None:
        return {}
    return run_variants(
        row["title"],
        parse(row["translations"]),
        row["programme_title"],
        programme_variants(
            row["programme_title_en"] or "", parse(row["programme_translations"]), "title"
        ),
    )
