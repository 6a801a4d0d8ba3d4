"""German first: every text the code and templates mark for translation has its German
translation in the catalogue (a missing one would show English on a German page)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "src/programmes/locale/de/LC_MESSAGES/messages.po"


def test_every_marked_text_has_a_german_translation(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-o",
            str(template),
            "--ignore-dirs=.venv tests bench",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as wanted_file, CATALOGUE.open("rb") as german_file:
        wanted = read_po(wanted_file)
        german = read_po(german_file)
    missing = []
    for message in wanted:
        if not message.id:
            continue
        translated = german.get(message.id)
        strings = translated.string if translated is not None else ""
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message.id)
    assert missing == []
