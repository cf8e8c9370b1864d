"""Workspace: the composition root that wires settings, the DuckDB store and the domain together."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from cxloop.access import OWNER, Principal, Role
from cxloop.config import (
    CONFIG_FILE,
    DATABASE_FILE,
    DEFAULT_CONFIG_TEXT,
    SALT_FILE,
    EngineSettings,
    Settings,
    engine_toml,
    load_settings,
)
from cxloop.errors import AuthError, Busy, UsageError, WorkspaceError
from cxloop.store import announce_writer, connect, first_row

__all__ = ["DEFAULT_LOCK_WAIT", "Workspace", "lock_wait"]

DEFAULT_LOCK_WAIT = 30.0  # seconds a command waits for a workspace another process holds (CXLOOP_LOCK_WAIT)


def lock_wait() -> float:
    """How long to wait for a locked workspace: $CXLOOP_LOCK_WAIT seconds, else DEFAULT_LOCK_WAIT."""
    value = os.environ.get("CXLOOP_LOCK_WAIT")
    if not value:
        return DEFAULT_LOCK_WAIT
    try:
        return max(0.0, float(value))
    except ValueError:
        raise UsageError(f"CXLOOP_LOCK_WAIT={value!r}: give a number of seconds") from None


def _connect_waiting(root: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the database; while another process holds it, announce the wait (a server lets go) and retry."""
    path = root / DATABASE_FILE
    try:
        return connect(path, read_only=read_only)
    except Busy:
        if wait <= 0:
            raise
    deadline = time.monotonic() + wait
    with announce_writer(root):
        while True:
            time.sleep(0.05)
            try:
                return connect(path, read_only=read_only)
            except Busy:
                if time.monotonic() >= deadline:
                    raise


def _env_principal(con: duckdb.DuckDBPyConnection) -> Principal:
    """$CXLOOP_USER: act at the CLI as that user (their rights, scope and masking), else as the owner."""
    name = os.environ.get("CXLOOP_USER")
    if not name:
        return OWNER
    row = first_row(con.execute(
        "SELECT role, department, partner, pii, disabled_at FROM users WHERE user_name = ?", [name]))
    if row is None or row[4] is not None:
        raise AuthError(f"CXLOOP_USER={name!r}: no such enabled user; list them with 'cxloop users list'")
    return Principal(name=name, role=Role(row[0]), department=row[1], partner=row[2], pii=bool(row[3]), via="cli")


class Workspace:
    """An open workspace: `root/cxloop.toml` settings plus the `root/cxloop.duckdb` connection.

    All writes go through this object's single connection (DuckDB allows one writer per file).
    `principal` is who acts (scoping, masking and audit follow it): the workspace owner at the CLI unless
    a caller (the API, `CXLOOP_USER`) says otherwise.
    """

    def __init__(self, root: Path, settings: Settings, con: duckdb.DuckDBPyConnection,
                 principal: Principal = OWNER) -> None:
        self.root = root
        self.settings = settings
        self.con = con
        self.principal = principal

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def init(cls, root: Path, engine: EngineSettings | None = None) -> Workspace:
        """Create `root/cxloop.toml`, the salt file and the database; refuse to overwrite. With `engine`
        (a Spark lake), its `[engine]` table is written too."""
        root = root.expanduser().resolve()
        config = root / CONFIG_FILE
        if config.exists():
            raise WorkspaceError(f"{config} already exists; this is already a workspace", file=str(config))
        root.mkdir(parents=True, exist_ok=True)
        config.write_text(DEFAULT_CONFIG_TEXT + (engine_toml(engine) if engine else ""), encoding="utf-8")
        salt = root / SALT_FILE
        if not salt.exists():
            salt.write_text(secrets.token_hex(16), encoding="utf-8")
            salt.chmod(0o600)
        settings = load_settings(root)
        return cls(root, settings, connect(root / DATABASE_FILE, create=True))

    @classmethod
    def open(
        cls, root: Path, *, read_only: bool = False, overrides: dict[str, Any] | None = None,
        wait: float | None = None,
    ) -> Workspace:
        """Open the workspace; a database locked by another process is retried for `wait` seconds
        (default: `lock_wait()`) before `Busy` is raised. With $CXLOOP_USER set it acts as that user
        (opened for writing: their unmasked views are audited)."""
        settings = load_settings(root, overrides)
        read_only = read_only and not os.environ.get("CXLOOP_USER")
        con = _connect_waiting(root, read_only, lock_wait() if wait is None else wait)
        try:
            principal = _env_principal(con)
        except BaseException:
            con.close()
            raise
        return cls(root, settings, con, principal)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- facts -------------------------------------------------------------------------------
    @property
    def salt(self) -> str:
        path = self.root / SALT_FILE
        if not path.is_file():
            raise WorkspaceError(f"salt file {path} missing; identifiers are hashed with it", file=str(path))
        return path.read_text(encoding="utf-8").strip()

    def status(self) -> dict[str, Any]:
        """Counts of what the workspace holds."""
        one = first_row(self.con.execute(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM events), "
            "(SELECT count(*) FROM customers), (SELECT count(*) FROM ingest_batches), "
            "(SELECT count(*) FROM rejects)"
        ))
        assert one is not None
        by_channel = dict(
            self.con.execute(
                "SELECT coalesce(channel, '(none)'), count(*) FROM records GROUP BY 1 ORDER BY 2 DESC, 1"
            ).fetchall()
        )
        return {
            "records": one[0],
            "events": one[1],
            "customers": one[2],
            "batches": one[3],
            "rejects": one[4],
            "by_channel": by_channel,
        }
