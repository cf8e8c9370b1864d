"""Engines run Ibis expressions: DuckDB on the workspace (default), Spark at scale."""

from cxloop.engines.duckdb_engine import DuckDBEngine

__all__ = ["DuckDBEngine"]
