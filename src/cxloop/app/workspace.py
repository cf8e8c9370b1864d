"""Workspace: the composition root that wires settings, the DuckDB store and the domain together."""

from __future__ import annotations

import secrets
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

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
from cxloop.errors import WorkspaceError
from cxloop.store import connect, first_row

__all__ = ["Workspace"]


class Workspace:
    """An open workspace: `root/cxloop.toml` settings plus the `root/cxloop.duckdb` connection.

    All writes go through this object's single connection (DuckDB allows one writer per file).
    """

    def __init__(self, root: Path, settings: Settings, con: duckdb.DuckDBPyConnection) -> None:
        self.root = root
        self.settings = settings
        self.con = con

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
        cls, root: Path, *, read_only: bool = False, overrides: dict[str, Any] | None = None
    ) -> Workspace:
        settings = load_settings(root, overrides)
        return cls(root, settings, connect(root / DATABASE_FILE, read_only=read_only))

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
