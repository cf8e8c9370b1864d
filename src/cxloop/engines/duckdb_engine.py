"""Run Ibis expressions on the workspace's own DuckDB connection."""

from __future__ import annotations

from typing import Any

import duckdb
import ibis
import pyarrow as pa

__all__ = ["DuckDBEngine"]


class DuckDBEngine:
    """The default engine: Ibis over the open workspace connection (no copy of the data)."""

    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.backend: Any = ibis.duckdb.from_connection(con)

    def table(self, name: str) -> ibis.Table:
        return self.backend.table(name)

    def has_rows(self, name: str) -> bool:
        rows = self.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT 1)").fetchall()
        return bool(rows and rows[0][0])

    def to_arrow(self, expr: ibis.Expr) -> pa.Table:
        return self.backend.to_pyarrow(expr)
