"""Infrastructure: the workspace's DuckDB database and its migrations."""

from cxloop.store.database import SCHEMA_VERSION, connect, first_row, migrations, registered, transaction
from cxloop.store.locking import announce_writer, writer_waiting

__all__ = [
    "SCHEMA_VERSION",
    "announce_writer",
    "connect",
    "first_row",
    "migrations",
    "registered",
    "transaction",
    "writer_waiting",
]
