"""A kill during a Spark ingest leaves the lake as it was; the same ingest run again completes it.

`cxloop ingest` runs in a child process (its own driver and JVM), killed with SIGKILL, whole process group,
once its transaction has started writing. The lake's snapshot, tables and files are then checked against
what they were, and the ingest is run again. A second test stages files and leaves them behind (as a kill
between moving files into a table and publishing the snapshot would): readers never see them and the
next writer deletes them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pyspark")

from cxloop.app import Workspace
from cxloop.app.lake import open_lake
from cxloop.app.lake_service import ingest_any

pytestmark = [pytest.mark.spark, pytest.mark.slow]

HEADER = "phone,text,nps,at"


def _export(path: Path, rows: int, start: int = 0) -> Path:
    lines = [HEADER] + [f"1390000{i % 997:04d},text {i},{i % 11},2026-{1 + i % 12:02d}-0{1 + i % 9} 10:00"
                        for i in range(start, start + rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PROFILE = """
[sources.s]
channel = "survey"
kind = "survey_response"
[sources.s.map]
phone = "phone"
text = "text"
nps = "nps"
occurred_at = "at"
"""


@pytest.fixture
def lake_ws(tmp_path: Path, lake_test_settings: str) -> Iterator[Workspace]:
    root = tmp_path / "lake"
    Workspace.init(root).close()
    with (root / "cxloop.toml").open("a", encoding="utf-8") as fh:
        fh.write(PROFILE + lake_test_settings)
    ws = Workspace.open(root)
    yield ws
    ws.close()  # closing twice is harmless


def _state(ws: Workspace) -> tuple[int, dict[str, int], set[str]]:
    lake = open_lake(ws)
    snap = lake.refresh()
    return snap.version, {t: snap.rows(t) for t in lake.tables}, snap.paths()


def _kill_when_staging(proc: subprocess.Popen[bytes], warehouse: Path, timeout: float = 240) -> bool:
    """SIGKILL the child's process group as soon as its transaction has staged a file; False if it ended first."""
    deadline = time.monotonic() + timeout
    staging = warehouse / "_staging"
    while time.monotonic() < deadline and proc.poll() is None:
        if staging.is_dir() and any(p.suffix == ".parquet" for p in staging.rglob("*.parquet")):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.05)
    return False


def test_killed_ingest_leaves_the_lake_unchanged_and_a_rerun_completes(lake_ws: Workspace, tmp_path: Path) -> None:
    first = ingest_any(lake_ws, str(_export(tmp_path / "a.csv", 300)), source="s")
    assert first["inserted"] == 300
    before = _state(lake_ws)
    second = _export(tmp_path / "b.csv", 2000, start=200)  # 100 rows already stored, 1900 new
    lake_ws.close()  # the child opens the workspace (its DuckDB file takes one process at a time)
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable}
    proc = subprocess.Popen([sys.executable, "-m", "cxloop.cli.main", "ingest", str(second), "--source", "s",
                             "-w", str(lake_ws.root), "--format", "json"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        killed = _kill_when_staging(proc, lake_ws.root / "lake")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert killed, "the ingest finished before it could be killed"
    with Workspace.open(lake_ws.root) as ws:
        assert _state(ws) == before
        assert open_lake(ws).read("records").count() == 300
        rerun = ingest_any(ws, str(second), source="s")
        assert (rerun["inserted"], rerun["unchanged"], rerun["rejected"]) == (1900, 100, 0)
        version, rows, _ = _state(ws)
    assert version == before[0] + 1 and rows["records"] == 2200 and rows["ingest_batches"] == 2
    staging = lake_ws.root / "lake" / "_staging"
    assert not staging.exists() or not any(staging.iterdir())  # the killed run's leftovers are gone


def test_files_left_by_a_killed_commit_are_invisible_and_removed(lake_ws: Workspace, tmp_path: Path) -> None:
    ingest_any(lake_ws, str(_export(tmp_path / "a.csv", 50)), source="s")
    lake = open_lake(lake_ws)
    before = lake.read("records").count()
    tx = lake.transaction("ingest")
    tx.append("records", lake.read("records"))  # would double every row
    moved = tx.added["records"]
    for staged, final in moved:
        assert lake.fs.rename(staged, final.path)  # moved into the table, snapshot never published
    assert lake.refresh().version == 1 and lake.read("records").count() == before
    on_disk = list((lake_ws.root / "lake" / "records").rglob("*.parquet"))
    assert len(on_disk) == len(moved) + len(lake.snapshot.files("records"))
    report: dict[str, Any] = lake.recover()
    assert report == {"orphans": len(moved), "staging": 1}
    assert len(list((lake_ws.root / "lake" / "records").rglob("*.parquet"))) == len(lake.snapshot.files("records"))
    assert lake.read("records").count() == before
