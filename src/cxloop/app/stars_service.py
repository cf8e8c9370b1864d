"""`cxloop stars --month M [--level agent|team]`: the monthly CX star ranking (`cxloop.loop.stars`) on the
workspace's responses of that local month, with agents flagged by integrity checks that month listed as
ineligible.
"""

from __future__ import annotations

from typing import Any

from cxloop.app.integrity_filter import excluded_count, exclusion_active, flagged_only, sources_for
from cxloop.app.metrics_service import metric_sources, open_engine
from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.loop.initiatives import month_bounds, parse_month
from cxloop.loop.stars import rank_stars
from cxloop.metrics.builder import selection
from cxloop.metrics.definitions import METRIC_DEFINITIONS
from cxloop.metrics.query import MetricQuery
from cxloop.metrics.timeframe import Window, to_utc

__all__ = ["LEVELS", "STAR_METRICS", "compute_stars", "unit_month_stats"]

LEVELS = ("agent", "team")
STAR_METRICS = ("3e", "nps", "csat")


def _flagged_agents(ws: Workspace, month: str) -> dict[str, str | None]:
    """Agents with an integrity flag in the month, with their team."""
    rows = ws.con.execute(
        "SELECT agent_id, max(team) FROM integrity_flags WHERE agent_id IS NOT NULL "
        "AND strftime(month, '%Y-%m') = ? GROUP BY 1", [month]).fetchall()
    return {r[0]: r[1] for r in rows}


def unit_month_stats(ws: Workspace, metric: str, field: str, month: str, exclude_flagged: bool | None = None
                     ) -> tuple[Any, int, bool]:
    """Per-unit sufficient statistics of `metric` in the local month (units: values of `field`), the
    number of flagged responses left out, and whether the exclusion was active."""
    eng = open_engine(ws)
    base = metric_sources(ws, eng)
    active = exclusion_active(ws, exclude_flagged)
    src = sources_for(ws, eng, base, active)
    start, end = month_bounds(parse_month(month))
    tz = ws.settings.timezone
    window = Window(to_utc(start, tz), to_utc(end, tz))
    q = MetricQuery.model_validate({"metric": metric})
    aggs = METRIC_DEFINITIONS[metric].aggregates

    def per_unit(sel: Any) -> Any:
        t = sel.filter(sel[field].notnull(), sel.occurred_at >= window.start, sel.occurred_at < window.end)
        extra = {"team": t.team.max()} if field != "team" else {}
        return t.group_by(unit=t[field]).aggregate(**aggs(t), **extra)

    stats = eng.to_arrow(per_unit(selection(src, q))).to_pandas()
    excluded = 0
    if active:
        sel = selection(flagged_only(ws, eng, base), q)
        excluded = excluded_count(eng, sel.filter(sel[field].notnull()), window)
    return stats, excluded, active


def compute_stars(ws: Workspace, *, month: str, level: str = "agent", metric: str | None = None,
                  exclude_flagged: bool | None = None) -> dict[str, Any]:
    """`{"stars": [{rank, agent_id|team, team, score, n, shrunk, ci_low, ci_high, eligible,
    excluded_reason}], "month", "level", "metric", "peer_mean", "tau2", "min_n", "excluded_flagged", ...}`."""
    if level not in LEVELS:
        raise UsageError(f"--level {level!r}: use agent or team", field="level")
    cfg = ws.settings.stars
    metric = metric or cfg.metric
    if metric not in STAR_METRICS:
        raise UsageError(f"--metric {metric!r}: use one of {', '.join(STAR_METRICS)}", field="metric")
    month = parse_month(month).isoformat()[:7]
    field = "agent_id" if level == "agent" else "team"
    stats, excluded, active = unit_month_stats(ws, metric, field, month, exclude_flagged)
    flagged = _flagged_agents(ws, month) if level == "agent" else {}
    rows, fit = rank_stars(metric, stats, cfg.min_n, flagged)
    key = "agent_id" if level == "agent" else "team"
    stars = [{"rank": r["rank"], key: r["unit"], **({"team": r["team"]} if level == "agent" else {}),
              **{k: r[k] for k in ("score", "n", "shrunk", "ci_low", "ci_high", "eligible", "excluded_reason")}}
             for r in rows]
    return {
        "stars": stars, "month": month, "level": level, "metric": metric, "min_n": cfg.min_n,
        "peer_mean": fit.mu if fit else None, "tau2": fit.tau2 if fit else None,
        "exclude_flagged": active, "excluded_flagged": excluded,
        "notes": ["shrunk = empirical-Bayes estimate toward the peer mean (normal-normal model, DerSimonian-Laird "
                  "tau^2, per-response variance pooled over all units); ranked on shrunk among eligible units",
                  f"ineligible: fewer than {cfg.min_n} responses, or an integrity flag that month (agents)"],
    }
