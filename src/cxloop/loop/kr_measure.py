"""From a key result's daily statistics to what a review reads: baseline, current month, monthly series,
before/after effect with its test, the difference-in-differences and the NPS points it is worth.

Input is the frame of `key_results.daily_stats_expr` (one row per local day, arm and — for mention_share —
mention flag, holding additive sufficient statistics); every window is a sum of its days, so one query
serves all of them. Pure pandas/numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from cxloop.loop import effects as fx
from cxloop.loop.effects import MENTION_SHARE
from cxloop.loop.initiatives import month_bounds

__all__ = [
    "DayWindow", "EffectPlan", "baseline_window", "effect_of", "monthly_series", "window_estimate", "window_sums",
]


@dataclass(frozen=True)
class DayWindow:
    """Local days [start, end): None is unbounded."""

    start: date | None
    end: date | None

    def label(self) -> dict[str, str | None]:
        last = self.end - timedelta(days=1) if self.end else None
        return {"from": self.start.isoformat() if self.start else None, "to": last.isoformat() if last else None}


@dataclass(frozen=True)
class EffectPlan:
    """Where the change falls and how far the two sides reach."""

    change: date
    before: DayWindow
    after: DayWindow
    alpha: float


def _stat_cols(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("day", "arm", "flag")]


def _days(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["day"]).dt.date


def _sum(frame: pd.DataFrame, arm: str, w: DayWindow, flag: int | None = None) -> pd.Series:
    """The summed statistics of one arm (and mention flag) over a window of local days."""
    if len(frame) == 0:
        return pd.Series({"n": 0})
    days = _days(frame)
    keep = (frame["arm"] == arm).to_numpy().copy()
    if w.start is not None:
        keep &= (days >= w.start).to_numpy()
    if w.end is not None:
        keep &= (days < w.end).to_numpy()
    if flag is not None:
        keep &= (frame["flag"] == flag).to_numpy()
    return frame.loc[keep, _stat_cols(frame)].astype(np.float64).sum()


def _as_nps(s: pd.Series) -> pd.Series:
    """The NPS statistics of a mention_share row (its scored rows)."""
    return pd.Series({"n": s.get("nps_n", 0), "promoters": s.get("promoters", 0),
                      "detractors": s.get("detractors", 0)})


def window_sums(frame: pd.DataFrame, w: DayWindow, arm: str = "T") -> pd.Series:
    """The summed sufficient statistics of one arm over a window of local days."""
    return _sum(frame, arm, w)


def window_estimate(frame: pd.DataFrame, metric: str, w: DayWindow, arm: str = "T") -> fx.Estimate:
    return fx.estimate(metric, _sum(frame, arm, w))


def baseline_window(change: date | None, last_day: date | None, days: int) -> DayWindow | None:
    """The `days` local days before the change date, else the last `days` days of data (data time)."""
    end = change if change is not None else (last_day + timedelta(days=1) if last_day else None)
    return DayWindow(end - timedelta(days=days), end) if end is not None else None


def monthly_series(frame: pd.DataFrame, metric: str) -> list[dict[str, Any]]:
    """One row per local month of the treated arm: value, n and 95% interval."""
    t = frame[frame["arm"] == "T"]
    if len(t) == 0:
        return []
    months = sorted({d.replace(day=1) for d in _days(t)})
    out = []
    for m in months:
        e = window_estimate(frame, metric, DayWindow(*month_bounds(m)))
        out.append({"month": m.isoformat()[:7], **e.as_dict()})
    return out


def _worth(frame: pd.DataFrame, metric: str, plan: EffectPlan, effect: dict[str, Any]) -> dict[str, Any] | None:
    """NPS points the change is worth: for NPS itself its difference-in-differences (else its change); for a
    mention share, the share's fall times the NPS gap between those who mention the topic and the others
    before the change."""
    if metric == "nps":
        est = (effect.get("did") or {}).get("estimate")
        basis = "difference-in-differences" if est is not None else "before/after difference"
        points = est if est is not None else effect.get("difference")
        return {"points": points, "basis": basis}
    if metric != MENTION_SHARE:
        return None
    mention = fx.estimate("nps", _as_nps(_sum(frame, "T", plan.before, flag=1)))
    others = fx.estimate("nps", _as_nps(_sum(frame, "T", plan.before, flag=0)))
    points = fx.nps_worth(effect["before"]["value"], effect["after"]["value"], mention.value, others.value)
    return {"points": points, "basis": "mention share change x NPS gap (others - mentioners) before the change",
            "nps_mentioners_before": mention.value, "nps_others_before": others.value,
            "scored_mentioners_before": mention.n, "scored_others_before": others.n}


def effect_of(frame: pd.DataFrame, metric: str, plan: EffectPlan, comparison: dict[str, Any] | None
              ) -> dict[str, Any]:
    """Before/after on the treated arm, with the difference-in-differences against arm "C" when there is
    one (`comparison` describes it), the plain verdict and the NPS points it is worth."""
    effect = fx.compare(metric, _sum(frame, "T", plan.before), _sum(frame, "T", plan.after), plan.alpha)
    effect["before"]["window"] = plan.before.label()
    effect["after"]["window"] = plan.after.label()
    effect["change_date"] = plan.change.isoformat()
    effect["verdict"] = fx.verdict(metric, effect, plan.alpha)
    if comparison is not None:
        did = fx.did(metric, (_sum(frame, "T", plan.before), _sum(frame, "T", plan.after)),
                     (_sum(frame, "C", plan.before), _sum(frame, "C", plan.after)), plan.alpha)
        effect["did"] = {"comparison": comparison, **did}
    else:
        effect["did"] = None
    effect["nps_worth"] = _worth(frame, metric, plan, effect)
    return effect
