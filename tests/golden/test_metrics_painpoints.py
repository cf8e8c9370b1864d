"""Pain points, drivers, emerging issues and --compare previous on a planted defect (seed_topics)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from typing import Any

import pytest

from cxloop.app import metrics_service as svc

_spec = importlib.util.spec_from_file_location(
    "metrics_factory", Path(__file__).resolve().parents[1] / "unit" / "metrics" / "factory.py"
)
assert _spec and _spec.loader
factory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(factory)

PLANT_DAY = "2026-03-22"  # day 80 of the data set, 2026-01-01 + 80 days


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    w = factory.make_ws(tmp_path_factory.mktemp("pp") / "ws")
    factory.seed_topics(w)
    yield w
    w.close()


def test_planted_painpoint_ranks_first_with_documented_score(ws: Any) -> None:
    out = svc.rank_painpoints(ws, since="7d")
    top = out["painpoints"][0]
    assert (top["topic"], top["product"], top["owner_department"]) == ("battery", "P2", "quality")
    keys = {"topic", "product", "volume", "customers", "negative_share", "trend", "trend_p", "driver_impact",
            "owner_department", "first_seen", "score"}
    assert keys <= set(top)
    # 7 days x (4 steady + 12 planted) = 108 records, 60 the week before
    assert (top["volume"], top["prev_volume"]) == (108, 60)
    assert top["trend"] == pytest.approx(0.8) and top["trend_p"] < 0.01
    growth = min(max(top["trend"], 0), 3)
    # the baseline: every NPS answer of the window (the last 7 local days, 2026-03-25..31 = from 03-24 16:00 UTC)
    n_all, d_all = ws.con.execute(
        "SELECT count(nps), count(*) FILTER (nps <= 6) FROM records WHERE occurred_at >= TIMESTAMP '2026-03-24 16:00'"
    ).fetchall()[0]
    assert out["baseline"] == {"respondents": n_all, "detractors": d_all, "detractor_share": d_all / n_all}
    n, x, d0, z = top["respondents"], top["detractors"], d_all / n_all, 1.959963984540054
    assert n == 108 and x / n == pytest.approx(top["detractor_share"])
    p = x / n
    wilson_low = (p + z * z / (2 * n) - z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)
    assert top["nps_at_stake"] == pytest.approx(100 * (x - n * d0) / n_all)
    assert top["nps_at_stake_low"] == pytest.approx(100 * n * (wilson_low - d0) / n_all)
    assert top["score"] == pytest.approx(top["nps_at_stake_low"] * (1 + growth))
    assert top["voice"] == pytest.approx(top["customers"] * top["negative_share"])
    assert all(p["score"] <= top["score"] for p in out["painpoints"])


def test_verbatims_drill_down(ws: Any) -> None:
    out = svc.rank_painpoints(ws, since="7d", topic="battery", product="P2", verbatims=3)
    assert [p["topic"] for p in out["painpoints"]] == ["battery"]
    assert len(out["verbatims"]) == 3
    assert all(v["topic_id"] == "battery" and v["product"] == "P2" for v in out["verbatims"])
    assert out["verbatims"][0]["sentiment_score"] == pytest.approx(-0.9)


def test_emerging_catches_the_planted_defect_within_its_first_week(ws: Any) -> None:
    before = svc.detect_emerging(ws, asof="2026-03-20")
    assert before["issues"] == [] and before["series"] == 12
    after = svc.detect_emerging(ws, asof="2026-03-28")  # 7 days after the start
    assert [(i["topic"], i["product"]) for i in after["issues"]] == [("battery", "P2")]
    first = after["issues"][0]["first_detected"]
    assert PLANT_DAY <= first <= "2026-03-28"


def test_drivers_rank_the_detractor_topic_with_intervals(ws: Any) -> None:
    out = svc.driver_analysis(ws, target="nps", since="14d")
    battery = next(d for d in out["drivers"] if d["level"] == "battery")
    assert out["drivers"][0]["level"] == "battery"
    assert battery["effect"] < 0 and battery["effect_ci_high"] < 0
    assert battery["importance_ci_low"] <= battery["importance"] <= battery["importance_ci_high"]
    assert battery["uplift"] > max(d["uplift"] for d in out["drivers"] if d["level"] != "battery")
    # eta^2 from first principles: SSB / SST over y in {100, 0, -100} of the last 14 days
    p, d, n = ws.con.execute(
        "SELECT count(*) FILTER (nps >= 9), count(*) FILTER (nps <= 6), count(*) FROM records "
        "WHERE nps IS NOT NULL AND occurred_at >= TIMESTAMP '2026-03-17 16:00'"
    ).fetchall()[0]
    mean = 100 * (p - d) / n
    sst = 1e4 * (p + d) - n * mean**2
    ssb = sum(r["n"] * (r["mean"] - mean) ** 2 for r in out["drivers"])
    assert out["n"] == n
    assert out["r2"]["topic"] == pytest.approx(100 * ssb / sst)


def test_compare_previous_flags_the_nps_drop(ws: Any) -> None:
    out = svc.compute_metric(ws, {"metric": "nps", "since": "7d", "asof": "2026-03-25", "compare": "previous",
                                  "where": ["topic_id=battery"]})
    row = out["rows"][0]
    assert row["delta"] == pytest.approx(row["value"] - row["prev_value"])
    assert row["delta"] < 0 and row["significant"] and row["p_value"] < 0.05
    weekly = svc.compute_metric(ws, {"metric": "nps", "by": "week", "compare": "previous"})["rows"]
    assert weekly[0]["prev_value"] is None
    assert weekly[5]["prev_value"] == pytest.approx(weekly[4]["value"])
