"""Infrastructure: the workspace's DuckDB database and its migrations."""

from cxloop.store.database import SCHEMA_VERSION, connect, first_row, migrations, registered, transaction

__all__ = ["SCHEMA_VERSION", "connect", "first_row", "migrations", "registered", "transaction"]
