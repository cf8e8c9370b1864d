"""A Spark lake workspace from the CLI, without starting Spark: `init --engine spark` writes the typed
`[engine]` table, and commands that cannot run there (or name the wrong engine) fail with one clear line."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cxloop.app import Workspace
from cxloop.app.lake import warehouse_uri
from cxloop.config import Settings, load_settings
from cxloop.errors import ConfigError


def test_init_writes_the_engine_table(cli: Callable[..., Any], tmp_path: Path) -> None:
    root = tmp_path / "lake"
    out = cli("init", root, "--engine", "spark", "--warehouse", "s3a://bucket/cx", "--master", "spark://h:7077",
              "--format", "json")
    assert out.code == 0, out.stderr
    assert out.json()["warehouse"] == "s3a://bucket/cx"
    table = tomllib.loads((root / "cxloop.toml").read_text(encoding="utf-8"))["engine"]
    assert table == {"kind": "spark", "master": "spark://h:7077", "warehouse": "s3a://bucket/cx", "conf": {}}
    settings = load_settings(root)
    assert settings.spark_options() == ("spark://h:7077", {})


def test_default_warehouse_is_inside_the_workspace(cli: Callable[..., Any], tmp_path: Path) -> None:
    root = tmp_path / "lake"
    assert cli("init", root, "--engine", "spark").code == 0
    with Workspace.open(root) as ws:
        assert ws.settings.engine.kind == "spark" and ws.settings.engine.master == "local[*]"
        assert warehouse_uri(ws) == str((root / "lake").resolve())


def test_engine_settings_precedence_and_validation(tmp_path: Path) -> None:
    legacy = Settings.model_validate({"spark": {"master": "local[1]", "spark.sql.shuffle.partitions": "1"}})
    assert legacy.spark_options() == ("local[1]", {"spark.sql.shuffle.partitions": "1"})
    both = Settings.model_validate({"spark": {"master": "local[1]", "spark.x": "1"},
                                    "engine": {"master": "local[2]", "conf": {"spark.x": 2, "spark.y": True}}})
    assert both.spark_options() == ("local[2]", {"spark.x": "2", "spark.y": "true"})
    (tmp_path / "cxloop.toml").write_text('[engine]\nkind = "hive"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"engine\.kind: .*unknown engine 'hive'"):
        load_settings(tmp_path)


@pytest.mark.parametrize(("args", "message"), [
    (["ingest", "x.csv", "--channel", "app", "--engine", "duckdb"],
     "ingest --engine duckdb: this workspace keeps its data in a Spark lake"),
    (["metrics", "nps", "--engine", "duckdb"], "this workspace keeps its records in a Spark lake"),
    (["customers", "show", "13800000000"], "finding a customer is not available on a Spark lake workspace yet"),
    (["alerts", "run"], "alerts run is not available on a Spark lake workspace yet"),
    (["cases", "create", "--title", "t", "--record", "R1"], "opening a case on records is not available"),
    (["export", "parquet", "out"], "export parquet (the lake's tables are Parquet already"),
    (["facts", "refresh"], "facts refresh is not available"),
])
def test_commands_that_cannot_run_on_a_lake_say_so(cli: Callable[..., Any], tmp_path: Path, args: list[str],
                                                  message: str) -> None:
    root = tmp_path / "lake"
    assert cli("init", root, "--engine", "spark").code == 0
    out = cli(*args, "-w", root)
    assert out.code == 2 and message in out.stderr


def test_a_duckdb_workspace_does_not_ingest_on_spark(cli: Callable[..., Any], workspace: Path) -> None:
    out = cli("ingest", "x.csv", "--channel", "app", "--engine", "spark", "-w", workspace)
    assert out.code == 2 and "keeps its data in its DuckDB file" in out.stderr
    assert cli("init", workspace.parent / "x", "--warehouse", "/tmp/w").code == 2
