"""`cxloop integrity run|list`: run the integrity checks of `cxloop.loop.integrity` on the workspace and
store their flags (a run replaces the previous run's flags; flag ids are stable), list them.

The stored `integrity_flag_records` are what `--exclude-flagged` leaves out of every metric.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from cxloop.app.customers_service import find_customer_id
from cxloop.app.engines import Engine
from cxloop.app.metrics_service import metric_sources, open_engine
from cxloop.app.workspace import Workspace
from cxloop.errors import NotFound, UsageError
from cxloop.loop import integrity as ig
from cxloop.loop import integrity_queries as iq
from cxloop.loop.begging import BeggingModel, agent_turns
from cxloop.metrics.relations import Sources
from cxloop.store import registered, transaction

__all__ = ["list_flags", "run_integrity"]


def _frame(eng: Engine, expr: ibis.Table) -> pd.DataFrame:
    return eng.to_arrow(expr).to_pandas()


def _begging(ws: Workspace, eng: Engine, src: Sources) -> tuple[list[ig.Flag], dict[str, Any]]:
    cfg = ws.settings.integrity
    tz = ws.settings.timezone
    model = BeggingModel(tuple(cfg.begging_request_cues), tuple(cfg.begging_score_cues))
    cand = _frame(eng, iq.begging_candidates_expr(src.records, tz, tuple(cfg.begging_score_cues)))
    phrases = model.scan(cand["text"].tolist()) if len(cand) else []
    cand["phrases"] = phrases
    hits = cand[[bool(p) for p in phrases]].copy() if len(cand) else cand
    hits["snippet"] = [agent_turns(t)[:120] for t in hits["text"]]
    counts = _frame(eng, iq.conversation_counts_expr(src.records, tz))
    flags, tests = ig.begging_flags(counts, hits, cfg.alpha, cfg.begging_min_chats)
    return flags, {"conversations_read": int(counts["n"].sum()) if len(counts) else 0,
                   "candidates": len(cand), "begging_conversations": len(hits), "agent_months_tested": tests}


def _distribution(ws: Workspace, eng: Engine, src: Sources) -> tuple[list[ig.Flag], dict[str, Any]]:
    cfg = ws.settings.integrity
    units = list(cfg.distribution_units)
    bad = [u for u in units if u not in src.records.columns]
    if bad:
        raise UsageError(f"integrity.distribution_units: {bad} are not record fields")
    parts = [iq.distribution_counts(_frame(eng, iq.distribution_counts_expr(src.records, u, ws.settings.timezone)), u)
             for u in units]
    counts = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(counts) == 0:
        return [], {"units_tested": 0}
    flags, tests = ig.distribution_flags(counts, cfg.alpha, cfg.distribution_min_n, cfg.distribution_min_excess)
    return flags, {"units_tested": tests}


def _contradictions(ws: Workspace, eng: Engine, src: Sources) -> tuple[list[ig.Flag], dict[str, Any]]:
    if not src.has_enrichments:
        return [], {"note": "no enrichments: score-text contradictions need sentiment (run cxloop enrich)"}
    cfg = ws.settings.integrity
    tz = ws.settings.timezone
    rows = _frame(eng, iq.contradictions_expr(src.records, src.enrichments, tz, cfg.contradiction_min_score))
    counts = _frame(eng, iq.scored_counts_expr(src.records, tz))
    return ig.contradiction_flags(rows, counts, cfg.alpha), {"contradictions": len(rows)}


def _duplicates(ws: Workspace, eng: Engine, src: Sources) -> tuple[list[ig.Flag], dict[str, Any]]:
    cfg = ws.settings.integrity
    pairs = _frame(eng, iq.duplicate_pairs_expr(src.records, ws.settings.timezone, cfg.duplicate_window_hours))
    flags = ig.duplicate_flags(pairs, cfg.duplicate_similarity)
    return flags, {"candidate_pairs": len(pairs), "duplicates": sum(len(f.records) for f in flags)}


def _own_identifiers(ws: Workspace, eng: Engine, src: Sources) -> tuple[list[ig.Flag], dict[str, Any]]:
    staff = ws.settings.integrity.staff_identifiers
    owners: dict[str, tuple[str, str]] = {}
    unknown = []
    for agent, identifiers in staff.items():
        for ident in identifiers:
            try:
                owners[find_customer_id(ws, ident)] = (agent, ident)
            except NotFound:
                unknown.append(ident)
    if not owners:
        return [], {"staff_identifiers": sum(map(len, staff.values())), "not_seen": len(unknown)}
    own = pa.table({"o_customer": list(owners), "staff_agent": [a for a, _ in owners.values()],
                    "identifier": [i for _, i in owners.values()]})
    r = iq.with_month(iq.scored(src.records), ws.settings.timezone)
    o = ibis.memtable(own)
    j = r.inner_join(o, r.customer_id == o.o_customer).select("record_id", "month", "staff_agent", "identifier",
                                                             "source")
    rows = _frame(eng, j)
    teams = _frame(eng, src.records.filter(src.records.agent_id.isin(list(staff))).group_by("agent_id")
                   .aggregate(team=src.records.team.max()))
    rows["team"] = rows["staff_agent"].map(dict(zip(teams["agent_id"], teams["team"], strict=True)))
    return ig.own_identifier_flags(rows), {"responses": len(rows), "not_seen": len(unknown)}


def _attach_records(ws: Workspace, eng: Engine, src: Sources, flags: list[ig.Flag]) -> None:
    """Fill the records of the flags that cover a unit's answers (begging: the agent's scored responses that
    month; distribution: the unit's answers with that score in that source and month), one join per
    kind of selector."""
    base = iq.with_month(src.records, ws.settings.timezone)
    scored = iq.scored(base)
    begging = [f for f in flags if f.kind == "score_begging"]
    if begging:
        _fill(eng, begging, scored, {"agent_id": [f.agent_id for f in begging]})
    dist = [f for f in flags if f.kind == "improbable_distribution"]
    shapes = sorted({(next(k for k in f.unit if k not in ("source", "score")), f.unit["score"]) for f in dist})
    for unit_field, score in shapes:
        group = [f for f in dist if unit_field in f.unit and f.unit["score"] == score]
        _fill(eng, group, base.filter(base[score].notnull()),
              {unit_field: [f.unit[unit_field] for f in group], "source": [f.unit["source"] for f in group]})


def _fill(eng: Engine, flags: list[ig.Flag], rows: ibis.Table, keys: dict[str, list[Any]]) -> None:
    """Set each flag's records to the rows matching its keys and month (one join for all the flags)."""
    sel = ibis.memtable(pd.DataFrame({**{f"s_{k}": v for k, v in keys.items()},
                                      "s_month": [f.month for f in flags], "s_i": range(len(flags))}))
    cond = [rows[k].cast("string") == sel[f"s_{k}"] for k in keys]
    cond.append(rows.month.cast("date") == sel.s_month.cast("date"))
    got = _frame(eng, rows.inner_join(sel, cond).select("s_i", "record_id"))
    for i, g in got.groupby("s_i"):
        flags[int(i)].records = sorted(set(flags[int(i)].records) | set(g["record_id"]))


_CHECKS = (_begging, _own_identifiers, _distribution, _contradictions, _duplicates)


def run_integrity(ws: Workspace) -> dict[str, Any]:
    """Run every check, replace the stored flags: `{"run_id", "flags", "records", "by_kind", "checks",
    "false_positive_rate", "seconds"}`."""
    t0 = time.perf_counter()
    eng = open_engine(ws)
    src = metric_sources(ws, eng)
    flags: list[ig.Flag] = []
    checks: dict[str, Any] = {}
    for check in _CHECKS:
        found, info = check(ws, eng, src)
        flags.extend(found)
        checks[check.__name__.strip("_")] = info
    _attach_records(ws, eng, src, flags)
    run_id = "IR" + datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    _store(ws, run_id, flags, checks)
    by_kind = pd.Series([f.kind for f in flags], dtype=object).value_counts().to_dict()
    records = len({r for f in flags for r in f.records})
    alpha = ws.settings.integrity.alpha
    return {"run_id": run_id, "flags": len(flags), "records": records, "by_kind": by_kind, "checks": checks,
            "false_positive_rate": {"family_wise_alpha": alpha, "note": (
                f"a unit that behaves like its peers is flagged with probability at most {alpha:g} per check "
                "(Bonferroni over the units and months tested)")},
            "seconds": round(time.perf_counter() - t0, 3)}


def _store(ws: Workspace, run_id: str, flags: list[ig.Flag], checks: dict[str, Any]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = [f.flag_id for f in flags]
    rows = pd.DataFrame({
        "flag_id": ids, "run_id": run_id, "kind": [f.kind for f in flags],
        "agent_id": [f.agent_id for f in flags], "team": [f.team for f in flags],
        "unit": [json.dumps(f.unit, ensure_ascii=False) for f in flags], "month": [f.month for f in flags],
        "severity": [f.severity for f in flags], "n_records": [len(f.records) for f in flags],
        "evidence": [json.dumps(f.evidence, ensure_ascii=False, default=str) for f in flags],
    })
    links = pa.table({"flag_id": [i for i, f in zip(ids, flags, strict=True) for _ in f.records],
                      "record_id": [r for f in flags for r in f.records]})
    con = ws.con
    with transaction(con):
        con.execute("DELETE FROM integrity_flag_records")
        con.execute("DELETE FROM integrity_flags")
        with registered(con, "_flags", pa.Table.from_pandas(rows, preserve_index=False)):
            con.execute("INSERT INTO integrity_flags SELECT flag_id, run_id, kind, agent_id, team, unit::JSON, "
                        "month::DATE, severity, n_records, evidence::JSON FROM _flags")
        with registered(con, "_links", links):
            con.execute("INSERT INTO integrity_flag_records SELECT DISTINCT flag_id, record_id FROM _links")
        con.execute("INSERT INTO integrity_runs VALUES (?, ?, ?, ?, ?, ?)",
                    [run_id, now, datetime.now(UTC).replace(tzinfo=None), len(flags), len(links),
                     json.dumps(checks, ensure_ascii=False, default=str)])


def list_flags(ws: Workspace, *, kind: str | None = None, agent_id: str | None = None,
               month: str | None = None) -> dict[str, Any]:
    """`{"flags": [{flag_id, kind, agent_id, team, unit, month, records, evidence, severity}], "run_id"}`."""
    if kind is not None and kind not in ig.KINDS:
        raise UsageError(f"--kind {kind!r}: use one of {', '.join(ig.KINDS)}", field="kind")
    rows = ws.con.execute(
        "SELECT f.flag_id, f.kind, f.agent_id, f.team, f.unit::VARCHAR, strftime(f.month, '%Y-%m'), "
        "f.evidence::VARCHAR, f.severity, f.run_id, (SELECT list(record_id ORDER BY record_id) "
        "FROM integrity_flag_records x WHERE x.flag_id = f.flag_id) FROM integrity_flags f "
        "WHERE (? IS NULL OR f.kind = ?) AND (? IS NULL OR f.agent_id = ?) "
        "AND (? IS NULL OR strftime(f.month, '%Y-%m') = ?) "
        "ORDER BY f.month, f.kind, f.agent_id, f.flag_id", [kind, kind, agent_id, agent_id, month, month]).fetchall()
    flags = [{"flag_id": r[0], "kind": r[1], "agent_id": r[2], "team": r[3], "unit": json.loads(r[4]),
              "month": r[5], "records": list(r[9] or []), "evidence": json.loads(r[6]), "severity": r[7]}
             for r in rows]
    run = ws.con.execute("SELECT run_id FROM integrity_runs ORDER BY started_at DESC LIMIT 1").fetchall()
    return {"flags": flags, "run_id": run[0][0] if run else None}
