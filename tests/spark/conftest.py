"""Shared pieces of the DuckDB/Spark parity tests: one Spark session for the whole test run, the settings
for tiny data, and a deep comparison."""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def _java_missing() -> str | None:
    """Why Spark cannot start here, when no Java runtime is found (None: one is)."""
    home = os.environ.get("JAVA_HOME")
    if (home and (Path(home) / "bin" / "java").exists()) or shutil.which("java"):
        return None
    return "Spark needs a Java runtime (17): apt-get install default-jre-headless, or set JAVA_HOME"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the Spark tests, with the reason, where no Java runtime is installed (pyspark's absence is
    handled by each module's importorskip); everywhere else they run (CI installs Java: .ci/run)."""
    reason = _java_missing()
    if reason is None:
        return
    for item in items:
        if item.get_closest_marker("spark") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))

# A session for many tiny queries: one core, one shuffle partition, no whole-stage code generation and a
# JVM that compiles with C1 only (C2 and codegen cost more time than they save on a few thousand rows;
# this halves a module's time on a loaded 2-core machine). Written to the workspace's [spark] section,
# the path `--engine spark` takes.
SPARK_TEST_SETTINGS = """
[spark]
master = "local[1]"
"spark.sql.shuffle.partitions" = "1"
"spark.default.parallelism" = "1"
"spark.sql.codegen.wholeStage" = "false"
"spark.driver.extraJavaOptions" = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal structures; floats equal to 1e-9 (relative or absolute)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (
            f"{path}: {a} != {b}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


# The one session of the test run: two local cores, a 2 GB driver, the JIT and codegen settings above.
# Every module's workspace settings reach this same session (`getOrCreate`); each sets the shuffle
# partitions it wants (runtime settings), and nothing stops the session before the run ends.
SESSION_CONF = {
    "spark.driver.memory": "2g",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.codegen.wholeStage": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}
# The same settings for lake workspaces; the JIT and codegen ones matter to the tests that run cxloop in a
# child process (its own driver JVM), the in-process ones get the session above.
LAKE_TEST_SETTINGS = """
[engine]
kind = "spark"
master = "local[2]"
[engine.conf]
"spark.sql.shuffle.partitions" = "2"
"spark.default.parallelism" = "2"
"spark.sql.codegen.wholeStage" = "false"
"spark.driver.extraJavaOptions" = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
"""


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from cxloop.engines.spark_engine import spark_session as open_session

    session = open_session("local[2]", SESSION_CONF)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_test_settings(spark_session: Any) -> str:
    return SPARK_TEST_SETTINGS


@pytest.fixture(scope="session")
def lake_test_settings(spark_session: Any) -> str:
    return LAKE_TEST_SETTINGS


@pytest.fixture(scope="session")
def assert_same() -> Callable[[Any, Any], None]:
    return _same
