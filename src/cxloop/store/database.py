"""The workspace's DuckDB file: open it, apply numbered migrations, report its schema version.

DuckDB allows one writing process per file; a second one gets a clear `WorkspaceError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from cxloop.errors import Busy, WorkspaceError

__all__ = ["SCHEMA_VERSION", "connect", "first_row", "migrations", "registered", "transaction"]

_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every shipped migration, in order."""
    folder = resources.files("cxloop.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = max(number for number, _, _ in migrations())


def connect(path: Path, *, read_only: bool = False, create: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the workspace database and bring its schema up to date."""
    if not create and not path.is_file():
        raise WorkspaceError(f"workspace database {path} not found; create it with 'cxloop init'", file=str(path))
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise Busy(
                f"workspace database {path} is locked by another process; wait for it to finish and retry",
                file=str(path),
            ) from exc
        raise WorkspaceError(f"cannot open workspace database {path}: {text}", file=str(path)) from exc
    except duckdb.Error as exc:
        raise WorkspaceError(f"cannot open workspace database {path}: {exc}", file=str(path)) from exc
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    if not read_only:
        _migrate(con, path)
    else:
        _check_version(con, path)
    return con


def _current_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = first_row(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
    ))
    if not exists or not exists[0]:
        return 0
    row = first_row(con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations"))
    return int(row[0]) if row else 0


def _check_version(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    version = _current_version(con)
    if version > SCHEMA_VERSION:
        raise WorkspaceError(
            f"workspace {path} has schema version {version}, newer than this cxloop supports "
            f"({SCHEMA_VERSION}); upgrade cxloop",
            file=str(path),
        )
    return version


def _migrate(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    version = _check_version(con, path)
    if version == SCHEMA_VERSION:
        return
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, "
        "applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    for number, name, sql in migrations():
        if number <= version:
            continue
        try:
            with transaction(con):
                con.execute(sql)
                con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [number, name])
        except duckdb.Error as exc:
            raise WorkspaceError(f"migration {name} failed on {path}: {exc}", file=str(path)) from exc


def first_row(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a result, consuming it whole (DuckDB 2 refuses new work on a half-read result)."""
    rows = result.fetchall()
    return rows[0] if rows else None


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One DuckDB transaction: committed when the block ends, rolled back on any error or interrupt."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, table: Any) -> Iterator[str]:
    """An Arrow table visible to SQL as `name` for the duration of the block."""
    con.register(name, table)
    try:
        yield name
    finally:
        con.unregister(name)
