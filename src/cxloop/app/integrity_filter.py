"""`--exclude-flagged`: leave the responses that integrity flags cover out of every metric, and count them.

The switch is the workspace setting `integrity.exclude_flagged`, overridden per call (the CLI's
`--exclude-flagged/--include-flagged`). Flagged records are those of `integrity_flag_records` (the latest
`cxloop integrity run`). Every service that computes a metric builds its `Sources` through
`sources_for`, and reports `excluded_flagged`: how many of the records its selection would otherwise have
counted were left out.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from cxloop.app.engines import Engine
from cxloop.app.workspace import Workspace
from cxloop.metrics.relations import Sources
from cxloop.metrics.timeframe import Window

__all__ = ["FLAG_RECORDS", "excluded_count", "exclusion_active", "exclusion_note", "flagged_only", "sources_for"]

FLAG_RECORDS = "integrity_flag_records"


def exclusion_active(ws: Workspace, exclude_flagged: bool | None) -> bool:
    """The call's choice, else the workspace setting."""
    return ws.settings.integrity.exclude_flagged if exclude_flagged is None else bool(exclude_flagged)


def _flag_ids(ws: Workspace, eng: Engine) -> ir.Table:
    if eng.name == "duckdb":
        t = eng.table(FLAG_RECORDS)
        return t.select(f_record_id=t.record_id).distinct()
    ids = [r[0] for r in ws.con.execute(f"SELECT DISTINCT record_id FROM {FLAG_RECORDS}").fetchall()]
    return ibis.memtable(pa.table({"f_record_id": pa.array(ids, pa.string())}))


def sources_for(ws: Workspace, eng: Engine, src: Sources, active: bool) -> Sources:
    """`src` with the flagged records removed when `active` (and no pre-joined topic copy, which would
    still hold them)."""
    if not active:
        return src
    ids = _flag_ids(ws, eng)
    r = src.records
    kept = r.anti_join(ids, r.record_id == ids.f_record_id)
    return replace(src, records=kept, topic_facts=None)


def flagged_only(ws: Workspace, eng: Engine, src: Sources) -> Sources:
    """Only the flagged records and no events: a selection over it counts what the exclusion removed."""
    ids = _flag_ids(ws, eng)
    r = src.records
    only = r.semi_join(ids, r.record_id == ids.f_record_id)
    ev = src.events
    return replace(src, records=only, events=ev.filter(ibis.literal(False)), topic_facts=None)


def excluded_count(eng: Engine, flagged_selection: ir.Table, window: Window | None = None) -> int:
    """Rows of a selection built on `flagged_only` sources within `window`."""
    t = flagged_selection
    if window is not None:
        preds = []
        if window.start is not None:
            preds.append(t.occurred_at >= window.start)
        if window.end is not None:
            preds.append(t.occurred_at < window.end)
        t = t.filter(*preds) if preds else t
    value = eng.to_arrow(t.aggregate(n=t.count())).column("n")[0].as_py()
    return int(value or 0)


def exclusion_note(active: bool, excluded: int) -> dict[str, Any]:
    """The keys every metric output carries."""
    return {"exclude_flagged": active, "excluded_flagged": excluded if active else 0}
