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
    # over the whole data: the demo covers six months and its last 30 days (what `--since 30d` anchors
    # to) are after the planted pain point was fixed
    out = metrics.rank_painpoints(ws, since="all", limit=5)
    keep = ("topic", "product", "customers", "respondents", "detractor_share", "nps_at_stake",
            "owner_department", "score")
    return {"rows": [{k: p.get(k) for k in keep} for p in out["painpoints"]], "window": "all data",
            "baseline": out.get("baseline")}


def _drivers(ws: Workspace) -> dict[str, Any]:
    out = metrics.driver_analysis(ws, target="nps")
    keep = ("level", "name", "n", "effect", "importance", "uplift")
    return {"rows": [{k: d.get(k) for k in keep} for d in out["drivers"][:5]]}


def _emerging(ws: Workspace) -> dict[str, Any]:
    # replayed day by day over the data (what a daily monitor would have raised); runs after topic
    # discovery, so texts no topic covers are tested by their discovered cluster
    out = metrics.detect_emerging(ws, since="all")
    keep = ("label", "kind", "product", "first_seen_week", "first_detected", "observed", "expected", "p_value")
    strongest = sorted(out.get("issues", []), key=lambda i: (i["p_value"], i["first_detected"]))[:6]
    return {"rows": [{k: i.get(k) for k in keep} for i in strongest],
            "replayed": f"{out.get('since')} .. {out.get('asof')}"}


def _discovered(ws: Workspace) -> dict[str, Any]:
    out = suggest_topics(ws)
    rows = out.get("candidates", [])[:8]
    return {"rows": [{"cluster_id": c.get("cluster_id"), "size": c.get("size"), "label": c.get("label"),
                      "example": (c.get("examples") or [""])[0]} for c in rows]}


def _andon(ws: Workspace) -> dict[str, Any]:
    # the first `alerts run` over the demo's history: most alerts are backfill (older than a week of data)
    from cxloop.app.alerts_service import run_alerts
    from cxloop.app.andon_service import list_holds

    run = run_alerts(ws, actor="cxloop demo", deliver=False)
    holds = list_holds(ws)["holds"]
    keep = ("product", "issue", "customers", "opened_at", "status")
    return {"rows": [{**{k: h.get(k) for k in keep}, "evidence": len(h["evidence"])} for h in holds],
            "alerts": len(run["alerts"]), "cases": run["cases"]}


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
    ("discovered_topics", _discovered),
    ("emerging_issues", _emerging),
    ("andon_holds", _andon),
    ("ivr_lost_by_node", _ivr),
    ("worst_journeys", _worst),
)
