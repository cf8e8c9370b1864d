"""Every metric on a small hand-computed data set (expected numbers worked out by hand, see comments)."""

from __future__ import annotations

import importlib.util
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cxloop.app.metrics_service import compute_metric

_spec = importlib.util.spec_from_file_location(
    "metrics_factory", Path(__file__).resolve().parents[1] / "unit" / "metrics" / "factory.py"
)
assert _spec and _spec.loader
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)

T0 = datetime(2026, 3, 2, 2, 0)  # 10:00 Monday in Asia/Shanghai


def golden_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    recs: list[dict[str, Any]] = []
    # NPS: app 10 answers -> 4 promoters, 4 detractors, 2 passives = 0; hotline 4P 1D of 5 = 60.
    for s in [10, 9, 9, 8, 7, 6, 5, 0, 10, 3]:
        recs.append({"occurred_at": T0, "channel": "app", "nps": s})
    for s in [9, 9, 9, 9, 6]:
        recs.append({"occurred_at": T0, "channel": "hotline", "nps": s})
    # CSAT 5,4,3,2,1: top-2-box 40%, mean 3. CES 7,6,5: mean 6. Rating 5,4: mean 4.5.
    recs += [{"occurred_at": T0, "channel": "app", "csat": float(s)} for s in [5, 4, 3, 2, 1]]
    recs += [{"occurred_at": T0, "channel": "app", "ces": float(s)} for s in [7, 6, 5]]
    recs += [{"occurred_at": T0, "channel": "app", "rating": float(s)} for s in [5, 4]]
    # Contacts: c1 resolved then again 2 days later (a repeat), c2 transferred, c3 abandoned, c4 resolved.
    recs += [
        {"occurred_at": T0, "channel": "hotline", "customer_id": "c1", "outcome": "resolved"},
        {"occurred_at": T0 + timedelta(days=2), "channel": "hotline", "customer_id": "c1", "outcome": "unresolved"},
        {"occurred_at": T0, "channel": "hotline", "customer_id": "c2", "outcome": "transferred"},
        {"occurred_at": T0, "channel": "hotline", "customer_id": "c3", "outcome": "abandoned"},
        {"occurred_at": T0, "channel": "hotline", "customer_id": "c4", "outcome": "resolved"},
        # a resolved record without a case: 3600 s = 1 hour to resolution
        {"occurred_at": T0, "channel": "email", "outcome": "resolved", "duration_seconds": 3600.0},
    ]
    evs: list[dict[str, Any]] = []
    ivr = {"s1": ["ivr_start", "ivr_node", "ivr_selfservice_success"], "s2": ["ivr_start", "ivr_to_agent"],
           "s3": ["ivr_start", "ivr_abandon"], "s4": ["ivr_start", "ivr_node"]}
    for sid, types in ivr.items():  # lost: s3 and s4 -> 50%
        evs += [{"occurred_at": T0 + timedelta(seconds=i), "channel": "ivr", "session_id": sid, "event_type": et}
                for i, et in enumerate(types)]
    for case, hours in (("A", 2), ("B", 10)):  # cases resolved after 2 h and 10 h
        evs += [{"occurred_at": T0, "channel": "chat", "case_id": case, "event_type": "order"},
                {"occurred_at": T0 + timedelta(hours=hours), "channel": "chat", "case_id": case,
                 "event_type": "resolved"}]
    return recs, evs


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    w = factory.make_ws(tmp_path_factory.mktemp("golden") / "ws")
    recs, evs = golden_rows()
    factory.add_records(w, recs)
    factory.add_events(w, evs)
    yield w
    w.close()


def one(ws: Any, metric: str, **kw: Any) -> dict[str, Any]:
    rows = compute_metric(ws, {"metric": metric, **kw})["rows"]
    assert len(rows) == 1
    return rows[0]


def test_nps_by_channel(ws: Any) -> None:
    rows = compute_metric(ws, {"metric": "nps", "by": "channel"})["rows"]
    app, hotline = rows
    assert (app["channel"], app["n"], app["value"]) == ("app", 10, 0.0)
    # adjusted Wald: n'=13, p'=d'=4.75/13, se=sqrt(0.7308/13)=0.2371 -> +-46.47
    assert app["ci_low"] == pytest.approx(-46.4693, abs=1e-3) and app["ci_high"] == pytest.approx(46.4693, abs=1e-3)
    assert (hotline["n"], hotline["value"]) == (5, 60.0)
    assert hotline["ci_low"] == pytest.approx(-19.2999, abs=1e-3)
    assert hotline["ci_high"] == pytest.approx(94.2999, abs=1e-3)
    assert app["low_n"] and hotline["low_n"]


def test_csat_top2_wilson_and_mean(ws: Any) -> None:
    row = one(ws, "csat")
    assert (row["n"], row["value"], row["mean"]) == (5, 40.0, 3.0)
    assert row["ci_low"] == pytest.approx(11.7621, abs=1e-3) and row["ci_high"] == pytest.approx(76.9276, abs=1e-3)


def test_ces_and_rating_t_intervals(ws: Any) -> None:
    ces = one(ws, "ces")
    half = 4.302652729911275 * 1.0 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert (ces["n"], ces["value"]) == (3, 6.0)
    assert ces["ci_low"] == pytest.approx(6 - half) and ces["ci_high"] == pytest.approx(6 + half)
    rating = one(ws, "rating")
    half = 12.706204736174696 * math.sqrt(0.5) / math.sqrt(2)
    assert (rating["n"], rating["value"]) == (2, 4.5)
    assert rating["ci_high"] == pytest.approx(4.5 + half)


def test_contact_rates(ws: Any) -> None:
    # 6 contacts with an outcome? No: the e-mail record has no customer, so 5 contacts (c1 twice).
    fcr = one(ws, "fcr")
    assert (fcr["n"], fcr["value"]) == (5, 20.0)  # only c4: c1's first contact was repeated in 2 days
    assert fcr["ci_low"] == pytest.approx(3.6224, abs=1e-3) and fcr["ci_high"] == pytest.approx(62.4465, abs=1e-3)
    assert one(ws, "transfer")["value"] == 20.0
    assert one(ws, "abandonment")["value"] == 20.0
    rep = one(ws, "repeat_contact")
    assert (rep["n"], rep["value"]) == (5, 20.0)
    notes = compute_metric(ws, {"metric": "repeat_contact"})["notes"]
    assert any("customer only (any topic)" in n for n in notes)


def test_ivr_lost(ws: Any) -> None:
    row = one(ws, "ivr_lost")
    assert (row["n"], row["value"]) == (4, 50.0)
    assert row["ci_low"] == pytest.approx(15.0039, abs=1e-3)


def test_resolution_time_median_hours(ws: Any) -> None:
    row = one(ws, "resolution_time")
    assert (row["n"], row["value"]) == (3, 2.0)  # median of 1 h, 2 h, 10 h
    assert row["ci_low"] <= 2.0 <= row["ci_high"]
    assert row["ci_low"] >= 1.0 and row["ci_high"] <= 10.0


def test_3e_index(ws: Any) -> None:
    row = one(ws, "3e")
    # effectiveness: outcomes [1,0,0,0,1] + the e-mail's 1 + CSAT top-2 [1,1,0,0,0] = 5/11;
    # ease: outcomes (transferred 0) [1,1,0,1,1,1] + CES (ces-1)/6 [1, 5/6, 4/6] = 7.5/9;
    # no enrichments -> no emotion component; n = 6 outcomes + 5 CSAT + 3 CES records.
    assert row["effectiveness"] == pytest.approx(500 / 11)
    assert row["ease"] == pytest.approx(750 / 9)
    assert row["emotion"] is None
    assert row["value"] == pytest.approx((500 / 11 + 750 / 9) / 2)
    assert row["n"] == 14
    assert row["ci_low"] < row["value"] < row["ci_high"]


def test_repeat_contact_uses_topics_when_enriched(tmp_path: Path) -> None:
    w = factory.make_ws(tmp_path / "ws")
    factory.add_records(w, [
        {"record_id": "a", "occurred_at": T0, "customer_id": "c1", "outcome": "resolved"},
        {"record_id": "b", "occurred_at": T0 + timedelta(days=1), "customer_id": "c1", "outcome": "resolved"},
        {"record_id": "c", "occurred_at": T0 + timedelta(days=2), "customer_id": "c1", "outcome": "resolved"},
    ])
    factory.add_enrichments(w, [{"record_id": "a", "topic_id": "billing"}, {"record_id": "b", "topic_id": "app"},
                                {"record_id": "c", "topic_id": "billing"}])
    row = one(w, "repeat_contact")
    assert (row["n"], row["value"]) == (3, pytest.approx(100 / 3))  # only a -> c (same topic, 2 days)
    by_topic = compute_metric(w, {"metric": "repeat_contact", "by": "topic_id"})["rows"]
    assert [(r["topic_id"], r["n"]) for r in by_topic] == [("app", 1), ("billing", 2)]
    w.close()
