"""Identity resolution over the workspace, run inside each ingest batch's transaction.

Steps (all set-based in DuckDB, components by scipy): record the batch's identifiers; blocklist the
configured and the over-shared ones; recompute the identifier graph's components; keep the oldest
customer id of each component (the others become aliases); point records and events at their customer.
An identifier is over-shared when it appears beside more than `max_customers_per_identifier` distinct
values of another identifier type (a switchboard number seen with 40 different e-mails links nothing).
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from cxloop.config import Settings
from cxloop.identity.components import component_labels
from cxloop.identity.normalize import hashed_sql, normalized_sql
from cxloop.model.fields import IDENTIFIER_FIELDS
from cxloop.store import first_row

__all__ = ["resolve_identities"]

_ROWS = """
SELECT record_id AS rid, batch_id, source, occurred_at, {ids} FROM records
UNION ALL
SELECT event_id AS rid, batch_id, source, occurred_at, {ids} FROM events
"""


def _occurrences(con: duckdb.DuckDBPyConnection) -> None:
    ids = ", ".join(IDENTIFIER_FIELDS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE occ AS SELECT rid, batch_id, source, occurred_at, id_type, value "
        f"FROM ({_ROWS.format(ids=ids)}) UNPIVOT (value FOR id_type IN ({ids}))"
    )


def _record_identities(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    con.execute(
        """
        INSERT INTO identities (id_type, value, customer_id, source, first_seen, last_seen)
        SELECT id_type, value, NULL, any_value(source), min(occurred_at), max(occurred_at)
        FROM occ WHERE batch_id = ? GROUP BY id_type, value
        ON CONFLICT (id_type, value) DO UPDATE SET
            first_seen = least(identities.first_seen, excluded.first_seen),
            last_seen = greatest(identities.last_seen, excluded.last_seen)
        """,
        [batch_id],
    )


def _blocklist(con: duckdb.DuckDBPyConnection, settings: Settings, batch_id: str, now: datetime,
               salt: str | None) -> None:
    for entry in settings.identity.blocklist:
        for id_type in IDENTIFIER_FIELDS:
            norm = normalized_sql(id_type, "v", "config")
            expr = hashed_sql(id_type, norm, salt) if salt else norm
            con.execute(
                f"INSERT INTO identity_blocklist SELECT ?, x, 'configured', ? FROM (SELECT {expr} AS x "
                "FROM (SELECT trim(?) AS v)) WHERE x IS NOT NULL ON CONFLICT DO NOTHING",
                [id_type, now, entry],
            )
    con.execute(
        """
        INSERT INTO identity_blocklist
        SELECT a.id_type, a.value, 'seen with ' || max(n) || ' distinct ' || arg_max(b_type, n) || ' values', ?
        FROM (
            SELECT a.id_type, a.value, b.id_type AS b_type, count(DISTINCT b.value) AS n
            FROM occ a JOIN occ b ON a.rid = b.rid AND a.id_type <> b.id_type
            WHERE (a.id_type, a.value) IN (SELECT id_type, value FROM occ WHERE batch_id = ?)
            GROUP BY ALL
        ) a
        WHERE n > ?
        GROUP BY a.id_type, a.value
        ON CONFLICT DO NOTHING
        """,
        [now, batch_id, settings.identity.max_customers_per_identifier],
    )


def _components(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE nodes AS
        SELECT id_type, value, customer_id, (row_number() OVER (ORDER BY id_type, value)) - 1 AS node
        FROM identities i
        WHERE NOT EXISTS (SELECT 1 FROM identity_blocklist b WHERE b.id_type = i.id_type AND b.value = i.value)
        """
    )
    edges = con.execute(
        "SELECT n.node, min(n.node) OVER (PARTITION BY o.rid) AS root "
        "FROM occ o JOIN nodes n USING (id_type, value)"
    ).fetchnumpy()
    count = first_row(con.execute("SELECT count(*) FROM nodes"))
    n_nodes = int(count[0]) if count else 0
    labels = component_labels(n_nodes, np.asarray(edges["node"]), np.asarray(edges["root"]))
    con.register("labels_arrow", pa.table({"node": np.arange(n_nodes, dtype=np.int64), "comp": labels}))
    con.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT * FROM labels_arrow")
    con.unregister("labels_arrow")


def _assign_customers(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE comp_customer AS
        WITH members AS (
            SELECT l.comp, n.id_type || ':' || n.value AS key, c.customer_id, c.created_seq
            FROM nodes n JOIN labels l USING (node) LEFT JOIN customers c USING (customer_id)
        ), agg AS (
            SELECT comp, min(key) AS first_key, arg_min(customer_id, created_seq) AS survivor
            FROM members GROUP BY comp
        )
        SELECT comp, coalesce(survivor, 'C' || substr(md5(first_key), 1, 15)) AS customer_id,
               survivor IS NULL AS is_new, first_key
        FROM agg
        """
    )
    con.execute(
        """
        INSERT INTO customers
        SELECT customer_id, ?, (SELECT coalesce(max(created_seq), 0) FROM customers)
               + row_number() OVER (ORDER BY first_key)
        FROM comp_customer WHERE is_new
        """,
        [now],
    )
    merged = """
        SELECT DISTINCT n.customer_id AS alias_id, cc.customer_id
        FROM nodes n JOIN labels l USING (node) JOIN comp_customer cc USING (comp)
        WHERE n.customer_id IS NOT NULL AND n.customer_id <> cc.customer_id
    """
    con.execute(f"CREATE OR REPLACE TEMP TABLE merged AS {merged}")
    con.execute(
        "UPDATE customer_aliases SET customer_id = m.customer_id FROM merged m "
        "WHERE customer_aliases.customer_id = m.alias_id"
    )
    con.execute("INSERT INTO customer_aliases SELECT alias_id, customer_id, ? FROM merged ON CONFLICT DO NOTHING", [now])
    con.execute("DELETE FROM customers WHERE customer_id IN (SELECT alias_id FROM merged)")
    con.execute(
        """
        UPDATE identities SET customer_id = x.customer_id
        FROM (SELECT n.id_type, n.value, cc.customer_id FROM nodes n JOIN labels l USING (node)
              JOIN comp_customer cc USING (comp)) x
        WHERE identities.id_type = x.id_type AND identities.value = x.value
          AND identities.customer_id IS DISTINCT FROM x.customer_id
        """
    )
    con.execute(
        "UPDATE identities SET customer_id = NULL WHERE customer_id IS NOT NULL AND (id_type, value) IN "
        "(SELECT id_type, value FROM identity_blocklist)"
    )
    con.execute(
        "DELETE FROM customers WHERE customer_id NOT IN "
        "(SELECT customer_id FROM identities WHERE customer_id IS NOT NULL)"
    )


def _point_rows(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rowmap AS
        SELECT o.rid, min(i.customer_id) AS customer_id
        FROM occ o JOIN identities i USING (id_type, value)
        WHERE i.customer_id IS NOT NULL GROUP BY o.rid
        """
    )
    for table, key in (("records", "record_id"), ("events", "event_id")):
        con.execute(
            f"UPDATE {table} SET customer_id = m.customer_id FROM rowmap m "
            f"WHERE {table}.{key} = m.rid AND {table}.customer_id IS DISTINCT FROM m.customer_id"
        )
        con.execute(
            f"UPDATE {table} SET customer_id = NULL WHERE customer_id IS NOT NULL "
            f"AND {key} NOT IN (SELECT rid FROM rowmap)"
        )


def resolve_identities(
    con: duckdb.DuckDBPyConnection, settings: Settings, batch_id: str, now: datetime, salt: str | None
) -> None:
    """Link the batch's identifiers into customers; runs inside the caller's transaction."""
    _occurrences(con)
    _record_identities(con, batch_id)
    _blocklist(con, settings, batch_id, now, salt)
    _components(con)
    _assign_customers(con, now)
    _point_rows(con)
    for temp in ("occ", "nodes", "labels", "comp_customer", "merged", "rowmap"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
