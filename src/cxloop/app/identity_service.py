"""Identity resolution, incremental per ingest batch, run inside the batch's transaction.

The identifier graph (nodes: identifiers; a record links all of its identifiers) is kept resolved in
`identities.customer_id`: one customer per connected component. A batch can only change the components
it touches, so only those are recomputed: the batch's new rows, plus every stored row and identity of
the *seed* customers — those owning an identifier the batch brings, a row the batch replaces, or an
identifier newly put on the blocklist. That subgraph is closed (a stored row of any other customer
shares no identifier with it), so its components, computed with scipy's connected components, are
exactly those a full recomputation would give: the partition depends only on the stored rows, never on
the order of batches. On a merge the oldest customer id (lowest `created_seq`) survives and the others
become aliases; when a component splits (an identifier got blocklisted, a row was replaced), the part
with the smallest identifier keeps the old id and the others get new ones.

An identifier is over-shared when it appears beside more than `max_customers_per_identifier` distinct
values of another identifier type (a switchboard number seen with 40 different e-mails links nothing);
only identifiers seen more than that many times can be, so only those are checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxloop.config import Settings
from cxloop.identity.components import component_labels
from cxloop.identity.normalize import hashed_sql, normalized_sql
from cxloop.model.fields import IDENTIFIER_FIELDS
from cxloop.store import first_row

__all__ = ["BatchIdentities", "resolve_identities"]

_TEMPS = ("seed", "comp_customer", "merged", "oldmap")
# relations kept as Arrow tables registered under these names (a DuckDB temp table cost a write of every
# row: ~0.1 s per million occurrences)
_VIEWS = ("occ", "keys", "nodes", "comp_order")


def _view(con: duckdb.DuckDBPyConnection, name: str, query: str, *, after: pa.Table | None = None) -> pa.Table:
    """Register the result of `query` (appended to the table `after`, when given) as the Arrow view `name`;
    return it."""
    table: pa.Table = con.sql(query).to_arrow_table()
    if after is not None:
        table = pa.concat_tables([after, table.rename_columns(after.schema.names).cast(after.schema)])
    con.register(name, table)
    return table


@dataclass
class BatchIdentities:
    """What a batch brings: `rows` is a SQL relation of the rows it writes, with columns seq (>= 0),
    occurred_at and `id_fields`; `replaced` a SQL relation of the customer_id of stored rows it replaced
    (already deleted). Resolution returns the customer of each staged row for the writer."""

    source: str
    rows: str
    id_fields: list[str]
    size: int  # rows in the staged batch (seq runs 0..size-1)
    replaced: str = "SELECT NULL::VARCHAR AS customer_id WHERE false"


def _unpivot(select: str, fields: list[str]) -> str:
    """(r, key, ev, occurred_at, id_type, value) per non-null identifier of each row of `select`."""
    if not fields:
        return ("SELECT NULL::BIGINT AS r, NULL::VARCHAR AS key, NULL::BOOLEAN AS ev, NULL::TIMESTAMP AS "
                "occurred_at, NULL::VARCHAR AS id_type, NULL::VARCHAR AS value WHERE false")
    ids = ", ".join(fields)
    return f"SELECT r, key, ev, occurred_at, id_type, value FROM ({select}) UNPIVOT (value FOR id_type IN ({ids}))"


def _configured_blocklist(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime,
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


def _occurrences(con: duckdb.DuckDBPyConnection, batch: BatchIdentities, now: datetime) -> tuple[bool, bool]:
    """`occ`: every (row, identifier) of the subgraph; new rows have r = seq, stored rows r < 0.

    Returns (whether any identity is stored, whether any stored customer is touched: the seed)."""
    fields = ", ".join(batch.id_fields)
    new = f"SELECT seq AS r, NULL::VARCHAR AS key, NULL::BOOLEAN AS ev, occurred_at, {fields} FROM ({batch.rows})"
    occ = _view(con, "occ", _unpivot(new, batch.id_fields))
    known = first_row(con.execute("SELECT count(*) FROM (SELECT 1 FROM identities LIMIT 1)"))
    probe = (
        "SELECT i.customer_id FROM identities i SEMI JOIN (SELECT DISTINCT id_type, value FROM occ) o "
        "ON i.id_type = o.id_type AND i.value = o.value UNION ALL" if known and known[0] else ""
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE seed AS
        SELECT DISTINCT customer_id FROM (
            {probe} SELECT customer_id FROM ({batch.replaced})
            UNION ALL SELECT i.customer_id FROM identities i SEMI JOIN identity_blocklist b
                ON i.id_type = b.id_type AND i.value = b.value AND b.added_at = ?
        ) WHERE customer_id IS NOT NULL
        """,
        [now],
    )
    seeded = first_row(con.execute("SELECT count(*) FROM seed"))
    if not seeded or not seeded[0]:
        return bool(known and known[0]), False
    ids = ", ".join(IDENTIFIER_FIELDS)
    seed = "customer_id IN (SELECT customer_id FROM seed)"
    stored = (
        f"SELECT -row_number() OVER () AS r, key, ev, occurred_at, {ids} FROM ("
        f"SELECT record_id AS key, false AS ev, occurred_at, {ids} FROM records WHERE {seed} "
        f"UNION ALL SELECT event_id, true, occurred_at, {ids} FROM events WHERE {seed})"
    )
    _view(con, "occ", _unpivot(stored, list(IDENTIFIER_FIELDS)), after=occ)
    return True, True


def _keys(con: duckdb.DuckDBPyConnection, known: bool, seeded: bool) -> pa.Table:
    """`keys`: every identifier of the subgraph once, with its count, first/last time in the batch, the
    rows holding it (`rs`) and its stored identity; plus the seed customers' stored identities no row of
    the subgraph holds any more. Into an empty store (or with no stored row in the subgraph) the join
    with the stored identities (and the filters for stored rows) are left out."""
    new = "FILTER (WHERE r >= 0)" if seeded else ""
    stored = (
        "i.customer_id AS old_customer, i.source AS old_source, i.first_seen AS old_first, i.last_seen AS old_last"
        if known else "NULL::VARCHAR AS old_customer, NULL::VARCHAR AS old_source, NULL::TIMESTAMP AS old_first, "
        "NULL::TIMESTAMP AS old_last"
    )
    join = "LEFT JOIN identities i ON i.id_type = k.id_type AND i.value = k.value" if known else ""
    keys = _view(
        con, "keys",
        f"""
        SELECT k.*, {stored}
        FROM (
            SELECT id_type, value, count(*) AS n, min(occurred_at) {new} AS first_seen,
                   max(occurred_at) {new} AS last_seen, {"bool_or(r >= 0)" if seeded else "true"} AS is_new,
                   list(r) AS rs
            FROM occ GROUP BY id_type, value
        ) k {join}
        """
    )
    if seeded:
        keys = _view(
            con, "keys",
            "SELECT id_type, value, 0, NULL, NULL, false, [], customer_id, source, first_seen, "
            "last_seen FROM identities WHERE customer_id IN (SELECT customer_id FROM seed) "
            "AND (id_type, value) NOT IN (SELECT id_type, value FROM keys)",
            after=keys,
        )
    return keys


def _overshared_blocklist(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime) -> None:
    """Blocklist the batch's identifiers seen beside too many distinct values of another type."""
    limit = settings.identity.max_customers_per_identifier
    con.execute(
        """
        INSERT INTO identity_blocklist
        SELECT id_type, value, 'seen with ' || max(n) || ' distinct ' || arg_max(b_type, (n, b_type)) || ' values', ?
        FROM (
            SELECT a.id_type, a.value, b.id_type AS b_type, count(DISTINCT b.value) AS n
            FROM (SELECT o.* FROM occ o SEMI JOIN (
                    SELECT id_type, value FROM keys WHERE is_new AND n > ?) c
                  ON o.id_type = c.id_type AND o.value = c.value) a
            JOIN occ b ON a.r = b.r AND a.id_type <> b.id_type
            GROUP BY ALL
        )
        WHERE n > ?
        GROUP BY id_type, value
        ON CONFLICT DO NOTHING
        """,
        [now, limit, limit],
    )


class _Graph:
    """The subgraph's identifiers as an Arrow table in node order (node i = row i), with components.

    `labels`: component of each node (0..k-1); `row`, `row_comp`: each row of the subgraph that holds an
    identifier (r as in `occ`) and its component."""

    def __init__(self, nodes: pa.Table, labels: np.ndarray, row: np.ndarray, row_comp: np.ndarray) -> None:
        self.nodes, self.labels, self.row, self.row_comp = nodes, labels, row, row_comp


def _components(con: duckdb.DuckDBPyConnection, keys: pa.Table, size: int) -> _Graph:
    """Number the subgraph's identifiers (`keys`, blocklisted ones aside) and label their components.

    Each row links every identifier it holds to one of them (its representative): the rows holding an
    identifier are the `rs` lists of `keys`, so no join back to the occurrences and no sort by row is
    needed. Rows are the batch's (r = seq >= 0) and stored ones (r < 0). scipy labels the components;
    those are numbered 0..k-1 in no particular order: everything that must not depend on that order
    (which part of a split keeps an id, the order of new customers) goes by the component's first key or
    first row (`_assign_customers`, `_first_rows`). Ordering the identifiers by key instead cost a sort
    of every key (~0.4 s per million); a graph of rows and identifiers took 3x longer to label.
    """
    blocked = first_row(con.execute(
        "SELECT count(*) FROM (SELECT 1 FROM keys k SEMI JOIN identity_blocklist b "
        "ON b.id_type = k.id_type AND b.value = k.value LIMIT 1)"
    ))
    nodes = keys if not blocked or not blocked[0] else con.sql(
        "SELECT k.* FROM keys k ANTI JOIN identity_blocklist b ON b.id_type = k.id_type AND b.value = k.value"
    ).to_arrow_table()
    n_nodes = nodes.num_rows
    lists = nodes.column("rs").combine_chunks()
    nodes = nodes.drop_columns(["rs"])
    rows = pc.list_flatten(lists).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    node = np.repeat(np.arange(n_nodes, dtype=np.int64), pc.list_value_length(lists).to_numpy(zero_copy_only=False))
    # a slot per row: the batch's rows by seq, then stored rows (-1, -2, ...)
    stored = int(-rows.min()) if len(rows) and rows.min() < 0 else 0
    slot = np.where(rows >= 0, rows, size - 1 - rows) if stored else rows
    rep = np.full(size + stored, -1, dtype=np.int64)
    rep[slot] = node  # one of the row's identifiers (any one: all of them link to it)
    root = rep[slot]
    linked = root != node
    labels = component_labels(n_nodes, node[linked], root[linked])  # 0..k-1
    index = np.flatnonzero(rep >= 0)
    row = np.where(index < size, index, size - 1 - index) if stored else index
    row_comp = labels[rep[index]]
    nodes = nodes.append_column("comp", pa.array(labels))
    con.register("nodes", nodes)
    con.register("comp_order", _first_rows(int(labels.max()) + 1 if n_nodes else 0, row, row_comp))
    return _Graph(nodes, labels, row, row_comp)


def _first_rows(n_comps: int, row: np.ndarray, row_comp: np.ndarray) -> pa.Table:
    """(comp, first_rank): components in the order their first row appears in the batch (null for a
    component no row of the batch holds); `row` is ascending for the batch's rows."""
    new = row >= 0
    first = np.full(n_comps, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, row_comp[new], row[new])
    held = first < np.iinfo(np.int64).max
    rank = np.zeros(n_comps, dtype=np.int64)
    rank[np.flatnonzero(held)[np.argsort(first[held], kind="stable")]] = np.arange(int(held.sum()))
    return pa.table({"comp": np.arange(n_comps, dtype=np.int64), "first_rank": pa.array(rank, mask=~held)})


def _assign_customers(con: duckdb.DuckDBPyConnection, now: datetime) -> None:
    """One customer per component: the oldest existing id survives, else a new id from its first key.

    A component's first key is its smallest `id_type:value`. When a component split, several parts may
    claim the same oldest id: the part with the smallest first key keeps it and the others take their
    next-oldest unclaimed id (`_settle_contested`), else a new one. New customers are created (`created_seq`,
    which decides the survivor of a later merge) in the order their first row appears in the batch, then
    (parts of a split the batch's rows do not reach) in first-key order: numbering them by first key
    meant a sort of every new customer's key (~0.15 s per million rows).
    """
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE comp_customer AS
        WITH firsts AS (
            SELECT comp, min(id_type || ':' || value) AS first_key FROM nodes GROUP BY comp
        ), cand AS (
            SELECT DISTINCT n.comp, c.customer_id, c.created_seq
            FROM nodes n JOIN customers c ON c.customer_id = n.old_customer
        ), best AS (
            SELECT comp, arg_min(customer_id, created_seq) AS survivor FROM cand GROUP BY comp
        ), ranked AS (
            SELECT comp, survivor, row_number() OVER (PARTITION BY survivor ORDER BY first_key) AS rank
            FROM best JOIN firsts USING (comp)
        )
        SELECT k.comp, k.first_key, o.first_rank,
            CASE WHEN r.rank = 1 THEN r.survivor WHEN r.rank IS NULL THEN 'C' || substr(md5(k.first_key), 1, 15)
            END AS customer_id, r.rank > 1 AS contested, r.rank IS NULL AS derived
        FROM firsts k JOIN comp_order o USING (comp) LEFT JOIN ranked r USING (comp)
        """
    )
    _settle_contested(con)
    con.execute(
        "UPDATE comp_customer SET customer_id = 'C' || substr(md5(first_key), 1, 15), derived = true "
        "WHERE customer_id IS NULL"
    )
    # a derived id may already be taken (by a customer or alias outside this component): derive another
    con.execute(
        "UPDATE comp_customer SET customer_id = 'C' || substr(md5(first_key || ':' || CAST(? AS VARCHAR)), 1, 15) "
        "WHERE derived AND (customer_id IN (SELECT customer_id FROM customers) "
        "OR customer_id IN (SELECT alias_id FROM customer_aliases))",
        [now],
    )
    con.execute(
        """
        INSERT INTO customers
        WITH base AS (SELECT coalesce(max(created_seq), 0) AS seq FROM customers)
        SELECT customer_id, ?, (SELECT seq FROM base) + 1 + first_rank
        FROM comp_customer WHERE derived AND first_rank IS NOT NULL
        UNION ALL
        SELECT customer_id, ?, (SELECT seq FROM base) + (SELECT count(*) FROM comp_order)
               + row_number() OVER (ORDER BY first_key)
        FROM comp_customer WHERE derived AND first_rank IS NULL
        """,
        [now, now],
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE merged AS
        SELECT n.old_customer AS alias_id, arg_min(cc.customer_id, cc.first_key) AS customer_id
        FROM nodes n JOIN comp_customer cc USING (comp)
        WHERE n.old_customer IS NOT NULL
          AND n.old_customer NOT IN (SELECT customer_id FROM comp_customer)
        GROUP BY n.old_customer
        """
    )
    con.execute(
        "UPDATE customer_aliases SET customer_id = m.customer_id FROM merged m "
        "WHERE customer_aliases.customer_id = m.alias_id"
    )
    con.execute(
        "INSERT INTO customer_aliases SELECT alias_id, customer_id, ? FROM merged ON CONFLICT DO NOTHING", [now]
    )


def _settle_contested(con: duckdb.DuckDBPyConnection) -> None:
    """Give each part of a split its oldest existing id no other part kept (greedy, in first-key order).

    Only the few components whose oldest id another part kept reach this Python loop.
    """
    contested = con.execute(
        """
        SELECT cc.comp, list(c.customer_id ORDER BY c.created_seq, c.customer_id)
        FROM comp_customer cc JOIN nodes n USING (comp) JOIN customers c ON c.customer_id = n.old_customer
        WHERE cc.contested GROUP BY cc.comp, cc.first_key ORDER BY cc.first_key
        """
    ).fetchall()
    if not contested:
        return
    kept = con.execute("SELECT customer_id FROM comp_customer WHERE customer_id IS NOT NULL").fetchall()
    taken = {c for (c,) in kept}
    settled: list[tuple[int, str]] = []
    for comp, candidates in contested:
        choice = next((c for c in candidates if c not in taken), None)
        if choice is not None:
            taken.add(choice)
            settled.append((comp, choice))
    if settled:
        con.executemany("UPDATE comp_customer SET customer_id = ? WHERE comp = ?", [[c, k] for k, c in settled])


def _comp_customers(con: duckdb.DuckDBPyConnection, n_comps: int) -> pa.Array:
    """Customer id per component number (components are numbered 0..n-1)."""
    table = con.sql("SELECT comp, customer_id FROM comp_customer ORDER BY comp").to_arrow_table()
    comps = table.column("comp").to_numpy()
    if len(comps) != n_comps or (n_comps and not np.array_equal(comps, np.arange(n_comps))):
        raise AssertionError("identity resolution: components are not numbered 0..n-1")
    return table.column("customer_id").combine_chunks()


def _write_identities(con: duckdb.DuckDBPyConnection, graph: _Graph, by_comp: pa.Array, source: str) -> None:
    """Replace the subgraph's identities (blocklisted ones link no customer) and drop emptied customers."""
    nodes = graph.nodes.append_column("customer_id", pa.DictionaryArray.from_arrays(pa.array(graph.labels), by_comp))
    con.register("nodes", nodes)
    stored = first_row(con.execute("SELECT count(*) FROM (SELECT 1 FROM identities LIMIT 1)"))
    if stored and stored[0]:
        con.execute("DELETE FROM identities WHERE (id_type, value) IN (SELECT id_type, value FROM keys)")
    con.execute(
        """
        INSERT INTO identities
        SELECT id_type, value, customer_id, coalesce(old_source, ?), least(old_first, first_seen),
               greatest(old_last, last_seen) FROM nodes
        UNION ALL
        SELECT k.id_type, k.value, NULL, coalesce(k.old_source, ?), least(k.old_first, k.first_seen),
               greatest(k.old_last, k.last_seen)
        FROM keys k SEMI JOIN identity_blocklist b ON b.id_type = k.id_type AND b.value = k.value
        """,
        [source, source],
    )
    dropped = first_row(con.execute("SELECT (SELECT count(*) FROM merged) + (SELECT count(*) FROM seed)"))
    if dropped and dropped[0]:
        con.execute(
            "DELETE FROM customers WHERE customer_id IN (SELECT alias_id FROM merged) OR ("
            "customer_id IN (SELECT customer_id FROM seed) AND customer_id NOT IN "
            "(SELECT customer_id FROM nodes))"
        )


def _point_rows(con: duckdb.DuckDBPyConnection, graph: _Graph, by_comp: pa.Array, size: int) -> pa.Array:
    """The customer of each staged row (index = seq 0..size-1), null for a row that links no customer;
    stored rows of the seed customers are re-pointed in place."""
    new = graph.row >= 0
    comp = np.full(size, -1, dtype=np.int64)
    comp[graph.row[new]] = graph.row_comp[new]
    # dictionary-encoded over the components' ids: no copy of an id per row (DuckDB reads it as is)
    customer = pa.DictionaryArray.from_arrays(pa.array(comp, mask=comp < 0), by_comp)
    seeded = first_row(con.execute("SELECT count(*) FROM seed"))
    if not seeded or not seeded[0]:
        return customer
    old = ~new
    stored = by_comp.take(pa.array(graph.row_comp[old]))
    con.register("oldmap_arrow", pa.table({"r": graph.row[old], "customer_id": stored}))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE oldmap AS SELECT DISTINCT o.key, o.ev, m.customer_id "
        "FROM occ o JOIN oldmap_arrow m USING (r) WHERE o.r < 0"
    )
    con.unregister("oldmap_arrow")
    for table, key, ev in (("records", "record_id", False), ("events", "event_id", True)):
        # a stored row left with no linking identifier (all blocklisted) belongs to no customer
        con.execute(
            f"UPDATE {table} SET customer_id = NULL WHERE customer_id IN (SELECT customer_id FROM seed) "
            f"AND {key} NOT IN (SELECT key FROM oldmap WHERE ev = {ev})"
        )
        con.execute(
            f"UPDATE {table} SET customer_id = m.customer_id FROM (SELECT * FROM oldmap WHERE ev = {ev}) m "
            f"WHERE {table}.{key} = m.key AND {table}.customer_id IS DISTINCT FROM m.customer_id"
        )
    return customer


def resolve_identities(
    con: duckdb.DuckDBPyConnection, settings: Settings, batch: BatchIdentities, now: datetime, salt: str | None
) -> pa.Array:
    """Link the batch's identifiers into customers; return the customer of each staged row (by seq).

    Runs inside the caller's transaction."""
    _configured_blocklist(con, settings, now, salt)
    try:
        known, seeded = _occurrences(con, batch, now)
        keys = _keys(con, known, seeded)
        _overshared_blocklist(con, settings, now)
        graph = _components(con, keys, batch.size)
        _assign_customers(con, now)
        n_comps = int(graph.labels.max()) + 1 if len(graph.labels) else 0
        by_comp = _comp_customers(con, n_comps)
        _write_identities(con, graph, by_comp, batch.source)
        customers = _point_rows(con, graph, by_comp, batch.size)
    finally:
        for view in _VIEWS:
            con.unregister(view)
    for temp in _TEMPS:
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    return customers
