"""`programmes backup` and `programmes restore`, run as real processes: a round trip gives
back every table exactly (row counts and a hash of every row), and bad calls change nothing."""

from __future__ import annotations

from pathlib import Path

from programmes.backup import table_fingerprints
from programmes.settings import parse_database_url
from programmes.tables import Cohort, Kita
from tests.integration.test_cli import run


async def fingerprints(database_url: str) -> dict[str, tuple[int, str]]:
    found = await table_fingerprints(parse_database_url(database_url))
    return {f.table: (f.rows, f.sha256) for f in found}


async def test_a_backup_restores_every_table_exactly(tmp_path: Path, database_url: str) -> None:
    assert run("demo", database_url=database_url, cwd=tmp_path).returncode == 0
    before = await fingerprints(database_url)
    assert before["registration"][0] > 0 and before["attendance"][0] > 0

    target = tmp_path / "programmes.backup"
    made = run("backup", str(target), database_url=database_url, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert target.stat().st_size > 0
    assert "registration" in made.stdout  # the table list with counts and hashes

    await Kita.insert(Kita(name="Added after the backup", address=""))
    await Cohort.update({Cohort.title: "Renamed after the backup"}).where(Cohort.id == 1)
    changed = await fingerprints(database_url)
    assert changed != before

    refused = run("restore", str(target), database_url=database_url, cwd=tmp_path)
    assert refused.returncode == 2
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert await fingerprints(database_url) == changed

    restored = run("restore", str(target), "--force", database_url=database_url, cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    assert await fingerprints(database_url) == before


async def test_restoring_a_file_that_is_no_backup_changes_nothing(
    tmp_path: Path, database_url: str
) -> None:
    assert run("demo", database_url=database_url, cwd=tmp_path).returncode == 0
    before = await fingerprints(database_url)
    garbage = tmp_path / "not-a-backup"
    garbage.write_bytes(b"PGDMP this is not a backup\x00" * 100)
    result = run("restore", str(garbage), "--force", database_url=database_url, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("programmes: error:"), result.stderr
    assert await fingerprints(database_url) == before


def test_a_backup_into_a_missing_folder_is_one_clear_line(
    tmp_path: Path, database_url: str
) -> None:
    result = run(
        "backup",
        str(tmp_path / "no" / "such" / "x.backup"),
        database_url=database_url,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"programmes: error: the folder {tmp_path / 'no' / 'such'} does not exist"
    )
    missing = run("restore", str(tmp_path / "none.backup"), database_url=database_url, cwd=tmp_path)
    assert missing.returncode == 2
    assert "there is no backup file" in missing.stderr
