"""The `programmes` command, run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from programmes.tables import Account, Cohort, Family, Kita, Programme, Session
from tests.conftest import TEST_SECRET

PROGRAMMES = [sys.executable, "-m", "programmes.cli"]


def run(
    *args: str, database_url: str, cwd: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PROGRAMMES_DATABASE_URL": database_url,
        "PROGRAMMES_SECRET_KEY": TEST_SECRET,
        **env,
    }
    return subprocess.run(
        [*PROGRAMMES, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        input=stdin,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://localhost/x", "PROGRAMMES_DATABASE_URL: must start with"),
        ("postgresql://postgres@127.0.0.1:1/programmes_test", "PROGRAMMES_DATABASE_URL: cannot"),
        ("sqlite:////nonexistent-dir/deeper/x.sqlite", "PROGRAMMES_DATABASE_URL: cannot"),
    ],
)
def test_bad_or_unreachable_database_is_one_line_and_exit_2(
    tmp_path: Path, url: str, expected: str
) -> None:
    result = run("migrate", database_url=url, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_production_without_secret_is_refused(tmp_path: Path, database_url: str) -> None:
    result = run(
        "migrate",
        database_url=database_url,
        cwd=tmp_path,
        PROGRAMMES_ENV="production",
        PROGRAMMES_SECRET_KEY="",
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "programmes: error: PROGRAMMES_SECRET_KEY: is required in production "
        "(PROGRAMMES_ENV=production)"
    )


def test_unknown_option_is_refused_with_usage(tmp_path: Path, database_url: str) -> None:
    result = run("serve", "--colour", database_url=database_url, cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --colour" in result.stderr


@pytest.mark.parametrize(
    "command", [[], ["serve"], ["migrate"], ["demo"], ["user", "create"], ["mail", "send"]]
)
def test_every_command_has_help(tmp_path: Path, command: list[str]) -> None:
    result = run(*command, "--help", database_url="sqlite:///x.sqlite", cwd=tmp_path)
    assert result.returncode == 0
    assert "usage: programmes" in result.stdout


async def test_demo_loads_into_an_empty_database_and_refuses_a_full_one(
    tmp_path: Path, database_url: str
) -> None:
    first = run("demo", database_url=database_url, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr  # e.g. a connection closed after its loop ended
    assert "koordination@demo.example" in first.stdout
    assert "Demo-Koordination-1" in first.stdout
    counts = [await t.count() for t in (Kita, Programme, Cohort, Session, Family, Account)]
    assert counts[0] >= 3
    assert counts[3] > 70

    second = run("demo", database_url=database_url, cwd=tmp_path)
    assert second.returncode == 2
    assert "already has data" in second.stderr
    assert [await t.count() for t in (Kita, Programme, Cohort, Session, Family, Account)] == counts

    forced = run("demo", "--force", database_url=database_url, cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "Traceback" not in forced.stderr
    assert [await t.count() for t in (Kita, Programme, Cohort, Session, Family, Account)] == counts


async def test_user_create_makes_a_partner_bound_to_a_kita(
    tmp_path: Path, database_url: str
) -> None:
    await Kita.insert(Kita(name="KiTa Test", address=""))
    result = run(
        "user",
        "create",
        "--role",
        "partner",
        "--email",
        "Partner@Kita.example",
        "--kita",
        "KiTa Test",
        "--password-stdin",
        database_url=database_url,
        cwd=tmp_path,
        stdin="long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    row = await Account.select(Account.role, Account.kita, Account.admin).first()
    assert row is not None
    assert row["role"] == "partner"
    assert row["kita"] is not None
    assert not row["admin"]
    bad = run(
        "user",
        "create",
        "--role",
        "partner",
        "--email",
        "other@kita.example",
        "--kita",
        "No Such KiTa",
        "--password-stdin",
        database_url=database_url,
        cwd=tmp_path,
        stdin="long enough password\n",
    )
    assert bad.returncode == 2
    assert "kita" in bad.stderr.lower()
    assert await Account.count() == 1
