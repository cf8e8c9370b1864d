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


def seed_topics(ws: Workspace, *, days: int = 90, planted_from: int = 80, seed: int = 1) -> None:
    """A workspace with 4 topics x 3 products of steady, weekly-seasonal volume and a planted defect:
    topic 'battery' x product 'P2' from day `planted_from` on, 12 negative detractor records a day."""
    ws.con.execute(f"SELECT setseed({seed / 100})").fetchall()
    ws.con.execute(
        f"""
        CREATE TEMP TABLE _gen AS
        WITH days AS (SELECT d FROM range({days}) t(d)),
        base AS (
            SELECT d, topic, product, i
            FROM days, (VALUES ('billing'), ('delivery'), ('app'), ('battery')) t(topic),
                 (VALUES ('P1'), ('P2'), ('P3')) p(product),
                 range(CASE WHEN dayofweek(DATE '2026-01-01' + d::INT) IN (0, 6) THEN 2 ELSE 4 END) r(i)
        ),
        planted AS (
            SELECT d, 'battery' AS topic, 'P2' AS product, 100 + i AS i
            FROM days, range(12) r(i) WHERE d >= {planted_from}
        ),
        u AS (SELECT *, 0 AS bad FROM base UNION ALL SELECT *, 1 AS bad FROM planted)
        SELECT row_number() OVER (ORDER BY d, topic, product, i) AS k, *,
               TIMESTAMP '2026-01-01 02:00:00' + to_days(d::INT) + to_hours((i % 10)::INT) AS ts
        FROM u
        """
    ).fetchall()
    ws.con.execute(
        """
        INSERT INTO records BY NAME
        SELECT 'r' || k AS record_id, 'test' AS source, CASE WHEN k % 2 = 0 THEN 'app' ELSE 'hotline' END AS channel,
               ts AS occurred_at, k AS seq, 'b1' AS batch_id, 'c' || (k % 500) AS customer_id, product,
               'text ' || topic AS text,
               CASE WHEN bad = 1 THEN 2 ELSE (k * 7) % 11 END AS nps, '{}' AS raw, 'h' || k AS row_hash,
               TIMESTAMP '2026-01-01' AS ingested_at, TIMESTAMP '2026-01-01' AS updated_at
        FROM _gen
        """
    ).fetchall()
    ws.con.execute(
        """
        INSERT INTO enrichments BY NAME
        SELECT 'r' || k AS record_id, 'h' AS row_hash, 'test' AS model_version, topic AS topic_id,
               CASE WHEN bad = 1 OR k % 5 = 0 THEN 'neg' ELSE 'pos' END AS sentiment,
               CASE WHEN bad = 1 THEN -0.9 WHEN k % 5 = 0 THEN -0.5 ELSE 0.6 END AS sentiment_score,
               'text ' || topic AS text_redacted, TIMESTAMP '2026-01-01' AS enriched_at
        FROM _gen
        """
    ).fetchall()
    ws.con.execute("DROP TABLE _gen").fetchall()
    add_taxonomy(
        ws,
        [{"topic_id": t, "owner_department": d} for t, d in
         [("billing", "finance"), ("delivery", "logistics"), ("app", "digital"), ("battery", "quality")]],
    )
