"""DuckDB/Spark parity for journeys: flows, variants, IVR paths, channel switching, episodes and the journey
map give the same results on both engines over the golden workspace plus an event log with lifecycle
transitions and ties in time (one local Spark session for the module).

On DuckDB, flows and variants take the numpy path (`journeys.sequences`); on Spark the portable Ibis
expressions (`journeys.flows`) run — so this also checks the two implementations against each other.
"""

from __future__ import annotations

import csv
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from cxloop.app import Workspace
from cxloop.app import journeys_service as js
from cxloop.app.engines import Engine, open_engine
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile

pytestmark = [pytest.mark.spark, pytest.mark.slow]

_root = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("journeys_golden", _root / "golden" / "test_journeys_golden.py")
assert _spec and _spec.loader
golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(golden)


# Two traces of a process log: `start`/`complete` transitions, equal timestamps (ties keep file order),
# and a repeated activity.
LOG = [
    ("t1", "register", "start", "2026-09-03 08:00:00"),
    ("t1", "register", "complete", "2026-09-03 08:00:00"),
    ("t1", "check", "complete", "2026-09-03 08:05:00"),
    ("t1", "check", "complete", "2026-09-03 08:05:00"),
    ("t1", "decide", "COMPLETE", "2026-09-03 09:00:00"),
    ("t2", "register", "complete", "2026-09-03 08:01:00"),
    ("t2", "decide", "start", "2026-09-03 08:02:00"),
    ("t2", "decide", "complete", "2026-09-03 08:03:30"),
]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, spark_test_settings: str) -> Iterator[tuple[Workspace, Engine]]:
    folder = tmp_path_factory.mktemp("journeys_parity")
    root = golden.build_workspace(folder)
    log = folder / "log.csv"
    with log.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case", "activity", "lifecycle:transition", "time"])
        writer.writerows(LOG)
    with Workspace.open(root) as ws:
        ingest(ws, log, source="process", profile=SourceProfile(channel="backoffice", kind="event", map={
            "session_id": "case", "event_type": "activity", "occurred_at": "time"}))
    with (root / "cxloop.toml").open("a", encoding="utf-8") as fh:
        fh.write(spark_test_settings)
    ws = Workspace.open(root, read_only=True)  # as the CLI opens it (same configuration in one process)
    spark = open_engine(ws, "spark", js.JOURNEY_TABLES)
    yield ws, spark
    ws.close()


@pytest.mark.parametrize(("by", "per", "lifecycle"), [
    ("event_type", None, None), ("event_type", "session", "complete"), ("channel", "customer", None),
    ("touchpoint", "customer", None), ("stage", "customer", None), ("channel", "episode", None),
])
def test_flows_and_variants_same_on_both_engines(assert_same: Any,
    engines: tuple[Workspace, Engine], by: str, per: str | None, lifecycle: str | None
) -> None:
    ws, spark = engines
    on_duckdb = js.flows(ws, by=by, per=per, lifecycle=lifecycle)
    on_spark = js.flows(ws, by=by, per=per, lifecycle=lifecycle, engine=spark)
    assert on_duckdb["edges"], "the case must have edges"
    assert_same(on_duckdb, on_spark)
    assert_same(js.variants(ws, by=by, per=per, lifecycle=lifecycle, top=5),
          js.variants(ws, by=by, per=per, lifecycle=lifecycle, top=5, engine=spark))


def test_lifecycle_filter_and_ties_on_spark(engines: tuple[Workspace, Engine]) -> None:
    ws, spark = engines
    edges = {(e["from"], e["to"]): e["count"]
             for e in js.flows(ws, by="event_type", per="session", lifecycle="complete", engine=spark)["edges"]}
    assert edges[("register", "check")] == 1 and edges[("check", "check")] == 1
    assert edges[("check", "decide")] == 1 and edges[("register", "decide")] == 1


@pytest.mark.parametrize("name", ["ivr_paths", "channel_switching", "episodes", "journey_map"])
def test_service_views_same_on_both_engines(assert_same: Any, engines: tuple[Workspace, Engine], name: str) -> None:
    ws, spark = engines
    view = getattr(js, name)
    assert_same(view(ws), view(ws, engine=spark))


def test_cli_engine_option(assert_same: Any, engines: tuple[Workspace, Engine], cli: Any) -> None:
    ws, _spark = engines
    args = ("journeys", "flows", "--lifecycle", "complete", "--workspace", str(ws.root), "--format", "json")
    on_spark = cli(*args, "--engine", "spark")
    assert on_spark.code == 0, on_spark.stderr
    assert_same(on_spark.json(), cli(*args).json())
    bad = cli(*args, "--engine", "flink")
    assert bad.code == 2 and "use duckdb or spark" in bad.stderr
