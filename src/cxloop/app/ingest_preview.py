"""The dashboard's upload flow: keep an uploaded export, then preview it with a column mapping (the
columns, the first rows and which rows `ingest` would reject and why) before ingesting it.

The preview runs the ingest's own read and staging steps (`ingest_service._plan` / `_stage`, the same
rules, so a row previewed as rejected is rejected) and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa

from cxloop.access import Permission
from cxloop.app.access import mask_rows
from cxloop.app.ingest_service import _plan, _stage, resolve_profile
from cxloop.app.ingest_upload import UPLOADS_DIR, _chunks, _store, build_profile
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound, UsageError
from cxloop.ingest.connectors import detect_format, read_export
from cxloop.model.fields import CANONICAL_FIELDS
from cxloop.store import registered

__all__ = ["guess_map", "keep_upload", "preview_upload", "upload_path"]

# column-name hints (zh and en) for the mapping form's first guess
_HINTS: dict[str, tuple[str, ...]] = {
    "occurred_at": ("时间", "日期", "time", "date", "created"), "text": ("内容", "评价", "留言", "text", "comment"),
    "product": ("产品", "型号", "商品", "product", "model", "sku"), "phone": ("手机", "电话", "phone", "mobile"),
    "email": ("邮箱", "email", "mail"), "nps": ("nps", "推荐"), "csat": ("csat", "满意"),
    "rating": ("星级", "评分", "rating", "stars"), "region": ("地区", "省", "region", "city"),
    "agent_id": ("坐席", "工号", "agent"), "department": ("部门", "department"),
    "partner": ("承运商", "服务商", "partner"),
    "session_id": ("会话", "session"), "case_id": ("工单", "case", "ticket"),
}


def keep_upload(ws: Workspace, filename: str, stream: BinaryIO, *, limit: int) -> str:
    """Store an upload under `WS/uploads/` (by content hash) and return its stored name."""
    ws.principal.require(Permission.ingest_write)
    return _store(ws, filename, _chunks(stream), limit).name


def upload_path(ws: Workspace, name: str) -> Path:
    """The stored upload `name` (no path outside `WS/uploads/`)."""
    folder = (ws.root / UPLOADS_DIR).resolve()
    path = (folder / Path(name).name).resolve()
    if path.parent != folder or not path.is_file():
        raise NotFound(f"no uploaded file {name!r}")
    return path


def guess_map(columns: list[str]) -> dict[str, str]:
    """A first mapping from column names (each column used once)."""
    out: dict[str, str] = {}
    for field in CANONICAL_FIELDS:
        hints = (field, *_HINTS.get(field, ()))
        for col in columns:
            if col not in out.values() and any(h.lower() in col.lower() for h in hints):
                out[field] = col
                break
    return out


def _plain(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str | bool) else str(value)


def preview_upload(ws: Workspace, name: str, options: dict[str, Any], *, rows: int = 10) -> dict[str, Any]:
    """`{"columns", "rows": first rows, "map", "rejects": [{row, reason}], "would_reject", "rows_read"}`."""
    ws.principal.require(Permission.ingest_write)
    path = upload_path(ws, name)
    profile = build_profile(ws, options)
    fmt = detect_format(path, profile.format if profile else None)
    read = read_export(path, fmt=fmt, encoding=profile.encoding if profile else "auto",
                       delimiter=profile.delimiter if profile else None, sheet=profile.sheet if profile else None)
    columns = [c for c in read.table.column_names if not c.startswith("__")]
    first = [{c: _plain(v) for c, v in r.items() if c in columns} for r in read.table.slice(0, rows).to_pylist()]
    out: dict[str, Any] = {"columns": columns, "rows": mask_rows(ws, first, texts=columns, what="upload preview"),
                           "rows_read": read.table.num_rows + len(read.bad_rows), "rejects": [], "would_reject": 0}
    rejects: list[dict[str, Any]] = [{"row": b.row, "reason": b.reason} for b in read.bad_rows]
    if profile is not None and profile.map:
        try:
            source, profile = resolve_profile(ws, options.get("source"), profile, path)
        except UsageError as exc:
            out["error"] = exc.message
            return out
        plan = _plan(ws, source, profile, fmt, read, str(path))
        with registered(ws.con, "src", read.table):
            staged = _stage(ws.con, plan, read.table)
        bad = staged.filter(pa.compute.is_valid(staged.column("problems")))
        for r in bad.select(["row_number", "problems"]).to_pylist():
            reason = "; ".join(str(p).replace("\x1f", ": ") for p in r["problems"])
            rejects.append({"row": r["row_number"], "reason": reason})
    out["rejects"] = sorted(rejects, key=lambda r: r["row"] or 0)[:200]
    out["would_reject"] = len(rejects)
    return out
