"""The standalone-cluster recipe: a Spark master and a worker started on 127.0.0.1 from the pyspark package,
a lake workspace made by `cxloop init --engine spark --master spark://127.0.0.1:<port>`, and a driver
ingesting a file and computing NPS through them (executors on the worker run the staging tasks). The NPS
equals the embedded engine's on the same file.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cxloop.app import Workspace
from cxloop.app import metrics_service as svc
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile

pyspark = pytest.importorskip("pyspark")

pytestmark = [pytest.mark.spark, pytest.mark.slow]

SPARK_HOME = Path(pyspark.__file__).parent
MAP = ["--channel", "survey", "--kind", "survey_response", "--map", "phone=phone", "--map", "text=text",
       "--map", "nps=nps", "--map", "occurred_at=at"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(SPARK_HOME), "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable, "SPARK_NO_DAEMONIZE": "1"}


def _daemon(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([str(SPARK_HOME / "bin" / "spark-class"), *args], env=_env(), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{log.name}: no {text!r}:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("standalone")
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    master = _daemon(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                      "--webui-port", str(_free_port())], folder / "master.log")
    worker = None
    try:
        _wait_for(folder / "master.log", "I have been elected leader", master)
        worker = _daemon(["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1",
                          "--memory", "1g", "--webui-port", str(_free_port()), "--work-dir", str(folder / "work")],
                         folder / "worker.log")
        _wait_for(folder / "worker.log", "Successfully registered with master", worker)
        yield url
    finally:
        for proc in (worker, master):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _cli(*args: str) -> dict[str, object]:
    proc = subprocess.run([sys.executable, "-m", "cxloop.cli.main", *args, "--format", "json"], env=_env(),
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


# One driver process for both steps (a driver JVM and an executor on the worker cost tens of seconds each
# on a loaded machine): the same app calls the CLI's `ingest` and `metrics nps` make, in a child process
# because this one's JVM already runs the tests' local session.
_JOB = """
import json, sys
from pathlib import Path
from cxloop.app import Workspace
from cxloop.app import metrics_service as svc
from cxloop.app.ingest_upload import ingest_path, parse_maps
with Workspace.open(Path(sys.argv[1])) as ws:
    counts = ingest_path(ws, sys.argv[2], {"channel": "survey", "kind": "survey_response", "map": parse_maps(
        ["phone=phone", "text=text", "nps=nps", "occurred_at=at"])})
    nps = svc.compute_metric(ws, {"metric": "nps", "by": "month"})
    master = ws.settings.engine.master
print(json.dumps({"counts": counts, "nps": nps, "master": master}, default=str))
"""


def test_ingest_and_nps_through_a_standalone_master(cluster: str, tmp_path: Path, assert_same: Any) -> None:
    export = tmp_path / "survey.csv"
    lines = ["phone,text,nps,at"] + [f"1380000{i % 50:04d},t{i},{(i * 7) % 11},2026-0{1 + i % 3}-10 09:00"
                                     for i in range(400)] + ["1380000,bad,12,2026-01-01"]
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lake = tmp_path / "lake"
    created = _cli("init", str(lake), "--engine", "spark", "--master", cluster)
    assert created["engine"] == "spark"
    with (lake / "cxloop.toml").open("a", encoding="utf-8") as fh:
        fh.write('"spark.executor.memory" = "512m"\n"spark.cores.max" = "1"\n"spark.driver.memory" = "512m"\n'
                 '"spark.sql.shuffle.partitions" = "2"\n"spark.sql.codegen.wholeStage" = "false"\n'
                 '"spark.driver.extraJavaOptions" = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"\n'
                 '"spark.executor.extraJavaOptions" = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"\n')
    proc = subprocess.run([sys.executable, "-c", _JOB, str(lake), str(export)], env=_env(), capture_output=True,
                          text=True, timeout=400, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["master"] == cluster
    assert (out["counts"]["inserted"], out["counts"]["rejected"]) == (400, 1)
    assert out["nps"]["engine"] == "spark"
    with Workspace.init(tmp_path / "duck") as duck:
        ingest(duck, export, profile=SourceProfile(channel="survey", kind="survey_response", map={
            "phone": "phone", "text": "text", "nps": "nps", "occurred_at": "at"}))
        expected = svc.compute_metric(duck, {"metric": "nps", "by": "month"})
    assert out["nps"]["rows"]
    assert_same(out["nps"]["rows"], json.loads(json.dumps(expected["rows"], default=str)))
