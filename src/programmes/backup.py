"""Backing up and restoring the whole database, and the fingerprint that proves a round trip.

SQLite
    `backup` copies the live database through SQLite's online backup API (a consistent
    snapshot, safe while the server runs and writes), checks the copy with
    `PRAGMA integrity_check`, and only then moves it to PATH, so a failed backup never
    leaves a half-written file under that name. `restore` checks the file the same way
    and copies it over the database, again through the backup API, in one step under
    SQLite's write lock.
PostgreSQL
    `backup` runs `pg_dump --format=custom` (the PostgreSQL client tools must be installed
    and of the server's major version or newer); `restore` runs `pg_restore --clean
    --if-exists --single-transaction`, so a restore that fails changes nothing.

Restoring replaces every row. Stop the server first (it keeps cached feeds and sessions
of the old data until restarted); `restore` refuses a database that holds data unless
told `force`.

`table_fingerprints` counts the rows of every table and hashes their contents in
primary-key order: two databases of the same engine with equal fingerprints hold the same
data. The CLI prints it after a backup and a restore, so an operator can compare them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from programmes.db import fetch
from programmes.settings import DatabaseConfig

PG_TIMEOUT_SECONDS = 3600


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, in one line."""


@dataclass(frozen=True)
class TableFingerprint:
    table: str
    rows: int
    sha256: str


def backup(config: DatabaseConfig, path: Path) -> None:
    """Write a backup of the configured database to `path` (replacing a file there)."""
    path = path.expanduser()
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    if path.is_dir():
        raise BackupError(f"{path} is a folder; name a file")
    handle, temporary = tempfile.mkstemp(prefix=".backup-", dir=path.parent)
    os.close(handle)
    try:
        if config.is_sqlite:
            _sqlite_backup(_sqlite_path(config), Path(temporary))
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={temporary}"], config)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def restore(config: DatabaseConfig, path: Path) -> None:
    """Replace the configured database's contents with the backup at `path`."""
    path = path.expanduser()
    if not path.is_file():
        raise BackupError(f"there is no backup file at {path}")
    if config.is_sqlite:
        _check_sqlite_file(path)
        _sqlite_copy(path, _sqlite_path(config))
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                str(path),
            ],
            config,
        )


async def table_fingerprints(config: DatabaseConfig) -> list[TableFingerprint]:
    """Row count and content hash of every table, by name (needs a configured engine)."""
    if config.is_sqlite:
        tables = await fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    else:
        tables = await fetch(
            "SELECT table_name AS name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
        )
    result = []
    for row in tables:
        name = str(row["name"])
        quoted = '"' + name.replace('"', '""') + '"'
        # Every table has an integer primary key first; ordering by it makes the hash stable.
        rows = await fetch(f"SELECT * FROM {quoted} ORDER BY 1")  # noqa: S608 (names from the catalogue)
        digest = hashlib.sha256()
        for record in rows:
            digest.update(repr(sorted(record.items())).encode("utf-8"))
            digest.update(b"\n")
        result.append(TableFingerprint(table=name, rows=len(rows), sha256=digest.hexdigest()))
    return result


async def holds_data(config: DatabaseConfig) -> bool:
    """Whether any table of the service (not the migration bookkeeping) has a row."""
    return any(f.rows for f in await table_fingerprints(config) if f.table not in {"migration"})


def _sqlite_path(config: DatabaseConfig) -> Path:
    assert config.sqlite_path is not None
    return config.sqlite_path


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    _sqlite_copy(source, target)
    _check_sqlite_file(target)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy every page from `source` to `target` through the online backup API."""
    try:
        with (
            _connect(source, read_only=True) as src,
            _connect(target, read_only=False) as dst,
        ):
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {source} to {target}: {exc}") from None


def _check_sqlite_file(path: Path) -> None:
    try:
        with _connect(path, read_only=True) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()
            tables = {
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'"
                )
            }
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database ({exc})") from None
    if verdict is None or verdict[0] != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")
    if "migration" not in tables:
        raise BackupError(f"{path} is not a backup of this service (no migration table)")


def _connect(path: Path, *, read_only: bool) -> sqlite3.Connection:
    if read_only:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    return sqlite3.connect(path, timeout=30)


def _run(command: list[str], config: DatabaseConfig) -> None:
    """Run a PostgreSQL client tool against the configured database."""
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL client tools)")
    assert config.dsn is not None
    try:
        finished = subprocess.run(  # noqa: S603 (fixed tool, arguments not from a shell)
            [*command, f"--dbname={config.dsn}"],
            capture_output=True,
            text=True,
            timeout=PG_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BackupError(f"{command[0]} did not finish within an hour") from None
    if finished.returncode != 0:
        reason = (finished.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{command[0]} failed: {reason.replace(config.dsn, config.display)}")
