"""Shared pieces of the DuckDB/Spark parity tests: the Spark settings for tiny data and a deep comparison."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def spark_test_settings() -> str:
    return SPARK_TEST_SETTINGS


@pytest.fixture(scope="session")
def assert_same() -> Callable[[Any, Any], None]:
    return _same
