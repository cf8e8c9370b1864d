"""Infrastructure: the workspace's DuckDB database and its migrations."""

from cxloop.store.database import SCHEMA_VERSION, connect, migrations

__all__ = ["SCHEMA_VERSION", "connect", "migrations"]
