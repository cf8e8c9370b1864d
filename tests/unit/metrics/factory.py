"""Build small workspaces for metric tests by inserting rows directly (columns of 0001/0002 migrations)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from cxloop.app import Workspace

_NOW = datetime(2026, 1, 1)


def make_ws(root: Path) -> Workspace:
    return Workspace.init(root)


def _fill(rows: list[dict[str, Any]], id_col: str, prefix: str) -> pd.DataFrame:
    out = []
    for i, row in enumerate(rows):
        r = {"source": "test", "seq": i, "batch_id": "b1", "ingested_at": _NOW, "updated_at": _NOW, **row}
        r.setdefault(id_col, f"{prefix}{i:06d}")
        r.setdefault("raw", json.dumps({k: str(v) for k, v in row.items()}))
        r.setdefault("row_hash", hashlib.sha1(r["raw"].encode()).hexdigest())
        out.append(r)
    return pd.DataFrame(out)


def _insert(ws: Workspace, table: str, frame: pd.DataFrame) -> None:
    ws.con.register("_rows", frame)
    try:
        ws.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows").fetchall()
    finally:
        ws.con.unregister("_rows")


def add_records(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    _insert(ws, "records", _fill(rows, "record_id", "r"))


def add_events(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    _insert(ws, "events", _fill(rows, "event_id", "e"))


def add_enrichments(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(
        [{"row_hash": "x", "model_version": "test", "enriched_at": _NOW, **r} for r in rows]
    )
    _insert(ws, "enrichments", frame)


def add_taxonomy(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame([{"name_zh": r["topic_id"], "name_en": r["topic_id"], **r} for r in rows])
    _insert(ws, "taxonomy", frame)
