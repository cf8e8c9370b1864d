"""The lake's commit log: numbered snapshot files under `_lake/`, each naming every live data file.

A snapshot is one JSON document `_lake/v<version:020d>.json`: the tables, each with its data files (path
relative to the lake root and row count), and what the commit did (operation, batch, counts). The newest
snapshot is the lake: a data file no snapshot names is invisible, so a commit is the one rename that
publishes its snapshot, and a crash before it leaves the lake as it was.

The snapshot is written under a temporary name and renamed to its version (atomic on local file systems
and HDFS; on object stores the single object appears whole). One writer at a time: a second writer that
finds its version taken fails with a Conflict instead of overwriting (a single-writer lake, like the
embedded DuckDB file).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cxloop.engines.lake_fs import LakeFS
from cxloop.errors import Conflict, WorkspaceError

__all__ = ["LOG_DIR", "DataFile", "Snapshot", "commit_snapshot", "read_snapshot"]

LOG_DIR = "_lake"
FORMAT = 1
_NAME = re.compile(r"^v(\d{20})\.json$")
KEEP_SNAPSHOTS = 20  # older snapshot documents are deleted (their files are gone anyway)


@dataclass(frozen=True)
class DataFile:
    path: str  # relative to the lake root
    rows: int


@dataclass
class Snapshot:
    """Version `version` of the lake: table -> its data files; `info` describes the commit that made it."""

    version: int = 0
    tables: dict[str, list[DataFile]] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def files(self, table: str) -> list[DataFile]:
        return self.tables.get(table, [])

    def rows(self, table: str) -> int:
        return sum(f.rows for f in self.files(table))

    def paths(self) -> set[str]:
        return {f.path for files in self.tables.values() for f in files}

    def to_json(self) -> str:
        return json.dumps({
            "format": FORMAT, "version": self.version, "info": self.info,
            "tables": {t: [{"path": f.path, "rows": f.rows} for f in fs] for t, fs in sorted(self.tables.items())},
        }, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str, where: str) -> Snapshot:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise WorkspaceError(f"{where}: lake format {data.get('format')!r}; this cxloop reads format {FORMAT}")
            tables = {t: [DataFile(f["path"], int(f["rows"])) for f in files] for t, files in data["tables"].items()}
            return cls(int(data["version"]), tables, dict(data.get("info") or {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise WorkspaceError(f"{where}: not a readable lake snapshot: {exc}", file=where) from exc


def _versions(fs: LakeFS) -> list[int]:
    found = (_NAME.match(name) for name in fs.list_names(LOG_DIR))
    return sorted(int(m.group(1)) for m in found if m)


def read_snapshot(fs: LakeFS) -> Snapshot:
    """The newest snapshot (version 0, no tables, for a lake nothing was committed to)."""
    versions = _versions(fs)
    if not versions:
        return Snapshot()
    rel = f"{LOG_DIR}/v{versions[-1]:020d}.json"
    return Snapshot.from_json(fs.read_bytes(rel).decode("utf-8"), fs.uri(rel))


def commit_snapshot(fs: LakeFS, base: Snapshot, tables: dict[str, list[DataFile]], info: dict[str, Any]) -> Snapshot:
    """Publish `tables` (every table, changed or not) as the version after `base`."""
    snapshot = Snapshot(base.version + 1, tables, {**info, "committed_at": datetime.now(UTC).isoformat()})
    final = f"{LOG_DIR}/v{snapshot.version:020d}.json"
    if fs.exists(final):
        raise Conflict(f"lake {fs.root}: version {snapshot.version} was committed by another writer; run again")
    temp = f"{LOG_DIR}/.tmp-{uuid.uuid4().hex}.json"
    fs.write_bytes(temp, snapshot.to_json().encode("utf-8"))
    if not fs.rename(temp, final):
        fs.delete(temp)
        raise Conflict(f"lake {fs.root}: could not publish version {snapshot.version}; run again")
    for old in _versions(fs)[:-KEEP_SNAPSHOTS]:
        fs.delete(f"{LOG_DIR}/v{old:020d}.json")
    return snapshot
