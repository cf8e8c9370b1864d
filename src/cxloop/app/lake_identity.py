"""Identity resolution on the lake, per ingest batch: the embedded resolution's rules on Spark DataFrames.

The same steps as `app.identity_service` (read its docstring for the why): the batch's identifiers and the
seed customers' stored rows and identities form a closed subgraph; identifiers over-shared or configured
as blocklisted link nothing; connected components (`engines.spark_components`, Large-Star/Small-Star)
replace scipy's union-find; a component's smallest `id_type:value` is its first key. Customers are named
exactly as on DuckDB (`lake_customers`): the oldest id survives a merge, a new customer is 'C' + the
first 15 hex digits of md5(first key), numbered in the order its first row appears in the batch. So the
same files ingested in the same order give the same customer ids on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from cxloop.app.lake_customers import assign_customers, ts_literal
from cxloop.config import Settings
from cxloop.engines.lake_store import Lake, LakeTransaction
from cxloop.engines.spark_components import connected_components
from cxloop.identity.normalize import hashed_sql, normalized_sql
from cxloop.model.fields import IDENTIFIER_FIELDS

__all__ = ["LakeBatchIdentities", "resolve_lake_identities"]


@dataclass
class LakeBatchIdentities:
    """What a batch brings: `rows` (r >= 0 in batch order, occurred_at, `id_fields`) are the rows it writes,
    `replaced` (id, is_event, db_customer) the stored rows it replaces."""

    source: str
    rows: Any
    id_fields: list[str]
    replaced: Any


def _unpivot(df: Any, fields: list[str]) -> Any:
    """(r, key, ev, file, occurred_at, id_type, value) per non-null identifier of each row."""
    from pyspark.sql import functions as F

    pairs = F.explode(F.array(*[F.struct(F.lit(f).alias("id_type"), F.col(f).alias("value")) for f in fields]))
    return (df.select("r", "key", "ev", "file", "occurred_at", pairs.alias("p"))
            .select("r", "key", "ev", "file", "occurred_at", "p.id_type", "p.value").filter(F.col("value").isNotNull()))


def configured_blocklist(settings: Settings, salt: str | None) -> list[tuple[str, str]]:
    """The configured blocklist normalised per identifier type by the embedded engine's own expressions."""
    out: set[tuple[str, str]] = set()
    con = duckdb.connect()
    try:
        for entry in settings.identity.blocklist:
            for id_type in IDENTIFIER_FIELDS:
                norm = normalized_sql(id_type, "v", "config")
                expr = hashed_sql(id_type, norm, salt) if salt else norm
                rows = con.execute(f"SELECT {expr} FROM (SELECT trim(?) AS v)", [entry]).fetchall()
                if rows and rows[0][0] is not None:
                    out.add((id_type, str(rows[0][0])))
    finally:
        con.close()
    return sorted(out)


def _blocklist(lake: Lake, settings: Settings, now: datetime, salt: str | None) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    stored = lake.read("identity_blocklist")
    entries = configured_blocklist(settings, salt)
    if not entries:
        return stored
    schema = StructType([StructField("id_type", StringType()), StructField("value", StringType())])
    new = (lake.session.createDataFrame(entries, schema).join(stored, ["id_type", "value"], "left_anti")
           .withColumn("reason", F.lit("configured")).withColumn("added_at", ts_literal(now)))
    return stored.unionByName(new)


@dataclass
class Subgraph:
    """The subgraph of a batch: occurrences (`occ`), identifiers (`keys`), seed customers, stored rows."""

    occ: Any
    keys: Any
    seed: Any
    stored_rows: Any
    seeded: bool
    cached: list[Any]


def _subgraph(lake: Lake, batch: LakeBatchIdentities, blocklist: Any, now: datetime) -> Subgraph:
    from pyspark.sql import functions as F

    identities = lake.read("identities")
    new_rows = batch.rows.select("r", F.lit(None).cast("string").alias("key"), F.lit(None).cast("boolean").alias("ev"),
                                 F.lit(None).cast("string").alias("file"), "occurred_at", *batch.id_fields)
    occ = _unpivot(new_rows, batch.id_fields).persist()
    cached = [occ]
    probe = identities.join(occ.select("id_type", "value").distinct(), ["id_type", "value"], "left_semi")
    fresh = identities.join(blocklist.filter(F.col("added_at") == ts_literal(now)), ["id_type", "value"], "left_semi")
    seed = (probe.select("customer_id").unionByName(batch.replaced.select(F.col("db_customer").alias("customer_id")))
            .unionByName(fresh.select("customer_id")).filter(F.col("customer_id").isNotNull()).distinct()
            .localCheckpoint())
    seeded = seed.limit(1).count() > 0
    stored_rows = None
    if seeded:
        gone = batch.replaced.select(F.col("id").alias("key"), F.col("is_event").alias("ev"))
        parts = []
        for table, key, ev in (("records", "record_id", False), ("events", "event_id", True)):
            t = lake.read(table, with_file=True).join(seed, "customer_id", "left_semi")
            parts.append(t.select(F.col(key).alias("key"), F.lit(ev).alias("ev"), "file",
                                  F.col("customer_id").alias("old_customer"), "occurred_at", *IDENTIFIER_FIELDS))
        stored_rows = (parts[0].unionByName(parts[1]).join(gone, ["key", "ev"], "left_anti")
                       .withColumn("r", -1 - F.monotonically_increasing_id()).localCheckpoint())
        occ = occ.unionByName(_unpivot(stored_rows, list(IDENTIFIER_FIELDS))).persist()
        cached.append(occ)
    keys = (occ.groupBy("id_type", "value").agg(
        F.count(F.lit(1)).alias("n"),
        F.min(F.when(F.col("r") >= 0, F.col("occurred_at"))).alias("first_seen"),
        F.max(F.when(F.col("r") >= 0, F.col("occurred_at"))).alias("last_seen"),
        F.max(F.col("r") >= 0).alias("is_new"))
        .join(identities.select("id_type", "value", F.col("customer_id").alias("old_customer"),
                                F.col("source").alias("old_source"), F.col("first_seen").alias("old_first"),
                                F.col("last_seen").alias("old_last")), ["id_type", "value"], "left"))
    if seeded:
        orphans = (identities.join(seed, "customer_id", "left_semi").join(keys, ["id_type", "value"], "left_anti")
                   .select("id_type", "value", F.lit(0).cast("long").alias("n"),
                           F.lit(None).cast("timestamp_ntz").alias("first_seen"),
                           F.lit(None).cast("timestamp_ntz").alias("last_seen"), F.lit(False).alias("is_new"),
                           F.col("customer_id").alias("old_customer"), F.col("source").alias("old_source"),
                           F.col("first_seen").alias("old_first"), F.col("last_seen").alias("old_last")))
        keys = keys.unionByName(orphans)
    return Subgraph(occ, keys.localCheckpoint(), seed, stored_rows, seeded, cached)


def _overshared(g: Subgraph, blocklist: Any, limit: int, now: datetime) -> Any:
    """The blocklist with the batch's identifiers seen beside more than `limit` distinct values of another type."""
    from pyspark.sql import functions as F

    busy = g.keys.filter(F.col("is_new") & (F.col("n") > limit)).select("id_type", "value")
    if busy.isEmpty():  # only an identifier seen more than `limit` times can be over-shared
        return blocklist.localCheckpoint()
    a = g.occ.join(busy, ["id_type", "value"], "left_semi").select("r", "id_type", "value")
    b = g.occ.select("r", F.col("id_type").alias("b_type"), F.col("value").alias("b_value"))
    pairs = (a.join(b, "r").filter(F.col("id_type") != F.col("b_type"))
             .groupBy("id_type", "value", "b_type").agg(F.countDistinct("b_value").alias("n"))
             .filter(F.col("n") > limit))
    over = pairs.groupBy("id_type", "value").agg(
        F.max("n").alias("m"), F.max_by("b_type", F.struct("n", "b_type")).alias("t"))
    new = (over.join(blocklist, ["id_type", "value"], "left_anti").select(
        "id_type", "value", F.concat(F.lit("seen with "), F.col("m").cast("string"), F.lit(" distinct "), F.col("t"),
                                     F.lit(" values")).alias("reason"), ts_literal(now).alias("added_at")))
    return blocklist.unionByName(new).localCheckpoint()


def _components(g: Subgraph, blocklist: Any) -> tuple[Any, Any]:
    """(nodes with their component `comp` = first key, rows r -> comp) over the identifiers not blocklisted."""
    from pyspark.sql import functions as F

    nodes = g.keys.join(blocklist, ["id_type", "value"], "left_anti").withColumn(
        "nk", F.concat(F.col("id_type"), F.lit(":"), F.col("value")))
    occ = (g.occ.join(nodes.select("id_type", "value"), ["id_type", "value"], "left_semi")
           .select("r", F.concat(F.col("id_type"), F.lit(":"), F.col("value")).alias("nk")))
    rep = occ.groupBy("r").agg(F.min("nk").alias("rep"))
    edges = occ.join(rep, "r").select(F.col("nk").alias("a"), F.col("rep").alias("b"))
    labels = connected_components(edges)
    nodes = (nodes.join(labels.withColumnRenamed("node", "nk"), "nk", "left")
             .withColumn("comp", F.coalesce(F.col("label"), F.col("nk"))).drop("label").localCheckpoint())
    row_comp = (rep.join(labels.withColumnRenamed("node", "rep"), "rep", "left")
                .select("r", F.coalesce(F.col("label"), F.col("rep")).alias("comp")).localCheckpoint())
    return nodes, row_comp


@dataclass
class LakeIdentityResult:
    """The customer of each written row (r, customer_id), and the stored rows whose customer changed
    (key, ev, file, customer_id: null when no identifier links the row any more)."""

    row_customers: Any
    repointed: Any


def resolve_lake_identities(lake: Lake, tx: LakeTransaction, settings: Settings, batch: LakeBatchIdentities,
                            now: datetime, salt: str | None) -> LakeIdentityResult:
    """Link the batch's identifiers into customers; stage the new identity tables in `tx`."""
    from pyspark.sql import functions as F

    blocklist = _blocklist(lake, settings, now, salt)
    g = _subgraph(lake, batch, blocklist, now)
    blocklist = _overshared(g, blocklist, settings.identity.max_customers_per_identifier, now)
    nodes, row_comp = _components(g, blocklist)
    by_comp = assign_customers(lake, tx, (g, nodes, row_comp, blocklist), batch.source, now)
    rows = row_comp.join(by_comp, "comp")
    row_customers = rows.filter(F.col("r") >= 0).select("r", "customer_id")
    repointed = None
    if g.stored_rows is not None:
        stored = rows.filter(F.col("r") < 0).select("r", F.col("customer_id").alias("new_customer"))
        repointed = (g.stored_rows.join(stored, "r", "left")
                     .filter(~F.col("old_customer").eqNullSafe(F.col("new_customer")))
                     .select("key", "ev", "file", F.col("new_customer").alias("customer_id")))
    for cached in g.cached:
        cached.unpersist()
    return LakeIdentityResult(row_customers, repointed)
