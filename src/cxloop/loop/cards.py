"""Red and yellow complaint cards per team and month, and the CX part of a team's performance.

An *incident* is attributed to a team in its local month:
- a record whose `kind` is a complaint kind (`cards.complaint_kinds`), by the record's team;
- an escalation: a record or event whose `event_type` or `outcome` is an escalation
  (`cards.escalation_event_types`, `cards.escalation_outcomes`), or a record whose text matches one of
  `cards.escalation_patterns`, by its team;
- Andon evidence: a hold whose closed cases name a root-cause department, by that department.

A team with at least `red_at` incidents, or `red_at_andon` Andon incidents, gets a red card; with at least
`yellow_at`, a yellow one. Its CX score is its 3E index that month less the card's penalty, and the CX part
of its performance is `cx_weight` x that score (e.g. 20% of a 100-point appraisal).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxloop.metrics.timeframe import Window

__all__ = ["CardRules", "card_color", "card_id", "cards_from_incidents", "cx_kpi", "incidents_expr"]

_EVIDENCE_TEXT = 80


@dataclass(frozen=True)
class CardRules:
    yellow_at: int
    red_at: int
    red_at_andon: int
    complaint_kinds: tuple[str, ...]
    escalation_event_types: tuple[str, ...]
    escalation_outcomes: tuple[str, ...]
    escalation_patterns: tuple[str, ...]
    cx_weight: float
    yellow_penalty: float
    red_penalty: float


def _in(col: ir.Column, values: tuple[str, ...]) -> ir.BooleanValue:
    return col.isin(list(values)) if values else ibis.literal(False)


def _windowed(t: ir.Table, w: Window) -> ir.Table:
    return t.filter(t.team.notnull(), t.occurred_at >= w.start, t.occurred_at < w.end)


def incidents_expr(records: ir.Table, events: ir.Table, rules: CardRules, window: Window) -> ir.Table:
    """Complaints and escalations of the month with a team: incident_id, kind, team, occurred_at,
    channel, text."""
    r = _windowed(records, window)
    complaint = _in(r.kind, rules.complaint_kinds)
    escalated = _in(r.event_type, rules.escalation_event_types) | _in(r.outcome, rules.escalation_outcomes)
    if rules.escalation_patterns:
        escalated = escalated | r.text.fill_null("").re_search("|".join(rules.escalation_patterns))
    recs = r.filter(complaint | escalated).select(
        incident_id=r.record_id, kind=ibis.cases((complaint, "complaint"), else_="escalation"),
        team=r.team, occurred_at=r.occurred_at, channel=r.channel, text=r.text)
    e = _windowed(events, window)
    evs = e.filter(_in(e.event_type, rules.escalation_event_types) | _in(e.outcome, rules.escalation_outcomes)
                   ).select(incident_id=e.event_id, kind=ibis.literal("escalation"), team=e.team,
                            occurred_at=e.occurred_at, channel=e.channel, text=ibis.null().cast("string"))
    return recs.union(evs)


def card_color(incidents: int, andon: int, rules: CardRules) -> str | None:
    if incidents >= rules.red_at or andon >= rules.red_at_andon:
        return "red"
    if incidents >= rules.yellow_at:
        return "yellow"
    return None


def card_id(month: str, team: str) -> str:
    return "CARD-" + hashlib.sha1(f"{month}|{team}".encode()).hexdigest()[:10]


def cards_from_incidents(incidents: pd.DataFrame, month: str, rules: CardRules) -> list[dict[str, Any]]:
    """One card per team over a threshold; evidence lists every incident (Andon ones carry hold/case)."""
    cards = []
    for team, g in incidents.groupby("team", sort=True):
        andon = int((g["kind"] == "andon").sum())
        color = card_color(len(g), andon, rules)
        if color is None:
            continue
        g = g.sort_values("occurred_at")
        evidence = [{"incident_id": str(r.incident_id), "kind": r.kind,
                     "occurred_at": pd.Timestamp(r.occurred_at).isoformat(),
                     "channel": None if pd.isna(r.channel) else r.channel,
                     "text": None if r.text is None or pd.isna(r.text) else str(r.text)[:_EVIDENCE_TEXT]}
                    for r in g.itertuples()]
        cards.append({"card_id": card_id(month, str(team)), "month": month, "team": str(team), "color": color,
                      "incidents": len(g), "andon": andon,
                      "by_kind": {str(k): int(v) for k, v in g["kind"].value_counts().items()},
                      "evidence": evidence})
    return cards


def cx_kpi(team_e3: float | None, color: str | None, rules: CardRules) -> dict[str, Any]:
    """The team's CX score (3E less the card penalty, floored at 0) and its points in performance."""
    if team_e3 is None:
        return {"e3": None, "cx_score": None, "cx_weight": rules.cx_weight, "performance_points": None}
    penalty = rules.red_penalty if color == "red" else rules.yellow_penalty if color == "yellow" else 0.0
    score = max(team_e3 - penalty, 0.0)
    return {"e3": team_e3, "penalty": penalty, "cx_score": score, "cx_weight": rules.cx_weight,
            "performance_points": rules.cx_weight * score}
