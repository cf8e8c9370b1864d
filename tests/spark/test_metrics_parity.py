"""DuckDB/Spark parity: every metric, pain points, drivers and emerging issues give the same numbers on
both engines over the same small workspace (one local Spark session for the module)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from cxloop.app import Workspace
from cxloop.app import metrics_service as svc
from cxloop.metrics.query import METRICS

pytestmark = [pytest.mark.spark, pytest.mark.slow]

_root = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


factory = _load("metrics_factory", _root / "unit" / "metrics" / "factory.py")
golden = _load("metrics_golden", _root / "golden" / "test_metrics_golden.py")




@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, spark_test_settings: str):
    root = tmp_path_factory.mktemp("parity") / "ws"
    ws = factory.make_ws(root)
    factory.seed_topics(ws, days=70, planted_from=60)
    recs, evs = golden.golden_rows()
    factory.add_records(ws, [{**r, "record_id": f"g{i}"} for i, r in enumerate(recs)])
    factory.add_events(ws, evs)
    # a taxonomy family (parent level) and texts no topic covers: clustered and not (emerging series)
    factory.add_taxonomy(ws, [{"topic_id": "device", "parent_id": None}])
    ws.con.execute("UPDATE taxonomy SET parent_id = 'device' WHERE topic_id IN ('battery', 'app')").fetchall()
    factory.add_records(ws, [{"record_id": f"u{i}", "channel": "app", "product": "P3", "text": "new",
                              "occurred_at": f"2026-03-{1 + i % 10:02d} 0{i % 7}:00:00"} for i in range(40)])
    factory.add_enrichments(ws, [{"record_id": f"u{i}", "topic_id": None, "sentiment": "neg",
                                  "cluster_id": "cand-x" if i % 2 else None} for i in range(40)])
    ws.close()
    with (root / "cxloop.toml").open("a", encoding="utf-8") as fh:
        fh.write(spark_test_settings)
    ws = Workspace.open(root)
    spark = svc.open_engine(ws, "spark")
    yield ws, spark
    ws.close()


def _strip(out: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in out.items() if k != "engine"}


@pytest.mark.parametrize("metric", METRICS)
def test_every_metric_same_on_both_engines(assert_same: Any, engines, metric: str) -> None:
    ws, spark = engines
    query = {"metric": metric, "by": "month,channel"}
    duck = svc.compute_metric(ws, query)
    assert duck["rows"], metric
    assert_same(_strip(duck), _strip(svc.compute_metric(ws, query, engine=spark)))


def test_windows_compare_and_topics_same(assert_same: Any, engines) -> None:
    ws, spark = engines
    query = {"metric": "nps", "by": "week,topic_id", "since": "30d", "compare": "previous",
             "where": ["product=P2", "product=P1"]}
    assert_same(_strip(svc.compute_metric(ws, query)), _strip(svc.compute_metric(ws, query, engine=spark)))


def test_painpoints_drivers_emerging_same(assert_same: Any, engines) -> None:
    ws, spark = engines
    painpoints = {"since": "7d", "verbatims": 3, "topic": "battery"}
    assert_same(svc.rank_painpoints(ws, **painpoints), svc.rank_painpoints(ws, **painpoints, engine=spark))
    assert_same(svc.driver_analysis(ws, features="topic,channel"),
          svc.driver_analysis(ws, features="topic,channel", engine=spark))
    duck = svc.detect_emerging(ws)
    assert duck["issues"]
    spark_emerging = svc.detect_emerging(ws, engine=spark)
    assert_same(duck, spark_emerging)
    # DuckDB from its time-ordered topic copy: still the same numbers as Spark's join
    assert svc.refresh_topic_facts(ws)["rows"] > 0
    assert svc.metric_sources(ws, svc.open_engine(ws), topic_facts=True).topic_facts is not None
    ranked = svc.rank_painpoints(ws, since="30d", limit=50)
    assert len(ranked["painpoints"]) > 5
    assert_same(ranked, svc.rank_painpoints(ws, since="30d", limit=50, engine=spark))
    assert_same(svc.detect_emerging(ws), spark_emerging)
    # the replay (topic, cluster and uncovered series) and the parent-level ranking
    assert_same(svc.detect_emerging(ws, since="30d"), svc.detect_emerging(ws, since="30d", engine=spark))
    parents = {"since": "all", "level": "parent", "limit": 50}
    assert_same(svc.rank_painpoints(ws, **parents), svc.rank_painpoints(ws, **parents, engine=spark))
