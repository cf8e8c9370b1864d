"""Metric integrity: flag gamed or broken scores, with evidence and severity.

Five checks, each a pure function over frames the app fetched with the expressions below:

- `score_begging` (high): an agent's conversations ask for a top score (`begging.BeggingModel`) improbably
  more often than their peers' that month (exact binomial test against the peers' rate, Bonferroni over
  every agent-month, at least `begging_min_chats` begging conversations). Covers the agent's scored
  responses that month.
- `own_identifier` (high): responses given from an identifier of the staff themselves
  (`integrity.staff_identifiers`, matched on the record's identifiers or their resolved customer).
- `improbable_distribution` (medium): an agent's or store's top-box share of a score that month is
  improbable against its peers' (beta-binomial null fitted to the peers, Bonferroni).
- `score_text_contradiction` (low per source and month; medium for an agent whose rate is improbable): a
  top score with a clearly negative comment, or a bottom score with a clearly positive one.
- `duplicate` (low): the same respondent answering the same source again within the window with the same
  scores and the same or a near-same text (rapidfuzz ratio); the later copies are flagged.

A flag's id is stable for its kind, unit and month, so re-running replaces rather than multiplies flags.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from cxloop.loop.integrity_stats import betabinomial_excess, binomial_excess, bonferroni

__all__ = [
    "KINDS",
    "SCORE_TOP",
    "Flag",
    "begging_flags",
    "contradiction_flags",
    "distribution_flags",
    "duplicate_flags",
    "own_identifier_flags",
]

KINDS = ("score_begging", "own_identifier", "improbable_distribution", "score_text_contradiction", "duplicate")
# the top box of each canonical score (the answer gaming pushes to) and the bottom box
SCORE_TOP = {"nps": 9.0, "csat": 5.0, "ces": 7.0, "rating": 5.0}
SCORE_BOTTOM = {"nps": 2.0, "csat": 1.0, "ces": 1.0, "rating": 1.0}
_EXAMPLES = 5


@dataclass
class Flag:
    """One integrity flag; `records` are the responses it covers (left out by --exclude-flagged)."""

    kind: str
    severity: str
    month: date | None
    unit: dict[str, str]
    evidence: dict[str, Any]
    agent_id: str | None = None
    team: str | None = None
    records: list[str] = field(default_factory=list)

    @property
    def flag_id(self) -> str:
        key = json.dumps([self.kind, self.unit, self.month.isoformat() if self.month else None], sort_keys=True)
        return "F" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

    def as_dict(self) -> dict[str, Any]:
        return {"flag_id": self.flag_id, "kind": self.kind, "agent_id": self.agent_id, "team": self.team,
                "unit": self.unit, "month": self.month.isoformat()[:7] if self.month else None,
                "records": self.records, "evidence": self.evidence, "severity": self.severity}


def _month(v: Any) -> date:
    return pd.Timestamp(v).date().replace(day=1)


def _text(v: Any) -> str | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def begging_flags(counts: pd.DataFrame, hits: pd.DataFrame, alpha: float, min_chats: int) -> tuple[list[Flag], int]:
    """`counts`: agent_id, channel, team, month, n (conversations with text); `hits`: record_id, agent_id,
    channel, month, occurred_at, phrases (list), snippet. An agent is tested against the other agents of
    the same channel and month. Returns the flags (records filled in by the app) and the number of
    agent-months tested."""
    if len(counts) == 0:
        return [], 0
    keys = ["agent_id", "channel", "month"]
    if len(hits):
        k = hits.groupby(keys, dropna=False).size().rename("k").reset_index()
        c = counts.merge(k, on=keys, how="left")
    else:
        c = counts.assign(k=0)
    c["k"] = c["k"].fillna(0).astype(np.int64)
    p, rate = binomial_excess(c["k"], c["n"], c["channel"].astype(str) + "|" + c["month"].astype(str))
    m = int(np.sum(~np.isnan(p)))
    adj = bonferroni(p, m)
    flags = []
    for i in np.flatnonzero((adj < alpha) & (c["k"].to_numpy() >= min_chats)):
        row = c.iloc[i]
        mine = hits[(hits["agent_id"] == row["agent_id"]) & (hits["month"] == row["month"])
                    & (hits["channel"] == row["channel"])]
        phrases = pd.Series([ph for lst in mine["phrases"] for ph in lst]).value_counts()
        evidence = {
            "channel": _text(row["channel"]), "conversations": int(row["n"]), "begging_conversations": int(row["k"]),
            "rate": float(row["k"] / row["n"]), "peer_rate": float(rate[i]), "p_value": float(p[i]),
            "adjusted_p": float(adj[i]), "tests": m, "test": "exact binomial vs peers' rate, Bonferroni",
            "phrases": {str(a): int(b) for a, b in phrases.head(10).items()},
            "examples": [{"record_id": r.record_id, "occurred_at": str(r.occurred_at), "text": r.snippet}
                         for r in mine.head(_EXAMPLES).itertuples()],
            "begging_records": [str(x) for x in mine["record_id"]],
        }
        unit = {"agent_id": str(row["agent_id"]), "channel": str(row["channel"])}
        flags.append(Flag("score_begging", "high", _month(row["month"]), unit, evidence,
                          agent_id=str(row["agent_id"]), team=_text(row["team"])))
    return flags, m


def distribution_flags(counts: pd.DataFrame, alpha: float, min_n: int, min_excess: float
                       ) -> tuple[list[Flag], int]:
    """`counts`: unit_field, unit, team, source, field, month, n, top. A unit's top-box share against the
    other units of the same unit field, source, score field and month (beta-binomial, Bonferroni); flagged
    when improbable *and* at least `min_excess` above the peers' share (a difference worth a look)."""
    c = counts[counts["n"] >= min_n].reset_index(drop=True)
    if len(c) == 0:
        return [], 0
    group = c["unit_field"] + "|" + c["source"] + "|" + c["field"] + "|" + c["month"].astype(str)
    p, rate, rho = betabinomial_excess(c["top"], c["n"], group)
    m = int(np.sum(~np.isnan(p)))
    adj = bonferroni(p, m)
    flags = []
    excess = c["top"].to_numpy() / c["n"].to_numpy() - rate
    for i in np.flatnonzero((adj < alpha) & (excess >= min_excess)):
        r = c.iloc[i]
        unit = {str(r["unit_field"]): str(r["unit"])}
        evidence = {"source": r["source"], "score": r["field"], "top_box": f">= {SCORE_TOP[r['field']]:g}",
                    "n": int(r["n"]), "top": int(r["top"]), "share": float(r["top"] / r["n"]),
                    "peer_share": float(rate[i]), "peer_rho": float(rho[i]), "p_value": float(p[i]),
                    "adjusted_p": float(adj[i]), "tests": m,
                    "test": "beta-binomial vs peers (dispersion from Pearson X2), Bonferroni"}
        agent = str(r["unit"]) if r["unit_field"] == "agent_id" else None
        flags.append(Flag("improbable_distribution", "medium", _month(r["month"]),
                          {**unit, "source": str(r["source"]), "score": str(r["field"])}, evidence,
                          agent_id=agent, team=_text(r.get("team"))))
    return flags, m


def contradiction_flags(rows: pd.DataFrame, counts: pd.DataFrame, alpha: float) -> list[Flag]:
    """`rows`: record_id, source, month, agent_id, team, field, score, sentiment_score, snippet (each a
    contradiction); `counts`: agent_id, team, month, n (scored responses with a sentiment)."""
    flags: list[Flag] = []
    for (source, month), g in rows.groupby(["source", "month"], sort=True):
        ev = {"responses": len(g), "by_score": g["field"].value_counts().to_dict(),
              "examples": [{"record_id": r.record_id, "score": f"{r.field}={r.score:g}",
                            "sentiment_score": round(float(r.sentiment_score), 3), "text": r.snippet}
                           for r in g.head(_EXAMPLES).itertuples()]}
        flags.append(Flag("score_text_contradiction", "low", _month(month), {"source": str(source)}, ev,
                          records=[str(x) for x in g["record_id"]]))
    agents = rows[rows["agent_id"].notna()]
    if len(agents) == 0 or len(counts) == 0:
        return flags
    k = agents.groupby(["agent_id", "month"]).size().rename("k").reset_index()
    c = counts.merge(k, on=["agent_id", "month"], how="left").fillna({"k": 0})
    p, rate = binomial_excess(c["k"], c["n"], c["month"].astype(str))
    adj = bonferroni(p)
    for i in np.flatnonzero(adj < alpha):
        r = c.iloc[i]
        mine = agents[(agents["agent_id"] == r["agent_id"]) & (agents["month"] == r["month"])]
        ev = {"responses": int(r["n"]), "contradictions": int(r["k"]), "rate": float(r["k"] / r["n"]),
              "peer_rate": float(rate[i]), "p_value": float(p[i]), "adjusted_p": float(adj[i]),
              "test": "exact binomial vs peers' rate, Bonferroni",
              "examples": [{"record_id": x.record_id, "score": f"{x.field}={x.score:g}", "text": x.snippet}
                           for x in mine.head(_EXAMPLES).itertuples()]}
        flags.append(Flag("score_text_contradiction", "medium", _month(r["month"]), {"agent_id": str(r["agent_id"])},
                          ev, agent_id=str(r["agent_id"]), team=_text(r["team"]),
                          records=[str(x) for x in mine["record_id"]]))
    return flags


def duplicate_flags(pairs: pd.DataFrame, similarity: float) -> list[Flag]:
    """`pairs`: record_id, prev_record_id, source, month, text, prev_text, gap_hours — consecutive answers
    of one respondent to one source with the same scores inside the window. A pair is a duplicate when
    both texts are empty or their normalised similarity is at least `similarity` (0..100)."""
    if len(pairs) == 0:
        return []
    from rapidfuzz import fuzz

    a = pairs["text"].fillna("").str.strip().str.lower()
    b = pairs["prev_text"].fillna("").str.strip().str.lower()
    sim = np.array([100.0 if not x and not y else fuzz.ratio(x, y) for x, y in zip(a, b, strict=True)])
    dup = pairs.assign(similarity=sim)[sim >= similarity]
    flags = []
    for (source, month), g in dup.groupby(["source", "month"], sort=True):
        examples = [{"record_id": r.record_id, "copy_of": r.prev_record_id, "hours_apart": round(float(r.gap_hours), 2),
                     "similarity": round(float(r.similarity), 1), "text": (_text(r.text) or "")[:80]}
                    for r in g.head(_EXAMPLES).itertuples()]
        ev = {"duplicates": len(g), "examples": examples}
        flags.append(Flag("duplicate", "low", _month(month), {"source": str(source)}, ev,
                          records=[str(x) for x in g["record_id"]]))
    return flags


def own_identifier_flags(rows: pd.DataFrame) -> list[Flag]:
    """`rows`: record_id, month, staff_agent (whose identifier), identifier, source, team (of the staff)."""
    flags = []
    for (agent, month), g in rows.groupby(["staff_agent", "month"], sort=True):
        ev = {"responses": len(g), "identifiers": sorted(set(g["identifier"].astype(str))),
              "sources": g["source"].value_counts().to_dict(),
              "examples": [str(x) for x in g["record_id"].head(_EXAMPLES)]}
        team = g["team"].dropna().iloc[0] if g["team"].notna().any() else None
        flags.append(Flag("own_identifier", "high", _month(month), {"agent_id": str(agent)}, ev,
                          agent_id=str(agent), team=_text(team), records=[str(x) for x in g["record_id"]]))
    return flags
