"""Run the Ibis expressions on a Spark lake: each table is its newest snapshot's files.

The analytics are the same expressions that run on DuckDB (metrics, pain points, drivers, emerging issues,
journeys): only where the tables come from differs. Tables the lake does not hold (the taxonomy, kept
with the workspace's operational data) come from `local`, as Arrow tables, once per engine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis
import pyarrow as pa

from cxloop.engines.lake_store import Lake
from cxloop.errors import WorkspaceError

__all__ = ["LakeEngine"]


class LakeEngine:
    """Ibis on the lake's Spark session."""

    name = "spark"

    def __init__(self, lake: Lake, local: Callable[[str], pa.Table | None]) -> None:
        self.lake = lake
        self.session = lake.session
        self.backend: Any = ibis.pyspark.connect(lake.session)
        self._local = local
        self._tables: dict[str, ibis.Table] = {}
        self._rows: dict[str, int] = {}

    def table(self, name: str) -> ibis.Table:
        if name not in self._tables:
            if name in self.lake.tables:
                df = self.lake.read(name)
                if "month" in self.lake.table(name).partition_by:
                    df = df.drop("month")
            else:
                arrow = self._local(name)
                if arrow is None:
                    raise WorkspaceError(f"no table {name!r} in the lake or the workspace")
                self._rows[name] = arrow.num_rows
                df = self._frame(arrow)
            view = f"cxloop_lake_{name}"
            df.createOrReplaceTempView(view)
            self._tables[name] = self.backend.table(view)
        return self._tables[name]

    def _frame(self, arrow: pa.Table) -> Any:
        """A Spark DataFrame of an Arrow table (Spark cannot take an empty one: its schema then)."""
        if arrow.num_rows:
            return self.session.createDataFrame(arrow)
        from pyspark.sql.pandas.types import from_arrow_schema

        return self.session.createDataFrame([], from_arrow_schema(arrow.schema, prefer_timestamp_ntz=True))

    def has_rows(self, name: str) -> bool:
        if name in self.lake.tables:
            return self.lake.rows(name) > 0
        self.table(name)
        return self._rows.get(name, 0) > 0

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return self.backend.to_pyarrow(expr)
