"""The README's module map names every module of the package, and nothing that is gone;
and the repository explains itself: no file refers to documents outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "programmes"
ENTRY = re.compile(r"^(?P<indent> *)(?P<name>[A-Za-z_][\w./]*(?:\.py|/))(?:\s|$)")


def module_map() -> set[str]:
    """Paths (relative to src/programmes) of the entries in the README's module map."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Module map", 1)[1]
    block = section.split("```", 2)[1]
    paths: set[str] = set()
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        match = ENTRY.match(line)
        if not match:
            continue  # a wrapped description
        indent, name = len(match["indent"]), match["name"]
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = "".join(folder for _, folder in stack) + name
        if name.endswith("/"):
            stack.append((indent, name))
        if path.startswith("src/programmes/") and path != "src/programmes/":
            paths.add(path.removeprefix("src/programmes/"))
    return paths


def package_contents() -> set[str]:
    modules = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "__init__.py"
    }
    folders = {
        str(path.relative_to(PACKAGE)) + "/"
        for path in PACKAGE.rglob("*")
        if path.is_dir() and (path / "__init__.py").exists()
    }
    return modules | folders


def test_every_module_is_in_the_module_map() -> None:
    missing = package_contents() - module_map()
    assert not missing, f"README's module map lacks {sorted(missing)}"


def test_the_module_map_names_no_module_that_is_gone() -> None:
    gone = module_map() - package_contents()
    assert not gone, f"README's module map names {sorted(gone)}, which do not exist"


def test_the_map_reader_sees_nested_packages() -> None:
    """Guards the reader itself: a map it could not parse would pass the tests above."""
    entries = module_map()
    assert {"domain/feeds/", "domain/feeds/cache.py", "web/api/reports.py"} <= entries


def test_no_file_cites_documents_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    citing = [
        name
        for name in tracked
        if name != "CHANGELOG.md"
        and (ROOT / name).is_file()
        and name.endswith((".py", ".md", ".html", ".txt", ".toml", ".cfg", ".sh", ".lua"))
        and re.search(
            # the outside folder's name is spelled in two parts so this file does not cite it
            r"\.\./sha"
            r"red/|sha"
            r"red/design|\b(RELIABILITY|ARCHITECTURE|PERFORMANCE|PRODUCT|UX)\.md",
            (ROOT / name).read_text(encoding="utf-8", errors="replace"),
        )
    ]
    assert not citing, f"these files cite documents that are not in the repository: {citing}"


def test_docs_name_only_modules_that_exist() -> None:
    """docs/ refers to modules by path (`domain/mail/delivery.py`); each must exist."""
    for page in (ROOT / "docs").glob("*.md"):
        for ref in re.findall(r"`((?:domain|web|tables)/[\w/]+\.py)", page.read_text()):
            assert (PACKAGE / ref).exists(), f"{page.name} names {ref}, which does not exist"
