"""Journeys on a workspace: wire the journeys domain (Ibis expressions) to the DuckDB engine.

Every function takes an open `Workspace` and returns a JSON-ready dict (the CLI prints it as is).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from cxloop.app.access import mask_rows
from cxloop.app.engines import Engine, open_engine
from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.journeys import episodes as episodes_domain
from cxloop.journeys import flows as flows_domain
from cxloop.journeys import ivr as ivr_domain
from cxloop.journeys import journey_map as map_domain
from cxloop.journeys import sequences as seq_arrays
from cxloop.journeys.config import JourneyConfig, load_journey_config
from cxloop.journeys.steps import (
    FlowDimension,
    SequenceGrain,
    attribute_text,
    build_steps,
    stage_expr,
    tie_key,
)
from cxloop.journeys.timeline import TIMELINE_ITEM_KEYS, timeline_items

__all__ = [
    "JOURNEY_TABLES",
    "SequenceLog",
    "channel_switching",
    "episodes",
    "flows",
    "flows_from",
    "ivr_paths",
    "journey_config",
    "journey_map",
    "sequence_log",
    "timeline",
    "variants",
    "variants_from",
    "worst_journeys",
]


JOURNEY_TABLES = ("records", "events", "enrichments", "ingest_batches")  # what `--engine spark` exports


def journey_config(ws: Workspace) -> JourneyConfig:
    return load_journey_config(ws.settings.journeys)


class _Context:
    """The engine, the config and the workspace tables a journeys query reads."""

    def __init__(self, ws: Workspace, engine: str | Engine | None = None) -> None:
        self.ws = ws
        self.engine = open_engine(ws, engine, JOURNEY_TABLES)
        self.config = journey_config(ws)
        self.native_json = self.engine.name == "duckdb"
        # On one machine the engine sorts and numpy finishes flows/variants (sequences.py); the pure
        # Ibis expressions (flows.directly_follows / flows.variants) are the scale-out (Spark) form.
        self.arrays = self.engine.name == "duckdb"

    def table(self, name: str) -> ir.Table:
        return self.engine.table(name)

    def steps(self, by: FlowDimension, lifecycle: str | None) -> ir.Table:
        # The arrays path ranks batches itself (`batch_ranks`, `tie_key`): no join, so the scan keeps
        # source order.
        steps = build_steps(
            self.table("events"),
            self.table("records"),
            None if self.arrays else self.table("ingest_batches"),
            event_typed_records_only=by is FlowDimension.event_type,
        )
        steps = steps.mutate(stage=stage_expr(steps, self.config.stage_map))
        if lifecycle:
            wanted = lifecycle.strip().lower()
            transition = attribute_text(
                steps.attributes, "lifecycle:transition", native=self.native_json, empty_as_null=not wanted
            )
            # Case-insensitive; the exact match first spares lower() (costly on 10M rows) on most rows.
            steps = steps.filter((transition == wanted) | (transition.lower() == wanted))
        return steps

    def has_sessions(self) -> bool:
        """Whether any event or record has a session (probing the base tables stops at the first hit)."""
        for name in ("events", "records"):
            t = self.table(name)
            if self.engine.to_arrow(t.filter(t.session_id.notnull()).select("session_id").limit(1)).num_rows:
                return True
        return False

    def labelled(
        self, by: FlowDimension, per: SequenceGrain | None, lifecycle: str | None
    ) -> tuple[ir.Table, SequenceGrain]:
        steps = self.steps(by, lifecycle)
        if per is None:
            per = SequenceGrain.session if self.has_sessions() else SequenceGrain.customer
        if per is SequenceGrain.episode:
            membership = episodes_domain.step_episodes(steps, self.episode_table())
            return flows_domain.label_steps(membership, membership[by.value], membership.episode_id), per
        key = steps.session_id if per is SequenceGrain.session else steps.customer_id
        return flows_domain.label_steps(steps, steps[by.value], key), per

    def has_enrichments(self) -> bool:
        return self.engine.has_rows("enrichments")

    def notes(self) -> list[str]:
        if self.has_enrichments():
            return []
        return ["no enrichments yet (run text enrichment): topics, sentiment and pain points are empty; "
                "episodes group all of a customer's contacts as topic '(any)'"]

    def episode_table(self) -> ir.Table:
        enrichments = self.table("enrichments") if self.has_enrichments() else None
        contacts = episodes_domain.contacts(
            self.table("records"), enrichments, self.table("ingest_batches"), self.config
        )
        return episodes_domain.episodes(contacts, self.table("events"), self.config)

    def rows(self, expr: ir.Expr) -> list[dict[str, Any]]:
        return self.engine.to_arrow(expr).to_pylist()

    def sorted_arrays(self, labelled: ir.Table) -> tuple[seq_arrays.SortedSteps, dict[int, str]]:
        """The engine scans the labelled steps (no sort, no join); numpy codes and sorts them (sequences.py)."""
        b = self.table("ingest_batches")
        started = {r["batch_id"]: r["started_at"] for r in self.rows(b.select("batch_id", "started_at"))}
        ranks = seq_arrays.batch_ranks(list(started), started)
        scanned = self.engine.to_arrow(
            labelled.select("seq_key", "label", "occurred_at", tie=tie_key(labelled, ranks))
        )
        arrays, labels = seq_arrays.sort_steps(scanned)
        return arrays, dict(enumerate(labels))


def _dimension(by: str) -> FlowDimension:
    try:
        return FlowDimension(by)
    except ValueError:
        valid = ", ".join(d.value for d in FlowDimension)
        raise UsageError(f"unknown flow dimension {by!r}; use one of: {valid}", field="by") from None


def _grain(per: str | None) -> SequenceGrain | None:
    if per is None:
        return None
    try:
        return SequenceGrain(per)
    except ValueError:
        valid = ", ".join(g.value for g in SequenceGrain)
        raise UsageError(f"unknown sequence grain {per!r}; use one of: {valid}", field="per") from None


@dataclass(frozen=True)
class SequenceLog:
    """Labelled steps scanned and sorted once (DuckDB path): feed `flows_from` and `variants_from`.

    Like a process-mining log loaded in memory: one scan of the workspace serves the directly-follows
    graph and the variants (`flows` and `variants` build one each when not given one).
    """

    arrays: seq_arrays.SortedSteps
    names: dict[int, str]
    by: str
    per: str
    lifecycle: str | None


def sequence_log(
    ws: Workspace, *, by: str = "event_type", per: str | None = None, lifecycle: str | None = None
) -> SequenceLog:
    """Scan the labelled steps once and sort them into sequences (numpy; DuckDB engine only)."""
    return _sequence_log(_Context(ws), by, per, lifecycle)


def _sequence_log(ctx: _Context, by: str, per: str | None, lifecycle: str | None) -> SequenceLog:
    labelled, grain = ctx.labelled(_dimension(by), _grain(per), lifecycle)
    arrays, names = ctx.sorted_arrays(labelled)
    return SequenceLog(arrays, names, by, grain.value, lifecycle)


def flows_from(log: SequenceLog) -> dict[str, Any]:
    """The directly-follows graph of a `SequenceLog` (same shape as `flows`)."""
    found = seq_arrays.directly_follows_arrays(log.arrays, max(log.names, default=0) + 1)
    edges: list[dict[str, Any]] = [
        {"from": log.names[a], "to": log.names[b], "count": n, "median_seconds": m} for a, b, n, m in found
    ]
    edges.sort(key=lambda e: (-int(e["count"]), str(e["from"]), str(e["to"])))
    return {"edges": edges, "by": log.by, "per": log.per, "lifecycle": log.lifecycle}


def variants_from(log: SequenceLog, *, top: int = 20) -> dict[str, Any]:
    """The top variants of a `SequenceLog` (same shape as `variants`)."""
    _check_top(top)
    found, distinct = seq_arrays.top_variants_arrays(log.arrays, max(log.names, default=0) + 1, top)
    total = len(log.arrays.starts)
    rows: list[dict[str, Any]] = [{"path": path, "count": n} for path, n in found]
    return _variants_out(rows, log.names, total, distinct, log.by, log.per, log.lifecycle)


def _check_top(top: int) -> None:
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}", field="top")


def _variants_out(
    rows: list[dict[str, Any]], names: dict[int, str], total: int, distinct: int,
    by: str, per: str, lifecycle: str | None,
) -> dict[str, Any]:
    out = [
        {"path": [names[c] for c in r["path"]], "count": r["count"],
         "share": round(100.0 * r["count"] / total, 4)}
        for r in rows
    ]
    return {"variants": out, "sequences": total, "distinct_variants": distinct,
            "by": by, "per": per, "lifecycle": lifecycle}


def flows(
    ws: Workspace, *, by: str = "event_type", per: str | None = None, lifecycle: str | None = None,
    engine: str | Engine | None = None,
) -> dict[str, Any]:
    """The directly-follows graph: `{"edges": [{"from", "to", "count", "median_seconds"}], ...}`.

    On DuckDB the engine scans and numpy sorts (`sequences`); on Spark the portable Ibis expressions
    (`flows.directly_follows`) run on the cluster and give the same edges."""
    ctx = _Context(ws, engine)
    if ctx.arrays:
        return flows_from(_sequence_log(ctx, by, per, lifecycle))
    labelled, grain = ctx.labelled(_dimension(by), _grain(per), lifecycle)
    edges = ctx.rows(flows_domain.directly_follows(labelled))
    return {"edges": edges, "by": by, "per": grain.value, "lifecycle": lifecycle}


def variants(
    ws: Workspace,
    *,
    by: str = "event_type",
    per: str | None = None,
    lifecycle: str | None = None,
    top: int = 20,
    engine: str | Engine | None = None,
) -> dict[str, Any]:
    """Top variants: `{"variants": [{"path", "count", "share"}], "sequences", ...}`, share in %."""
    _check_top(top)
    ctx = _Context(ws, engine)
    if ctx.arrays:
        return variants_from(_sequence_log(ctx, by, per, lifecycle), top=top)
    labelled, grain = ctx.labelled(_dimension(by), _grain(per), lifecycle)
    codes = flows_domain.label_codes(labelled)  # one row per distinct label
    names = {r["code"]: r["label"] for r in ctx.rows(codes)}
    rows = ctx.rows(flows_domain.variants(labelled, codes).limit(top))
    total = int(rows[0]["sequences"]) if rows else 0
    distinct = int(rows[0]["distinct_variants"]) if rows else 0
    return _variants_out(rows, names, total, distinct, by, grain.value, lifecycle)


def episodes(ws: Workspace, *, limit: int = 50, engine: str | Engine | None = None) -> dict[str, Any]:
    """Service episodes with their health, worst first, and health rolled up by stage, product, channel."""
    ctx = _Context(ws, engine)
    table = ctx.episode_table()
    listed = ctx.rows(table.order_by([ibis.asc("health"), ibis.desc("contacts"), "episode_id"]).limit(limit))
    rollups = {
        dim: ctx.rows(episodes_domain.health_rollup(table, dim)) for dim in ("stage", "product", "channel")
    }
    totals = ctx.rows(table.aggregate(count=table.count(), mean_health=table.health.mean()))[0]
    return {"episodes": listed, "health_by": rollups, **episodes_domain.summary(totals), "notes": ctx.notes()}


def channel_switching(ws: Workspace, *, engine: str | Engine | None = None) -> dict[str, Any]:
    """Channel -> next channel of each customer's consecutive service contacts (records, not surveys)."""
    ctx = _Context(ws, engine)
    contacts = episodes_domain.contacts(ctx.table("records"), None, ctx.table("ingest_batches"), ctx.config)
    edges = ctx.rows(flows_domain.channel_switching(contacts))
    total = sum(e["count"] for e in edges)
    switches = sum(e["count"] for e in edges if e["from"] != e["to"])
    channels = sorted({e["from"] for e in edges} | {e["to"] for e in edges})
    return {
        "channels": channels,
        "matrix": [{"from": e["from"], "to": e["to"], "count": e["count"]} for e in edges],
        "transitions": total,
        "switches": switches,
        "switch_pct": round(100.0 * switches / total, 2) if total else None,
    }


def ivr_paths(ws: Workspace, *, top: int = 10, engine: str | Engine | None = None) -> dict[str, Any]:
    """IVR nodes ranked by lost rate (nodes with enough visits first) and the most frequent node paths."""
    ctx = _Context(ws, engine)
    steps = build_steps(ctx.table("events"), None, ctx.table("ingest_batches"))
    calls, nodes = ivr_domain.ivr_calls(steps, native_json=ctx.native_json)
    stats = ctx.rows(ivr_domain.node_stats(calls, nodes))
    min_n = ctx.config.ivr_min_visits
    for row in stats:
        row["low_n"] = row["visits"] < min_n
        lo, hi = ivr_domain.wilson_interval(row["lost"], row["visits"])
        row["lost_rate_ci"] = [lo, hi]
    stats.sort(key=lambda r: (r["low_n"], -(r["lost_rate"] or 0.0), -r["lost"], r["node"]))
    totals = ctx.rows(calls.aggregate(calls=calls.count(), lost=(calls.outcome == "lost").sum()))[0]
    n_calls, lost = int(totals["calls"] or 0), int(totals["lost"] or 0)
    paths = ctx.rows(ivr_domain.path_stats(calls, nodes).limit(top))
    return {
        "calls": n_calls,
        "lost": lost,
        "lost_rate": round(100.0 * lost / n_calls, 2) if n_calls else None,
        "nodes": stats,
        "paths": paths,
        "min_visits": min_n,
    }


def journey_map(ws: Workspace, *, engine: str | Engine | None = None) -> dict[str, Any]:
    """Stage x touchpoint cells: volume, records, NPS, CSAT, sentiment, negative %, top pain points."""
    ctx = _Context(ws, engine)
    cfg = ctx.config
    steps = build_steps(ctx.table("events"), ctx.table("records"), None, event_typed_records_only=False)
    volume = ctx.rows(map_domain.step_volume(map_domain.cell_keys(steps, cfg.stage_map)))
    records = map_domain.cell_keys(ctx.table("records"), cfg.stage_map)
    enrichments = ctx.table("enrichments") if ctx.has_enrichments() else None
    scores = {(r["stage"], r["touchpoint"]): r for r in ctx.rows(map_domain.record_scores(records, enrichments))}
    pains: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if enrichments is not None:
        for p in ctx.rows(map_domain.pain_points(records, enrichments, ctx.table("taxonomy"))):
            pains.setdefault((p["stage"], p["touchpoint"]), []).append(
                {"topic_id": p["topic_id"], "name_en": p["name_en"], "name_zh": p["name_zh"], "count": p["count"]}
            )
    order = {s: i for i, s in enumerate(cfg.stages)}
    empty = dict.fromkeys(("nps", "nps_n", "csat", "csat_n", "sentiment", "sentiment_n", "negative_pct"))
    cells = []
    for v in volume:
        key = (v["stage"], v["touchpoint"])
        score = {k: val for k, val in scores.get(key, {}).items() if k not in ("stage", "touchpoint")}
        cells.append({**v, "records": 0, **empty, **score, "pain_points": pains.get(key, [])})
    cells.sort(key=lambda c: (order.get(c["stage"], len(order)), c["stage"], -c["volume"], c["touchpoint"]))
    stages = sorted({c["stage"] for c in cells}, key=lambda s: (order.get(s, len(order)), s))
    touchpoints = sorted({c["touchpoint"] for c in cells})
    return {"stages": stages, "touchpoints": touchpoints, "cells": cells, "notes": ctx.notes()}


def _customer_id(ws: Workspace, identifier: str) -> str:
    from cxloop.app.customers_service import visible_customer_id

    return visible_customer_id(ws, identifier)


def _timeline_rows(ctx: _Context, customer_ids: list[str]) -> list[dict[str, Any]]:
    enrichments = ctx.table("enrichments") if ctx.has_enrichments() else None
    expr = timeline_items(ctx.table("records"), ctx.table("events"), enrichments, ctx.table("ingest_batches"),
                          customer_ids, ctx.config.stage_map)
    return ctx.rows(expr)


def timeline(ws: Workspace, identifier: str) -> dict[str, Any]:
    """`{"customer_id", "items": [{"at","channel","kind","event_type","stage","text","topic","sentiment"}]}`."""
    ctx = _Context(ws)
    customer_id = _customer_id(ws, identifier)
    rows = _timeline_rows(ctx, [customer_id])
    items = mask_rows(ws, [{k: r[k] for k in TIMELINE_ITEM_KEYS} for r in rows], texts=("text",),
                      what=f"timeline {customer_id}")
    return {"customer_id": customer_id, "items": items}


def worst_journeys(ws: Workspace, *, top: int = 10) -> dict[str, Any]:
    """The least healthy episodes, each with the customer's full timeline over the episode's span."""
    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}", field="top")
    ctx = _Context(ws)
    table = ctx.episode_table()
    worst = ctx.rows(table.order_by([ibis.asc("health"), ibis.desc("contacts"), "episode_id"]).limit(top))
    items = _timeline_rows(ctx, sorted({w["customer_id"] for w in worst})) if worst else []
    items = mask_rows(ws, items, texts=("text",), what="worst journeys")
    for w in worst:
        w["timeline"] = [
            {k: r[k] for k in TIMELINE_ITEM_KEYS}
            for r in items
            if r["customer_id"] == w["customer_id"] and w["started_at"] <= r["at"] <= w["ended_at"]
        ]
    return {"journeys": worst, "notes": ctx.notes()}
