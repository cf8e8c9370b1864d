"""Generate the demo company's exports, their source profiles and the planted ground truth.

`generate_demo(folder, records=N, seed=S)` is deterministic per seed (independent random streams per
stage from `SeedSequence([seed, stage])`), vectorised with numpy, and writes one file per source into
`folder`. It opens no database: the app layer ingests the files (see `cxloop.app.demo_service`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from cxloop.demo.derive import derive_strings, source_bounds
from cxloop.demo.event_layouts import case_export, ivr_export, order_export
from cxloop.demo.events import case_events, ivr_events, order_events
from cxloop.demo.exports import Export, RecordView, profile
from cxloop.demo.layouts import RECORD_LAYOUTS
from cxloop.demo.planted import (
    SHARED_CASE_BASE,
    PlantContext,
    plant_defect,
    plant_gamed_agent,
    plant_nps_fix,
    plant_repeaters,
    plant_switchboard,
    plant_two_phones,
    product_index,
    topic_index,
)
from cxloop.demo.population import make_customers
from cxloop.demo.records import Frame, base_records, concat_frames, draw_times
from cxloop.demo.sources import SOURCES
from cxloop.demo.staff import make_staff
from cxloop.demo.texts import TextBanks, write_texts
from cxloop.demo.truth import gamed_agent_truth, nps_fix_truth
from cxloop.demo.vocab import BRAND, IVR_NODES, WINDOW_DAYS, WINDOW_START
from cxloop.demo.writer import apply_bad_rows, mark_bad_rows, write_export
from cxloop.errors import UsageError

__all__ = ["MIN_RECORDS", "DemoResult", "generate_demo"]

MIN_RECORDS = 2000
BAD_SHARE = 0.02  # of each record export
EVENT_BAD_SHARE = 0.005


@dataclass
class DemoResult:
    """What was generated: files per source, their profiles, per-file counts and the ground truth."""

    folder: Path
    files: dict[str, Path]
    profiles: dict[str, dict[str, Any]]
    counts: dict[str, dict[str, int]]
    truth: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def _rng(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, stage]))


def _build_frame(seed: int, records: int) -> tuple[Frame, dict[str, Any], Any, Any]:
    """Customers, staff, planted rows plus base rows, sorted by (source, time), texts written."""
    customers, spare = make_customers(max(MIN_RECORDS, records // 3), _rng(seed, 1), spare=max(6, records // 20000))
    staff = make_staff({s.name: int(records * s.share) for s in SOURCES}, _rng(seed, 2))
    ctx = PlantContext(_rng(seed, 3), records, customers, staff, np.zeros(len(customers), dtype=bool))
    defect_f, defect = plant_defect(ctx)
    repeat_f, repeaters = plant_repeaters(ctx)
    two_f, two_phones = plant_two_phones(ctx, spare)
    switch_f, switchboard = plant_switchboard(ctx)
    planted = [defect_f, repeat_f, two_f, switch_f]
    base = base_records(_rng(seed, 4), records - sum(len(p["src"]) for p in planted), customers, staff)
    gamed = plant_gamed_agent(ctx, base)
    fix = plant_nps_fix(ctx, base)
    f = concat_frames([base, *planted])
    order = np.lexsort((f["ts"], f["src"]))
    f = {k: v[order] for k, v in f.items()}
    banks = TextBanks(_rng(seed, 5))
    text_rng = _rng(seed, 6)
    f["text"] = np.empty(len(order), dtype=object)
    for name, sl in source_bounds(f).items():
        spec = SOURCES[[s.name for s in SOURCES].index(name)]
        rows = {k: f[k][sl] for k in ("topic", "tval", "prod", "beg", "plant")}
        f["text"][sl] = write_texts(text_rng, banks, spec.style, rows) if sl.stop > sl.start else []
    truth = {"defect": defect, "repeaters": repeaters, "two_phones": two_phones, "switchboard": switchboard,
             "gamed": gamed, "fix": fix}
    return f, truth, customers, staff


def _write_records(seed: int, f: Frame, folder: Path, strings: dict[str, np.ndarray],
                   bounds: dict[str, slice]) -> tuple[list[Export], dict[str, dict[str, int]], dict[str, Path]]:
    rng = _rng(seed, 8)
    f["bad"] = np.zeros(len(f["src"]), dtype=np.int8)
    exports, counts, files = [], {}, {}
    for spec in SOURCES:
        sl = bounds[spec.name]
        export = RECORD_LAYOUTS[spec.name](RecordView(f, sl, strings), rng)
        protected = f["plant"][sl] > 0
        f["bad"][sl] = mark_bad_rows(rng, sl.stop - sl.start, protected, BAD_SHARE,
                                     has_scores=bool(export.score_columns), allow_empty=export.format == "csv")
        table, counts[spec.name] = apply_bad_rows(export, f["bad"][sl], rng)
        files[spec.name] = write_export(export, table, folder)
        exports.append(export)
    return exports, counts, files


def _write_events(seed: int, f: Frame, customers: Any, derived: Any, fix: dict[str, Any], folder: Path,
                  ) -> tuple[list[Export], dict[str, dict[str, int]], dict[str, Path], dict[str, Any]]:
    rng = _rng(seed, 9)
    n_hot = int((f["src"] == 0).sum())
    m = round(n_hot * 0.7)
    callers = customers.phone[rng.choice(len(customers), m, p=customers.weight)].astype(str).astype(object)
    extra_ts = np.sort(draw_times(rng, m, consumer=np.zeros(m, dtype=bool)))
    lost_node = ("2-1", "2-2", "3-1")[int(rng.integers(0, 3))]
    ivr_table, ivr_truth = ivr_events(rng, f, derived, lost_node, callers, extra_ts)
    tables = [(ivr_export(ivr_table), True),
              (case_export(case_events(f, derived, rng)), False),
              (order_export(order_events(f, derived, rng, (product_index(fix["product"]), fix["_fix_ts"]))),
               False)]
    exports, counts, files = [], {}, {}
    for export, dup_only in tables:
        case = export.table().column(export.columns[0].name).to_numpy(zero_copy_only=False)
        planted_case = np.char.startswith(case.astype(str), f"SR{SHARED_CASE_BASE // 10**7}")
        marks = mark_bad_rows(rng, export.n_rows, planted_case, EVENT_BAD_SHARE,
                              has_scores=False, allow_empty=True, dup_only=dup_only)
        table, counts[export.source] = apply_bad_rows(export, marks, rng)
        files[export.source] = write_export(export, table, folder)
        exports.append(export)
    return exports, counts, files, ivr_truth


def generate_demo(folder: Path, *, records: int, seed: int) -> DemoResult:
    """Write every export of a demo company with about `records` VOC records into `folder`."""
    if records < MIN_RECORDS:
        raise UsageError(f"--records must be at least {MIN_RECORDS} (got {records})")
    folder.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    f, planted, customers, staff = _build_frame(seed, records)
    timings["records"] = time.perf_counter() - t0
    bounds = source_bounds(f)
    strings, derived = derive_strings(_rng(seed, 7), f, customers, staff, bounds)
    strings["text"] = f["text"]
    rec_exports, counts, files = _write_records(seed, f, folder, strings, bounds)
    timings["record_files"] = time.perf_counter() - t0 - timings["records"]
    ev_exports, ev_counts, ev_files, ivr_truth = _write_events(seed, f, customers, derived, planted["fix"], folder)
    timings["event_files"] = time.perf_counter() - t0 - sum(timings.values())
    counts.update(ev_counts)
    files.update(ev_files)
    exports = rec_exports + ev_exports
    truth = _truth(seed, records, f, planted, ivr_truth, exports, counts, len(customers))
    return DemoResult(folder, files, {e.source: profile(e) for e in exports}, counts, truth, timings)


def _public(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


def _andon_truth(planted: dict[str, Any]) -> dict[str, Any]:
    """What `cxloop alerts run` must do on the demo: hold the defect's product within a week of its first
    report, hold little else, and open a case for every planted repeat-contact customer."""
    defect = planted["defect"]
    first = date.fromisoformat(defect["week_start"])
    return {
        "rule": "andon: 3 distinct customers within 7 days (cxloop init's default)",
        "product": defect["product"], "issue_stems": defect["wording_stems"],
        "first_report_day": first.isoformat(), "held_by": (first + timedelta(days=7)).isoformat(),
        "max_other_holds": 3,
        "repeat_contact_cases": [r["phone"] for r in planted["repeaters"]],
    }


def _truth(seed: int, records: int, f: Frame, planted: dict[str, Any], ivr: dict[str, Any],
           exports: list[Export], counts: dict[str, dict[str, int]], n_customers: int) -> dict[str, Any]:
    fix = planted["fix"]
    return {
        "schema": "cxloop-demo-ground-truth/1",
        "company": f"{BRAND}科技 (Xinglan, fictional consumer electronics)",
        "seed": seed, "records": records, "customers": n_customers,
        "window": {"start": WINDOW_START, "days": WINDOW_DAYS, "timezone": "Asia/Shanghai"},
        "files": {e.source: {"file": e.file, "format": e.format, "encoding": e.encoding, "channel": e.channel,
                             "kind": e.kind, "date_column": e.date_column, **counts[e.source]} for e in exports},
        "emerging_defect": planted["defect"],
        "andon": _andon_truth(planted),
        "repeat_contacts": [_public(r) for r in planted["repeaters"]],
        "ivr_lost_node": ivr,
        "gamed_agent": gamed_agent_truth(f, planted["gamed"]),
        "two_phone_customers": [_public(p) for p in planted["two_phones"]],
        "pain_point_fix": nps_fix_truth(f, fix, product_index(fix["product"]), topic_index(fix["topic"])),
        "switchboard": planted["switchboard"],
        "ivr_nodes": {n.node: n.label for n in IVR_NODES},
    }
