"""Measure key results on the workspace: one daily-statistics query per key result (treated and comparison
arms), summed into the baseline, the current month, the monthly series and the before/after effect by
`cxloop.loop.kr_measure`. Flagged responses are left out when the exclusion is active.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from cxloop.app.integrity_filter import excluded_count, exclusion_active, flagged_only, sources_for
from cxloop.app.metrics_service import metric_sources, open_engine
from cxloop.app.workspace import Workspace
from cxloop.loop import kr_measure as km
from cxloop.loop.initiatives import attainment, elapsed_share, kr_status, month_bounds, next_review
from cxloop.loop.key_results import KeyResultQuery, arms_relation, comparison_for, daily_stats_expr, kr_relation
from cxloop.metrics.timeframe import to_utc

__all__ = ["KrMeasurer"]


class KrMeasurer:
    """Runs key-result queries on one engine for one call (one exclusion choice)."""

    def __init__(self, ws: Workspace, exclude_flagged: bool | None = None) -> None:
        self.ws = ws
        self.eng = open_engine(ws)
        base = metric_sources(ws, self.eng)
        self.active = exclusion_active(ws, exclude_flagged)
        self.src = sources_for(ws, self.eng, base, self.active)
        self.flagged = flagged_only(ws, self.eng, base) if self.active else None
        self.tz = ws.settings.timezone
        self.cfg = ws.settings.initiatives

    def daily(self, q: KeyResultQuery, comparison: KeyResultQuery | None = None, *, since: date | None = None,
              until: date | None = None) -> pd.DataFrame:
        """Daily statistics of the treated (and comparison) arm, optionally only for local days [since, until)."""
        t = arms_relation(self.src, q, comparison)
        if since is not None:
            t = t.filter(t.occurred_at >= to_utc(since, self.tz))
        if until is not None:
            t = t.filter(t.occurred_at < to_utc(until, self.tz))
        return self.eng.to_arrow(daily_stats_expr(t, q.metric, self.tz)).to_pandas()

    def excluded(self, q: KeyResultQuery) -> int:
        if self.flagged is None:
            return 0
        return excluded_count(self.eng, kr_relation(self.flagged, q))

    def baseline(self, q: KeyResultQuery, change: date | None) -> dict[str, Any]:
        """The baseline measured now, over the stated period (data time)."""
        frame = self.daily(q)
        last = _last_day(frame)
        window = km.baseline_window(change, last, self.cfg.baseline_days)
        if window is None:
            return {"value": None, "n": 0, "ci_low": None, "ci_high": None, "window": None}
        est = km.window_estimate(frame, q.metric, window)
        return {**est.as_dict(), "window": window.label()}

    def measure(self, kr: dict[str, Any], q: KeyResultQuery, init: dict[str, Any], month: date | None,
                treated: tuple[str, ...] = ()) -> dict[str, Any]:
        """Current value, progress, monthly series and effect of one key result; `treated` are products
        changed by other initiatives (left out of the default comparison group)."""
        change = init.get("change_date")
        stated = {k: tuple(v) for k, v in (init.get("comparison") or {}).items()} or None
        comp_q, comp_desc = comparison_for(q, stated, treated) if change is not None else (None, None)
        frame = self.daily(q, comp_q)
        last = _last_day(frame)
        review = month or (last.replace(day=1) if last else None)
        current = km.window_estimate(frame, q.metric, km.DayWindow(*month_bounds(review))) if review else None
        value = current.value if current else None
        base_end = kr.get("baseline_window", {}) or {}
        start = date.fromisoformat(base_end["to"]) if base_end.get("to") else None
        today = min(last, month_bounds(review)[1] - timedelta(days=1)) if last and review else last
        out: dict[str, Any] = {
            "current": value, "current_n": current.n if current else 0,
            "current_ci": [current.ci_low, current.ci_high] if current else None,
            "current_month": review.isoformat()[:7] if review else None,
            "attainment": attainment(kr.get("baseline"), value, kr.get("target")),
            "status": kr_status(kr.get("baseline"), value, kr.get("target"), kr["direction"],
                                elapsed_share(start, _date(kr.get("due")), today)),
            "series": km.monthly_series(frame, q.metric),
            "effect": None, "excluded_flagged": self.excluded(q),
            "next_review": next_review(review, self.cfg.review_day).isoformat() if review else None,
        }
        if change is not None:
            out["effect"] = km.effect_of(frame, q.metric, self._plan(change, month), comp_desc)
        return out

    def _plan(self, change: date, month: date | None) -> km.EffectPlan:
        cfg = self.cfg
        start = change - timedelta(days=cfg.effect_before_days) if cfg.effect_before_days else None
        ends = [d for d in (change + timedelta(days=cfg.effect_after_days) if cfg.effect_after_days else None,
                            month_bounds(month)[1] if month else None) if d is not None]
        return km.EffectPlan(change, km.DayWindow(start, change), km.DayWindow(change, min(ends) if ends else None),
                             cfg.alpha)


def _date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _last_day(frame: pd.DataFrame) -> date | None:
    t = frame[frame["arm"] == "T"] if len(frame) else frame
    if len(t) == 0:
        return None
    return pd.to_datetime(t["day"]).max().date()
