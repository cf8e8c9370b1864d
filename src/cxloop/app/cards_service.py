"""`cxloop cards run|list`: red/yellow complaint cards per team for a local month (`cxloop.loop.cards`),
stored per run, with each team's CX KPI (3E less the card penalty, weighted into performance).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from cxloop.app.metrics_service import metric_sources, open_engine
from cxloop.app.stars_service import unit_month_stats
from cxloop.app.workspace import Workspace
from cxloop.loop.cards import CardRules, cards_from_incidents, cx_kpi, incidents_expr
from cxloop.loop.effects import estimate
from cxloop.loop.initiatives import month_bounds, parse_month
from cxloop.metrics.timeframe import Window, to_utc
from cxloop.store import transaction

__all__ = ["card_rules", "list_cards", "run_cards"]

_INCIDENT_COLS = ["incident_id", "kind", "team", "occurred_at", "channel", "text"]


def card_rules(ws: Workspace) -> CardRules:
    c = ws.settings.cards
    return CardRules(c.yellow_at, c.red_at, c.red_at_andon, tuple(c.complaint_kinds),
                     tuple(c.escalation_event_types), tuple(c.escalation_outcomes), tuple(c.escalation_patterns),
                     c.cx_weight, c.yellow_penalty, c.red_penalty)


_ANDON_SQL = """
WITH cur AS (SELECT case_id, status, root_cause_department FROM case_events
             QUALIFY row_number() OVER (PARTITION BY case_id ORDER BY seq DESC) = 1),
linked AS (SELECT origin_ref AS hold_id, case_id FROM cases WHERE origin = 'andon' AND origin_ref IS NOT NULL
           UNION SELECT hold_id, case_id FROM alerts WHERE hold_id IS NOT NULL AND case_id IS NOT NULL)
SELECT h.hold_id AS incident_id, 'andon' AS kind, cur.root_cause_department AS team, h.opened_at AS occurred_at,
       NULL::VARCHAR AS channel,
       any_value(h.issue) || ' · ' || any_value(h.product) || ' (cases ' || string_agg(DISTINCT l.case_id, ', ')
         || ')' AS text
FROM holds h JOIN linked l USING (hold_id) JOIN cur ON cur.case_id = l.case_id
WHERE cur.status IN ('resolved', 'closed') AND cur.root_cause_department IS NOT NULL
  AND h.opened_at >= ? AND h.opened_at < ?
GROUP BY h.hold_id, cur.root_cause_department, h.opened_at
ORDER BY h.opened_at, h.hold_id
"""


def _andon_incidents(ws: Workspace, window: Window) -> pd.DataFrame:
    """Andon holds opened in the month, one incident per root-cause department named by their resolved or
    closed cases (the hold's compensation cases and the case of its alert)."""
    return ws.con.execute(_ANDON_SQL, [window.start, window.end]).df()


def _team_e3(ws: Workspace, month: str) -> dict[str, float | None]:
    stats, _, _ = unit_month_stats(ws, ws.settings.cards.metric, "team", month, None)
    return {str(r["unit"]): estimate(ws.settings.cards.metric, stats.iloc[[i]]).value
            for i, r in stats.reset_index(drop=True).iterrows()}


def run_cards(ws: Workspace, *, month: str) -> dict[str, Any]:
    """Cards of the month (replacing an earlier run's for that month) and every team's CX KPI:
    `{"month", "cards": [{card_id, team, color, incidents, andon, by_kind, evidence}], "teams": [...]}`."""
    rules = card_rules(ws)
    first = parse_month(month)
    label = first.isoformat()[:7]
    start, end = month_bounds(first)
    tz = ws.settings.timezone
    window = Window(to_utc(start, tz), to_utc(end, tz))
    eng = open_engine(ws)
    src = metric_sources(ws, eng)
    found = eng.to_arrow(incidents_expr(src.records, src.events, rules, window)).to_pandas()
    andon = _andon_incidents(ws, window)
    incidents = pd.concat([f for f in (found, andon) if len(f)], ignore_index=True) if len(found) or len(andon) \
        else pd.DataFrame(columns=_INCIDENT_COLS)
    cards = cards_from_incidents(incidents, label, rules)
    by_team = {c["team"]: c for c in cards}
    e3 = _team_e3(ws, label)
    counts = incidents.groupby("team").size().to_dict() if len(incidents) else {}
    teams = [{"team": t, "incidents": int(counts.get(t, 0)), "card": (by_team.get(t) or {}).get("color"),
              **cx_kpi(e3.get(t), (by_team.get(t) or {}).get("color"), rules)}
             for t in sorted(set(e3) | set(counts))]
    run_id = "CR" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    _store(ws, run_id, first, cards)
    return {"month": label, "run_id": run_id, "cards": cards, "teams": teams,
            "rules": {"yellow_at": rules.yellow_at, "red_at": rules.red_at, "red_at_andon": rules.red_at_andon,
                      "cx_weight": rules.cx_weight, "metric": ws.settings.cards.metric}}


def _store(ws: Workspace, run_id: str, month: Any, cards: list[dict[str, Any]]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    with transaction(ws.con):
        ws.con.execute("DELETE FROM cards WHERE month = ?", [month])
        for c in cards:
            evidence = {"by_kind": c["by_kind"], "incidents": c["evidence"]}
            ws.con.execute("INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           [c["card_id"], run_id, month, c["team"], c["color"], c["incidents"], c["andon"],
                            json.dumps(evidence, ensure_ascii=False), now])


def list_cards(ws: Workspace, *, team: str | None = None, month: str | None = None) -> dict[str, Any]:
    """`{"cards": [{card_id, month, team, color, incidents, andon, by_kind, evidence}]}` of the stored runs."""
    label = parse_month(month).isoformat()[:7] if month else None
    rows = ws.con.execute(
        "SELECT card_id, strftime(month, '%Y-%m'), team, color, incidents, andon, evidence::VARCHAR FROM cards "
        "WHERE (? IS NULL OR team = ?) AND (? IS NULL OR strftime(month, '%Y-%m') = ?) ORDER BY month, team",
        [team, team, label, label]).fetchall()
    cards = []
    for r in rows:
        ev = json.loads(r[6])
        cards.append({"card_id": r[0], "month": r[1], "team": r[2], "color": r[3], "incidents": r[4], "andon": r[5],
                      "by_kind": ev.get("by_kind"), "evidence": ev.get("incidents")})
    return {"cards": cards}
