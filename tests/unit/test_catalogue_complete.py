"""Every language is complete where it is needed.

German first: every text the code and templates mark for translation has its German
translation (a missing one would show English on a German page). Every other public
language (Turkish, Arabic, …): every text a member of the public or a family reads, which
`babel-public.cfg` extracts (public pages, mails, certificates, calendar feeds and the
modules whose messages reach them). And every translation keeps its message's placeholders.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from programmes import i18n

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "src/programmes/locale"
CATALOGUE = LOCALE / "de/LC_MESSAGES/messages.po"
#: "%(name)s" and "%%": what Python's % formatting reads in a message.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%")


def extract(config: str, target: Path) -> Catalog:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            config,
            "-k",
            "N_",
            "-o",
            str(target),
            "--ignore-dirs=.venv tests bench",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with target.open("rb") as wanted_file:
        return read_po(wanted_file)


def catalogue(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES/messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def untranslated(wanted: Catalog, translated: Catalog) -> list[object]:
    missing: list[object] = []
    for message in wanted:
        if not message.id:
            continue
        found = translated.get(message.id)
        strings = found.string if found is not None else ""
        incomplete = not strings or (isinstance(strings, tuple) and not all(strings))
        if incomplete or (found is not None and found.fuzzy):
            missing.append(message.id)
    return missing


def test_every_marked_text_has_a_german_translation(tmp_path: Path) -> None:
    assert untranslated(extract("babel.cfg", tmp_path / "all.pot"), catalogue("de")) == []


@pytest.mark.parametrize(
    "language", [code for code in i18n.LANGUAGES if code not in (i18n.DEFAULT_LANGUAGE, "en")]
)
def test_every_public_text_is_translated(tmp_path: Path, language: str) -> None:
    public = extract("babel-public.cfg", tmp_path / "public.pot")
    assert len(public) > 150  # the public pages, mails and certificates are all in it
    assert untranslated(public, catalogue(language)) == []


@pytest.mark.parametrize("language", [code for code in i18n.LANGUAGES if code != "en"])
def test_translations_keep_their_placeholders(language: str) -> None:
    wrong = []
    for message in catalogue(language):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = sorted(PLACEHOLDER.findall(str(ids[-1])))
        for string in strings:
            if string and sorted(PLACEHOLDER.findall(str(string))) != wanted:
                wrong.append((message.id, string))
    assert wrong == []


def test_every_public_language_has_a_catalogue_and_its_own_name() -> None:
    for code in i18n.LANGUAGES:
        assert code == "en" or (LOCALE / code / "LC_MESSAGES/messages.po").exists(), code
    assert i18n.LANGUAGE_NAMES == {
        "de": "Deutsch",
        "en": "English",
        "tr": "Türkçe",
        "ar": "العربية",
    }
    assert frozenset({"ar"}) == i18n.RIGHT_TO_LEFT
