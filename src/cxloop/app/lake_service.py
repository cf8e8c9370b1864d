"""The commands that write or summarise a workspace's data, on whichever engine holds it.

`ingest`, `enrich`, `status` and `rejects` run on the embedded DuckDB file of a DuckDB workspace and on
the lake of a Spark lake workspace (`[engine] kind = "spark"`); the same counts come back from both. A
command's `--engine` must name the engine that holds the data (analytics commands are the ones that may
also read a DuckDB workspace on Spark, through an export: `app.engines`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cxloop.app.lake import is_lake, open_lake, warehouse_uri
from cxloop.app.workspace import Workspace
from cxloop.config import ENGINE_KINDS, SourceProfile
from cxloop.errors import UsageError

__all__ = ["check_engine", "enrich_any", "ingest_any", "lake_rejects", "lake_status", "rejects_any", "status_any"]


def check_engine(ws: Workspace, engine: str | None, what: str) -> str:
    """The engine a writing command runs on: the workspace's, which `--engine` may only confirm."""
    held = ws.settings.engine.kind
    if engine is None or engine == held:
        return held
    if engine not in ENGINE_KINDS:
        raise UsageError(f"--engine {engine!r}: use {' or '.join(ENGINE_KINDS)}", field="engine")
    where = "a Spark lake" if held == "spark" else "its DuckDB file"
    raise UsageError(f"{what} --engine {engine}: this workspace keeps its data in {where}; {what} runs on "
                     f"{held} here (a Spark lake workspace is made with 'cxloop init DIR --engine spark')",
                     field="engine")


def ingest_any(ws: Workspace, file: str, *, source: str | None = None, profile: SourceProfile | None = None,
               engine: str | None = None) -> dict[str, Any]:
    if check_engine(ws, engine, "ingest") == "spark":
        from cxloop.app.lake_ingest import ingest_lake

        return ingest_lake(ws, file, source=source, profile=profile)
    from cxloop.app.ingest_service import ingest

    return ingest(ws, Path(file), source=source, profile=profile)


def enrich_any(ws: Workspace, *, engine: str | None = None, **options: Any) -> dict[str, Any]:
    if check_engine(ws, engine, "enrich") == "spark":
        from cxloop.app.lake_enrich import enrich_lake

        return enrich_lake(ws, backend=options.get("backend", "auto"), batch_size=options.get("batch_size"))
    from cxloop.app import text_service

    return text_service.enrich(ws, **options)


def lake_status(ws: Workspace) -> dict[str, Any]:
    """The workspace's counts read off the lake's newest snapshot (channels need one Spark query)."""
    from pyspark.sql import functions as F

    lake = open_lake(ws)
    snap = lake.refresh()
    by_channel = {}
    if snap.rows("records"):
        rows = (lake.read("records").groupBy(F.coalesce("channel", F.lit("(none)")).alias("c")).count()
                .orderBy(F.desc("count"), "c").collect())
        by_channel = {r["c"]: int(r["count"]) for r in rows}
    return {"records": snap.rows("records"), "events": snap.rows("events"), "customers": snap.rows("customers"),
            "batches": snap.rows("ingest_batches"), "rejects": snap.rows("rejects"), "by_channel": by_channel,
            "engine": "spark", "warehouse": warehouse_uri(ws), "lake_version": snap.version}


def status_any(ws: Workspace) -> dict[str, Any]:
    return lake_status(ws) if is_lake(ws) else ws.status()


def lake_rejects(ws: Workspace, *, batch: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    """Rejects as `ingest_service.list_rejects` lists them, from the lake."""
    from pyspark.sql import functions as F

    lake = open_lake(ws)
    rejects = lake.read("rejects")
    if batch == "last":
        last = lake.read("ingest_batches").orderBy(F.desc("started_at"), F.desc("batch_id")).limit(1).collect()
        batch = last[0]["batch_id"] if last else ""
    if batch:
        rejects = rejects.filter(F.col("batch_id") == batch)
    rows = rejects.orderBy("batch_id", "file", "row").limit(limit).collect()
    return [{"batch_id": r["batch_id"], "file": r["file"], "row": r["row"], "field": r["field"], "reason": r["reason"],
             "raw": json.loads(r["raw"]) if r["raw"] else None} for r in rows]


def rejects_any(ws: Workspace, *, batch: str | None = None, limit: int = 1000) -> list[dict[str, Any]]:
    if is_lake(ws):
        return lake_rejects(ws, batch=batch, limit=limit)
    from cxloop.app.ingest_service import list_rejects

    return list_rejects(ws, batch=batch, limit=limit)
