"""The layering of ARCHITECTURE.md, kept true by a test: web -> domain -> tables, never
backwards; the domain knows nothing of HTTP; tables know nothing of use cases."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "programmes"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("path", modules_under("domain"), ids=lambda p: p.name)
def test_domain_never_imports_the_web_layer(path: Path) -> None:
    forbidden = {
        name
        for name in imports_of(path)
        if name.startswith(("litestar", "programmes.web", "programmes.app", "starlette"))
    }
    assert not forbidden, f"{path.name} imports {forbidden}"


@pytest.mark.parametrize("path", modules_under("tables"), ids=lambda p: p.name)
def test_tables_never_import_domain_or_web(path: Path) -> None:
    forbidden = {
        name
        for name in imports_of(path)
        if name.startswith(("programmes.domain", "programmes.web", "litestar"))
    }
    assert not forbidden, f"{path.name} imports {forbidden}"


def test_ical_rendering_is_pure() -> None:
    path = PACKAGE / "ical.py"
    if not path.exists():
        pytest.skip("ical.py not written yet")
    forbidden = {
        name
        for name in imports_of(path)
        if name.startswith(("programmes.db", "programmes.tables", "litestar", "piccolo"))
    }
    assert not forbidden


@pytest.mark.parametrize("path", modules_under("web"), ids=lambda p: p.name)
def test_controllers_do_not_query_tables(path: Path) -> None:
    """Controllers call the domain; only the admin mount may name tables."""
    if path.name == "admin.py":
        return
    tables = {name for name in imports_of(path) if name.startswith("programmes.tables")}
    assert tables <= {"programmes.tables.vocabulary"}, f"{path.name} imports {tables}"
