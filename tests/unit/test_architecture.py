"""The layering, kept true by a test (docs/architecture.md):

web -> domain -> tables -> vocabulary, never backwards; the domain knows nothing of HTTP;
inside the domain, capability packages import only the packages below them and the kernel,
and the kernel imports no capability.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "programmes"
DOMAIN = PACKAGE / "domain"

#: The small shared kernel at the bottom of the domain.
KERNEL = ("access", "audit", "errors", "labels", "text", "throttle", "tokens", "types")
#: Capability packages, lowest first: each may import those before it, never those after.
CAPABILITIES = (
    "mail",
    "accounts",
    "catalogue",
    "planning",
    "feeds",
    "enrolment",
    "attendance",
    "reporting",
    "privacy",
)


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, `from a import b` counted as both `a` and `a.b`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_under(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def capability_of(name: str) -> str | None:
    """`programmes.domain.feeds.cache` -> `feeds`; kernel modules and others -> None."""
    parts = name.split(".")
    if parts[:2] == ["programmes", "domain"] and len(parts) > 2 and parts[2] in CAPABILITIES:
        return parts[2]
    return None


def test_domain_holds_only_the_kernel_and_capability_packages() -> None:
    modules = {p.stem for p in DOMAIN.glob("*.py")} - {"__init__"}
    packages = {p.name for p in DOMAIN.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert modules == set(KERNEL)
    assert packages == set(CAPABILITIES)


@pytest.mark.parametrize("name", KERNEL)
def test_kernel_imports_no_capability(name: str) -> None:
    upward = {n for n in imports_of(DOMAIN / f"{name}.py") if capability_of(n)}
    assert not upward, f"domain/{name}.py imports {upward}"


@pytest.mark.parametrize(
    "path", sorted(DOMAIN.glob("*/*.py")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_capabilities_import_only_downward(path: Path) -> None:
    rank = CAPABILITIES.index(path.parent.name)
    upward = {
        name
        for name in imports_of(path)
        if (cap := capability_of(name)) is not None and CAPABILITIES.index(cap) > rank
    }
    assert not upward, f"{path.parent.name}/{path.name} imports {upward}"


@pytest.mark.parametrize("path", modules_under("domain"), ids=lambda p: p.name)
def test_domain_never_imports_the_web_layer(path: Path) -> None:
    forbidden = {
        name
        for name in imports_of(path)
        if name.startswith(
            ("litestar", "programmes.web", "programmes.app", "programmes.cli", "starlette")
        )
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


@pytest.mark.parametrize("name", ["vocabulary.py", "clock.py"])
def test_shared_vocabulary_and_time_import_nothing_of_the_service(name: str) -> None:
    """Tables, domain and web all import these, so they import none of them."""
    own = {n for n in imports_of(PACKAGE / name) if n.startswith("programmes")}
    assert not own, f"{name} imports {own}"


def test_ical_rendering_is_pure() -> None:
    forbidden = {
        name
        for name in imports_of(PACKAGE / "ical.py")
        if name.startswith(("programmes.db", "programmes.tables", "litestar", "piccolo"))
    }
    assert not forbidden


@pytest.mark.parametrize(
    "path",
    [p for p in modules_under("web") if p.name != "admin.py"],
    ids=lambda p: str(p.relative_to(PACKAGE / "web")),
)
def test_controllers_do_not_query_tables(path: Path) -> None:
    """Controllers call the domain; only the back-office mount (admin.py) names tables."""
    tables = {name for name in imports_of(path) if name.startswith("programmes.tables")}
    assert not tables, f"{path.name} imports {tables}"
