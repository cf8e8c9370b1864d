"""Metrics, drivers, pain points and emerging issues on a workspace: wires the pure builders of
`cxloop.metrics` to an engine (DuckDB on the workspace by default, PySpark over a Parquet export).

Every function returns a plain dict (the JSON the CLI prints), so the CLI, the API and the demo share it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pandas as pd

from cxloop.app import engines
from cxloop.app.access import mask_rows
from cxloop.app.engines import Engine
from cxloop.app.integrity_filter import (
    excluded_count,
    exclusion_active,
    exclusion_note,
    flagged_only,
    sources_for,
)
from cxloop.app.lake import require_local
from cxloop.app.metrics_emerging import label_issues, replay_start
from cxloop.app.metrics_facts import FACTS_TABLE, facts_current, refresh_topic_facts
from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.metrics import drivers as drv
from cxloop.metrics import emerging as em
from cxloop.metrics import painpoints as pp
from cxloop.metrics.builder import (
    anchor_expr,
    collect_raw,
    compare_rows,
    definition,
    finish_rows,
    selection,
    stats_expr,
    to_records,
)
from cxloop.metrics.query import (
    DIMENSIONS,
    ENRICHMENT_DIMENSIONS,
    RECORD_DIMENSIONS,
    MetricQuery,
    parse_query,
)
from cxloop.metrics.relations import Sources
from cxloop.metrics.timeframe import Window, local_date, resolve_window, to_utc

__all__ = [
    "TABLES",
    "compute_metric",
    "detect_emerging",
    "driver_analysis",
    "export_parquet",
    "metric_sources",
    "open_engine",
    "rank_painpoints",
    "refresh_topic_facts",
]

TABLES = ("records", "events", "enrichments", "taxonomy")


def open_engine(ws: Workspace, engine: str | Engine | None = None) -> Engine:
    """DuckDB on the workspace, or Spark over a current Parquet export of the metrics tables (`app.engines`)."""
    return engines.open_engine(ws, engine, TABLES)


def metric_sources(ws: Workspace, eng: Engine, *, topic_facts: bool = False) -> Sources:
    """The engine's tables; with `topic_facts`, DuckDB's time-ordered copy of the records with a topic
    when it is current (see `metrics_facts`), else the join is left to the queries."""
    facts = eng.table(FACTS_TABLE) if topic_facts and eng.name == "duckdb" and facts_current(ws) else None
    return Sources(
        records=eng.table("records"),
        events=eng.table("events"),
        enrichments=eng.table("enrichments"),
        taxonomy=eng.table("taxonomy"),
        has_enrichments=eng.has_rows("enrichments"),
        topic_facts=facts,
    )


def _frame(eng: Engine, expr: ir.Table) -> pd.DataFrame:
    return eng.to_arrow(expr).to_pandas()


def _anchor(eng: Engine, sel: ir.Table) -> datetime | None:
    value = _frame(eng, sel.aggregate(anchor=anchor_expr(sel)))["anchor"].iloc[0]
    return None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _stats(eng: Engine, sel: ir.Table, q: MetricQuery, window: Window, tz: str) -> pd.DataFrame:
    frame = _frame(eng, stats_expr(sel, q, window, tz))
    if definition(q).raw_values:
        frame = collect_raw(frame, list(q.by))
    for key in q.by:  # dates come back as datetime64 from some engines
        if key in frame and pd.api.types.is_datetime64_any_dtype(frame[key]):
            frame[key] = frame[key].dt.date
    return frame


def _notes(ws: Workspace, q: MetricQuery, src: Sources) -> list[str]:
    notes = [f"unit: {definition(q).unit}", f"times in {ws.settings.timezone}"]
    if not src.has_enrichments:
        if q.metric in ("repeat_contact", "fcr"):
            notes.append("no enrichments: repeat contacts matched on customer only (any topic)")
        if q.metric == "3e":
            notes.append("no enrichments: the emotion component is missing; index of effectiveness and ease")
        if set(q.by) & set(ENRICHMENT_DIMENSIONS):
            notes.append("no enrichments: topic/sentiment/emotion dimensions are empty")
    elif q.metric in ("repeat_contact", "fcr"):
        notes.append(f"repeat contact: same customer and topic within {q.repeat_days} days")
    return notes


def _window_dict(w: Window) -> dict[str, str | None]:
    return {"start": w.start.isoformat() if w.start else None, "end": w.end.isoformat() if w.end else None}


def compute_metric(
    ws: Workspace, query: MetricQuery | dict[str, Any], *, engine: str | Engine | None = None,
    exclude_flagged: bool | None = None,
) -> dict[str, Any]:
    """`{"metric", "rows": [{dims..., value, n, ci_low, ci_high, low_n, ...}], "window", "notes"}`.

    `query` is a `MetricQuery` or the keyword arguments of `parse_query` (e.g. `{"metric": "nps",
    "by": "month,channel", "since": "90d"}`).
    """
    q = query if isinstance(query, MetricQuery) else parse_query(**query)
    eng = open_engine(ws, engine)
    src, flagged, active = _excluding(ws, eng, metric_sources(ws, eng), exclude_flagged)
    tz = ws.settings.timezone
    defn = definition(q)
    sel = selection(src, q)
    anchor = _anchor(eng, sel) if q.asof is None and (q.since is not None or q.compare) else None
    window = resolve_window(q, anchor, tz)
    keys = list(q.by)
    frame = finish_rows(defn, _stats(eng, sel, q, window, tz), keys, ws.settings.min_n)
    if q.compare:
        # with a grain each period is compared with the period before it, looked up over the window
        # extended back by its own length; without, the whole window with the previous window
        if window.start is None:
            prev = frame if q.grain else frame.iloc[0:0]
        else:
            before = window.previous()
            span = Window(before.start, window.end) if q.grain else before
            prev = finish_rows(defn, _stats(eng, sel, q, span, tz), keys, ws.settings.min_n)
        frame = compare_rows(defn, frame, prev, keys, q.grain)
    excluded = excluded_count(eng, selection(flagged, q), window) if flagged is not None else 0
    return {
        "metric": q.metric,
        "engine": eng.name,
        "by": keys,
        "window": _window_dict(window),
        "rows": to_records(frame, keys, defn),
        "notes": _notes(ws, q, src) + _exclusion_notes(active, excluded),
        **exclusion_note(active, excluded),
    }


def _excluding(ws: Workspace, eng: Engine, src: Sources, exclude_flagged: bool | None
               ) -> tuple[Sources, Sources | None, bool]:
    """The sources without the integrity-flagged records when the exclusion is on (`integrity_filter`),
    the flagged records alone (to count what was left out), and whether it is on."""
    active = exclusion_active(ws, exclude_flagged)
    if not active:
        return src, None, False
    return sources_for(ws, eng, src, True), flagged_only(ws, eng, src), True


def _exclusion_notes(active: bool, excluded: int) -> list[str]:
    return [f"--exclude-flagged: {excluded} responses flagged by integrity checks left out"] if active else []


def export_parquet(ws: Workspace, folder: Path | None = None) -> dict[str, Any]:
    """Export the analytical tables to Parquet (partitioned by month and source); reuse a current one."""
    from cxloop.engines.spark_engine import export_parquet as _export

    require_local(ws, "export parquet (the lake's tables are Parquet already; see docs/spark.md, 'Lake layout')")
    target = folder or ws.root / "exports" / "parquet"
    return _export(ws.con, target, TABLES)


# -- pain points, drivers, emerging issues ---------------------------------------------------------
def _window_for(ws: Workspace, eng: Engine, sel: ir.Table, since: str | None, asof: str | None) -> Window:
    q = parse_query("nps", since=since, asof=asof)
    anchor = _anchor(eng, sel) if q.asof is None else None
    return resolve_window(q, anchor, ws.settings.timezone)


def rank_painpoints(
    ws: Workspace,
    *,
    since: str | None = "30d",
    asof: str | None = None,
    where: list[str] | None = None,
    topic: str | None = None,
    product: str | None = None,
    verbatims: int = 0,
    detractor_verbatims: bool = False,
    level: str = "topic",
    limit: int = 20,
    engine: str | Engine | None = None,
    topic_facts: bool = True,
    exclude_flagged: bool | None = None,
) -> dict[str, Any]:
    """`{"painpoints": [{topic, product, volume, customers, negative_share, trend, trend_p, driver_impact,
    owner_department, first_seen, score, ...}], "window", "notes"}`; with `verbatims`, the texts too.
    `detractor_verbatims` keeps the verbatims of NPS detractors (what the score counts). `level="parent"`
    ranks topic families (children rolled up to their taxonomy parent; drill down with level "topic").
    `topic_facts=False` runs the join even when the time-ordered copy is current (for comparisons)."""
    eng = open_engine(ws, engine)
    src, flagged, active = _excluding(ws, eng, metric_sources(ws, eng, topic_facts=topic_facts), exclude_flagged)
    if level not in ("topic", "parent"):
        raise UsageError(f"--level {level!r}: use topic or parent")
    filters = parse_query("nps", where=where).filters()
    family = filters.pop("topic_id", None) if level == "parent" else None
    if topic is not None and level == "topic":
        filters["topic_id"] = (topic,)
    family = (topic,) if topic is not None and level == "parent" else family
    if product is not None:
        filters["product"] = (product,)
    window = _window_for(ws, eng, _records_for_anchor(src, filters), since, asof)
    notes = ["score = NPS points at stake (excess detractors over the selection's detractor share, Wilson "
             "lower bound) * (1 + significant growth); ties by voice = customers * negative_share; "
             "see docs/metrics.md"]
    if not src.has_enrichments:
        notes.append("no enrichments: pain points need topics (run the text pipeline first)")
        return {"painpoints": [], "window": _window_dict(window), "notes": notes}
    horizon = ws.settings.metrics.first_seen_days
    t = pp.topic_relation(src, filters, pp.painpoint_span(window, horizon))
    if level == "parent":
        t = pp.roll_up_topics(t, src.taxonomy, family)
    frame = _frame(eng, pp.painpoint_expr(src, t, window, horizon))
    base = _frame(eng, pp.baseline_expr(src, filters, window)).iloc[0]
    baseline = pp.Baseline(respondents=_count(base["respondents"]), detractors=_count(base["detractors"]))
    ranked = pp.score_painpoints(frame, baseline, ws.settings.min_n) if len(frame) else frame
    excluded = excluded_count(eng, _records_for_anchor(flagged, filters), window) if flagged is not None else 0
    notes += _exclusion_notes(active, excluded)
    out: dict[str, Any] = {
        **exclusion_note(active, excluded),
        "painpoints": pp.painpoint_rows(ranked, limit) if len(frame) else [],
        "window": _window_dict(window),
        "baseline": {"respondents": baseline.respondents, "detractors": baseline.detractors,
                     "detractor_share": baseline.detractor_share},
        "notes": notes,
    }
    if verbatims > 0:
        topics: str | tuple[str, ...] | None = topic
        if topic is not None and level == "parent":  # the family: the parent and its children
            tax = _frame(eng, src.taxonomy.select("topic_id", "parent_id"))
            topics = (topic, *tax.loc[tax["parent_id"] == topic, "topic_id"])
        texts = eng.to_arrow(pp.verbatims_expr(src, window, topics, product, verbatims,
                                               detractors=detractor_verbatims)).to_pylist()  # nulls stay None
        out["verbatims"] = mask_rows(ws, [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in texts
        ], texts=("text",), what="verbatims")
    return out


def _count(value: Any) -> int:
    """A count from an aggregate row (the sum over no rows is null)."""
    return 0 if pd.isna(value) else int(value)


def driver_analysis(
    ws: Workspace,
    *,
    target: str = "nps",
    features: str | list[str] = "topic",
    where: list[str] | None = None,
    since: str | None = None,
    asof: str | None = None,
    engine: str | Engine | None = None,
    exclude_flagged: bool | None = None,
) -> dict[str, Any]:
    """`{"target", "n", "value", "drivers": [{feature, level, name, importance (+CI), effect (+CI),
    uplift (+CI), n, low_n}], "r2": {feature: eta^2}, "notes"}`."""
    if target not in ("nps", "csat"):
        raise UsageError(f"--target {target!r}: use nps or csat")
    names = [f.strip() for f in (features.split(",") if isinstance(features, str) else features) if f.strip()]
    bad = [f for f in names if f != "topic" and f not in DIMENSIONS]
    if bad:
        raise UsageError(f"--features {bad}: use topic or a dimension ({', '.join(DIMENSIONS)})")
    eng = open_engine(ws, engine)
    src, flagged, active = _excluding(ws, eng, metric_sources(ws, eng), exclude_flagged)
    base = selection(src, parse_query(target, where=where, by=",".join(["topic_id"])))
    window = _window_for(ws, eng, base, since, asof)
    preds = _window_preds(base, window)
    t = base.filter(*preds) if preds else base
    topic_names = _topic_names(eng, src)
    rows: list[dict[str, Any]] = []
    r2: dict[str, float] = {}
    n_total, value = 0, None
    for feature in names:
        counts = _frame(eng, drv.driver_counts_expr(t, feature, target))
        found = drv.analyse_drivers(counts, target, ws.settings.min_n)
        r2[feature] = sum(r["importance"] for r in found)
        for r in found:
            name = topic_names.get(r["level"]) if feature == "topic" else None
            rows.append({"feature": feature, "level": r["level"], "name": name, **r})
        if len(counts):
            n_total = int(counts["count"].sum())
            value = float((counts["y"] * counts["count"]).sum() / n_total)
    notes = ["importance: % of target variance (one-way ANOVA parts); uplift: points if the level's "
             "detractors became passives" if target == "nps" else "uplift: points if dissatisfied became satisfied"]
    if not src.has_enrichments and "topic" in names:
        notes.append("no enrichments: every response is in topic '(none)'")
    rows.sort(key=lambda r: (r["low_n"], -r["importance"]))
    excluded = 0
    if flagged is not None:
        excluded = excluded_count(eng, selection(flagged, parse_query(target, where=where, by="topic_id")), window)
    return {"target": target, "n": n_total, "value": value, "window": _window_dict(window),
            "drivers": rows, "r2": r2, "notes": notes + _exclusion_notes(active, excluded),
            **exclusion_note(active, excluded)}


def _records_for_anchor(src: Sources, filters: dict[str, tuple[str, ...]]) -> ir.Table:
    """The records a window is anchored on: the latest record matching the record-level filters (the
    anchor of topic-based analyses, without joining the enrichments just to find a date)."""
    r = src.records
    preds = [r[f].isin(list(v)) for f, v in filters.items() if f in RECORD_DIMENSIONS]
    return r.filter(*preds) if preds else r


def _window_preds(t: ir.Table, w: Window) -> list[ir.BooleanValue]:
    preds = [t.occurred_at >= w.start] if w.start is not None else []
    if w.end is not None:
        preds.append(t.occurred_at < w.end)
    return preds


def _topic_names(eng: Engine, src: Sources) -> dict[str, str]:
    tax = _frame(eng, src.taxonomy.select("topic_id", "name_en"))
    return dict(zip(tax["topic_id"], tax["name_en"], strict=True))


def detect_emerging(
    ws: Workspace,
    *,
    asof: str | date | None = None,
    since: str | None = None,
    window_days: int = 7,
    baseline_days: int = 56,
    alpha: float = 0.01,
    min_count: int = 5,
    scan_days: int = 14,
    engine: str | Engine | None = None,
) -> dict[str, Any]:
    """`{"asof", "issues": [{kind, series, topic, cluster_id, product, label, observed, expected, ratio,
    p_value, first_detected, first_seen, first_seen_week, owner_department}], "series", "notes"}`:
    topic, discovered-cluster and uncovered-text volumes per product above their seasonal baseline.

    Without `since`, the issues flagged at `asof`; with `since` (a date, `30d`, or `all` = from the
    first day with a full baseline), every alert a daily run over that span would have raised."""
    opt = em.EmergingOptions(window_days=window_days, baseline_days=baseline_days, alpha=alpha,
                             min_count=min_count, scan_days=scan_days)
    eng = open_engine(ws, engine)
    src = metric_sources(ws, eng, topic_facts=True)
    tz = ws.settings.timezone
    day = parse_query("nps", asof=asof).asof
    if day is None:
        anchor = _anchor(eng, _records_for_anchor(src, {}))
        if anchor is None:
            return {"asof": None, "issues": [], "series": 0, "notes": ["no records"]}
        day = local_date(anchor, tz)
    start = replay_start(ws, _first_day(eng, src), since, day, opt) if since is not None else None
    first = (start or day) - timedelta(days=window_days + baseline_days + (0 if start else scan_days))
    span = Window(to_utc(first, tz), to_utc(day + timedelta(days=1), tz))
    t = em.series_relation(src, pp.topic_relation(src, {}, span), span)
    frame = _frame(eng, em.daily_counts_expr(t, tz))
    issues = em.replay(frame, start, day, opt) if start is not None else em.detect(frame, day, opt)
    label_issues(ws, _frame(eng, src.taxonomy.select("topic_id", "owner_department", "name_en")), issues)
    how = (f"every day from {start.isoformat()} to {day.isoformat()}" if start is not None
           else f"window {window_days} days to {day.isoformat()}")
    notes = [f"{how} vs {baseline_days} baseline days; Poisson test against an EWMA level with weekday "
             "factors and exact conditional test against the baseline count; Bonferroni over series; "
             "series = topic, discovered cluster or uncovered text x product"]
    if not src.has_enrichments:
        notes.append("no enrichments: emerging issues need enriched texts (run the text pipeline first)")
    if src.has_enrichments and not _has_clusters(eng, src):
        notes.append("no discovered clusters: uncovered texts are one series per product "
                     "(run 'cxloop topics suggest' to split them)")
    return {"asof": day.isoformat(), "since": start.isoformat() if start else None, "issues": issues,
            "series": em.scan(frame), "notes": notes}


def _has_clusters(eng: Engine, src: Sources) -> bool:
    """Whether any enrichment carries a discovered cluster."""
    e = src.enrichments
    return eng.to_arrow(e.filter(e.cluster_id.notnull()).select("cluster_id").limit(1)).num_rows > 0


def _first_day(eng: Engine, src: Sources) -> datetime | None:
    """The earliest `occurred_at` of the records (None without records)."""
    lo = _frame(eng, src.records.aggregate(first=src.records.occurred_at.min()))["first"].iloc[0]
    return None if pd.isna(lo) else pd.Timestamp(lo).to_pydatetime()
