"""What `cxloop demo` shows after ingest: enrichment, NPS trend, pain points, drivers, emerging issues,
discovered topics, IVR paths and the worst journeys — each a `SummarySection` over the open workspace.

Every section calls the same app function as its CLI command, trimmed to the top rows so the summary fits a
terminal; the full lists are one command away (the demo prints the commands).
"""

from __future__ import annotations

from typing import Any

from cxloop.app import journeys_service as journeys
from cxloop.app import metrics_service as metrics
from cxloop.app.text_catalog_service import suggest_topics
from cxloop.app.text_service import enrich
from cxloop.app.workspace import Workspace

__all__ = ["ANALYSIS_SECTIONS"]


def _enrich(ws: Workspace) -> dict[str, Any]:
    out = enrich(ws, jobs=2)
    return {k: out[k] for k in ("enriched", "docs_per_s", "model_version") if k in out}


def _sentiment_mix(ws: Workspace) -> dict[str, Any]:
    rows = ws.con.execute(
        "SELECT sentiment, emotion, count(*) FROM enrichments GROUP BY ALL ORDER BY 3 DESC LIMIT 8"
    ).fetchall()
    return {"rows": [{"sentiment": s, "emotion": e, "records": n} for s, e, n in rows]}


def _nps_trend(ws: Workspace) -> dict[str, Any]:
    out = metrics.compute_metric(ws, {"metric": "nps", "by": "month"})
    keep = ("month", "value", "n", "ci_low", "ci_high", "low_n")
    return {"rows": [{k: r.get(k) for k in keep} for r in out["rows"]]}


def _painpoints(ws: Workspace) -> dict[str, Any]:
    out = metrics.rank_painpoints(ws, since="30d", limit=5)
    keep = ("topic", "product", "volume", "customers", "negative_share", "trend", "owner_department", "score")
    return {"rows": [{k: p.get(k) for k in keep} for p in out["painpoints"]], "window": out.get("window")}


def _drivers(ws: Workspace) -> dict[str, Any]:
    out = metrics.driver_analysis(ws, target="nps")
    keep = ("level", "name", "n", "effect", "importance", "uplift")
    return {"rows": [{k: d.get(k) for k in keep} for d in out["drivers"][:5]]}


def _emerging(ws: Workspace) -> dict[str, Any]:
    out = metrics.detect_emerging(ws)
    return {"rows": out.get("issues", [])[:5], "asof": out.get("asof")}


def _discovered(ws: Workspace) -> dict[str, Any]:
    out = suggest_topics(ws)
    rows = out.get("candidates", [])[:8]
    return {"rows": [{"cluster_id": c.get("cluster_id"), "size": c.get("size"), "label": c.get("label"),
                      "example": (c.get("examples") or [""])[0]} for c in rows]}


def _ivr(ws: Workspace) -> dict[str, Any]:
    out = journeys.ivr_paths(ws, top=3)
    return {"rows": out.get("nodes", [])[:3], "lost_rate": out.get("lost_rate")}


def _worst(ws: Workspace) -> dict[str, Any]:
    out = journeys.worst_journeys(ws, top=5)
    keep = ("customer_id", "topic", "contacts", "channels", "health", "outcome")
    return {"rows": [{k: j.get(k) for k in keep} for j in out["journeys"]]}


ANALYSIS_SECTIONS: tuple[tuple[str, Any], ...] = (
    ("enrichment", _enrich),
    ("sentiment_and_emotion", _sentiment_mix),
    ("nps_trend", _nps_trend),
    ("top_painpoints", _painpoints),
    ("nps_drivers", _drivers),
    ("emerging_issues", _emerging),
    ("discovered_topics", _discovered),
    ("ivr_lost_by_node", _ivr),
    ("worst_journeys", _worst),
)
