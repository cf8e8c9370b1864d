"""Ingest through the API: an uploaded file or JSON rows, with the same profiles, rules, rejects and
idempotence as `cxloop ingest` (it calls the same `ingest_service.ingest`).

Uploads are kept under `WS/uploads/` named by their SHA-256 and file name, so the batch and its rejects
name a file that still exists, and a re-upload of the same bytes is the same file (and adds nothing).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from cxloop.access import Permission
from cxloop.app.audit_service import record
from cxloop.app.lake_service import ingest_any
from cxloop.app.workspace import Workspace
from cxloop.config import SourceProfile
from cxloop.errors import TooLarge, UsageError
from cxloop.model.fields import CANONICAL_FIELDS

__all__ = ["UPLOADS_DIR", "build_profile", "check_map", "ingest_path", "ingest_rows", "ingest_upload", "list_batches",
           "list_sources", "parse_maps"]

UPLOADS_DIR = "uploads"
_SAFE = re.compile(r"[^\w.\-]+")
_CHUNK = 1 << 20


def parse_maps(maps: Iterable[str]) -> dict[str, str]:
    """`FIELD=COLUMN` items (the CLI's `--map`) as a mapping; UsageError names the bad one."""
    out: dict[str, str] = {}
    for item in maps:
        field, sep, column = item.partition("=")
        field = field.strip()
        if not sep or not field or not column:
            raise UsageError(f"--map {item!r}: use FIELD=COLUMN, e.g. --map text=评价内容", field="map")
        out[field] = column
    return check_map(out)


def check_map(mapping: dict[str, str]) -> dict[str, str]:
    for field in mapping:
        if field not in CANONICAL_FIELDS:
            raise UsageError(f"--map {field}={mapping[field]}: unknown field {field!r}; fields are: "
                             f"{', '.join(CANONICAL_FIELDS)}", field="map")
    return mapping


def build_profile(ws: Workspace, options: dict[str, Any]) -> SourceProfile | None:
    """The profile of an ingest (`options`: source, channel, kind, map, encoding, date_format, format,
    timezone — each optional): the named source's, overlaid with ad-hoc map/channel/kind and file options.
    None: the app takes the named profile, or the standard mapping of an XES log."""
    source = options.get("source")
    base = ws.settings.sources.get(source or "") if source else None
    adhoc = bool(options.get("map") or options.get("channel") or options.get("kind"))
    if not adhoc and base is None:
        return None
    data = base.model_dump() if base is not None else {}
    data["map"] = {**data.get("map", {}), **check_map(dict(options.get("map") or {}))}
    for key in ("channel", "kind"):
        if options.get(key):
            data[key] = options[key]
    profile = SourceProfile.model_validate(data)
    for key in ("encoding", "date_format", "format", "timezone"):
        if options.get(key):
            setattr(profile, key, options[key])
    return profile


def _store(ws: Workspace, name: str, chunks: Iterable[bytes], limit: int) -> Path:
    folder = ws.root / UPLOADS_DIR
    folder.mkdir(exist_ok=True)
    digest, size = hashlib.sha256(), 0
    partial = folder / f".partial-{hashlib.sha256(name.encode()).hexdigest()[:8]}-{id(chunks)}"
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"upload over the limit of {limit} bytes ([api] max_upload_bytes)", field="file")
                digest.update(chunk)
                out.write(chunk)
        safe = _SAFE.sub("_", Path(name).name).strip("._") or "upload"
        final = folder / f"{digest.hexdigest()[:16]}-{safe}"
        partial.replace(final)
        return final
    finally:
        partial.unlink(missing_ok=True)


def _chunks(stream: BinaryIO) -> Iterable[bytes]:
    while chunk := stream.read(_CHUNK):
        yield chunk


def ingest_path(ws: Workspace, path: Path | str, options: dict[str, Any]) -> dict[str, Any]:
    """Ingest a file on disk with `options` (see `build_profile`; `engine` may confirm the workspace's);
    audited. The CLI and the API both call it. On a Spark lake `path` may be a glob or a URI."""
    ws.principal.require(Permission.ingest_write)
    result = ingest_any(ws, str(path), source=options.get("source"), profile=build_profile(ws, options),
                        engine=options.get("engine"))
    record(ws, "ingest", target=Path(str(path)).name, detail={k: result.get(k) for k in
                                                    ("batch_id", "inserted", "updated", "unchanged", "rejected")})
    return result


def ingest_upload(ws: Workspace, filename: str, stream: BinaryIO, options: dict[str, Any], *,
                  limit: int) -> dict[str, Any]:
    """Ingest an uploaded export (any format `cxloop ingest` reads); the CLI's result dict."""
    ws.principal.require(Permission.ingest_write)
    return ingest_path(ws, _store(ws, filename, _chunks(stream), limit), options)


def ingest_rows(ws: Workspace, rows: list[dict[str, Any]], options: dict[str, Any], *, limit: int) -> dict[str, Any]:
    """Ingest JSON rows (objects of column -> value) as a JSONL file; the CLI's result dict."""
    ws.principal.require(Permission.ingest_write)
    if not rows:
        raise UsageError("rows is empty: give at least one row", field="rows")
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
    name = f"rows-{options.get('source') or options.get('channel') or 'api'}.jsonl"
    return ingest_path(ws, _store(ws, name, [body], limit), {**options, "format": "jsonl"})


def list_sources(ws: Workspace) -> list[dict[str, Any]]:
    """Configured source profiles with their batch counts and last ingest."""
    stats = {s: (n, last) for s, n, last in ws.con.execute(
        "SELECT source, count(*), max(started_at) FROM ingest_batches GROUP BY 1").fetchall()}
    names = sorted(set(ws.settings.sources) | set(stats))
    out = []
    for name in names:
        profile = ws.settings.sources.get(name)
        n, last = stats.get(name, (0, None))
        out.append({"source": name, "configured": profile is not None, "channel": profile.channel if profile else None,
                    "kind": profile.kind if profile else None, "batches": n, "last_ingest": last})
    return out


def list_batches(ws: Workspace, *, source: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    cols = ("batch_id", "source", "file", "started_at", "finished_at", "rows_read", "inserted", "updated",
            "unchanged", "rejected")
    sql = f"SELECT {', '.join(cols)} FROM ingest_batches" + (" WHERE source = ?" if source else "")
    rows = ws.con.execute(sql + " ORDER BY started_at DESC, batch_id DESC LIMIT ?",
                          [*([source] if source else []), limit]).fetchall()
    return [dict(zip(cols, r, strict=True)) for r in rows]
