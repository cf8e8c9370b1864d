"""One customer per component on the lake, named by the embedded engine's rules (`identity_service`).

A component keeps the oldest existing customer id among its identifiers' (lowest `created_seq`); when a
split leaves several parts claiming one id, the part with the smallest first key keeps it and the others
take their next-oldest unclaimed id (greedy, in first-key order, on the driver: only contested parts
reach it), else a new one. A new id is 'C' + md5(first key)[:15] (re-derived with the batch time when
taken). New customers are numbered in the order their first row appears in the batch, then by first key.
Stages the new `identities`, `customers`, `customer_aliases` and `identity_blocklist` tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cxloop.engines.lake_store import Lake, LakeTransaction

__all__ = ["assign_customers", "ts_literal"]


def ts_literal(value: datetime) -> Any:
    """A naive UTC time as a Spark TIMESTAMP_NTZ literal (a datetime literal would pass through the
    Python process's local zone)."""
    from pyspark.sql import functions as F

    return F.lit(value.isoformat(sep=" ")).cast("timestamp_ntz")


def _derived(col: Any) -> Any:
    from pyspark.sql import functions as F

    return F.concat(F.lit("C"), F.substring(F.md5(col), 1, 15))


def _first_ranks(row_comp: Any) -> Any:
    """(comp, first_rank): components in the order their first row appears in the batch."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    firsts = row_comp.filter(F.col("r") >= 0).groupBy("comp").agg(F.min("r").alias("first_r"))
    return firsts.select("comp", (F.row_number().over(Window.orderBy("first_r")) - 1).alias("first_rank"))


def _settle(lake: Lake, cc: Any, cand: Any) -> Any:
    """Give contested parts their oldest unclaimed id (few rows: the loop runs on the driver)."""
    from pyspark.sql import functions as F

    contested = cc.filter(F.col("contested")).select("comp").join(cand, "comp").collect()
    if not contested:
        return cc
    by_comp: dict[str, list[tuple[int, str]]] = {}
    for row in contested:
        by_comp.setdefault(row["comp"], []).append((int(row["created_seq"]), row["customer_id"]))
    wanted = {c for options in by_comp.values() for _, c in options}
    claimed = cc.filter(F.col("customer_id").isin(list(wanted))).select("customer_id").collect()
    taken = {r["customer_id"] for r in claimed}
    settled = []
    for comp in sorted(by_comp):  # comp is the first key
        choice = next((c for _, c in sorted(by_comp[comp]) if c not in taken), None)
        if choice is not None:
            taken.add(choice)
            settled.append((comp, choice))
    if not settled:
        return cc
    fix = lake.session.createDataFrame(settled, "comp string, settled string")
    return (cc.join(fix, "comp", "left").withColumn("customer_id", F.coalesce("customer_id", "settled"))
            .drop("settled"))


def _comp_customers(lake: Lake, nodes: Any, row_comp: Any, now: datetime) -> tuple[Any, Any]:
    """(comp, first_rank, customer_id, derived) per component, and the candidates (comp, customer_id, seq)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    customers = lake.read("customers")
    comps = nodes.select("comp").distinct().join(_first_ranks(row_comp), "comp", "left")
    cand = (nodes.filter(F.col("old_customer").isNotNull()).select("comp", F.col("old_customer").alias("customer_id"))
            .distinct().join(customers.select("customer_id", "created_seq"), "customer_id"))
    best = cand.groupBy("comp").agg(F.min_by("customer_id", "created_seq").alias("survivor"))
    ranked = best.withColumn("rank", F.row_number().over(Window.partitionBy("survivor").orderBy("comp")))
    cc = comps.join(ranked, "comp", "left").select(
        "comp", "first_rank",
        F.when(F.col("rank") == 1, F.col("survivor")).when(F.col("rank").isNull(), _derived(F.col("comp")))
        .alias("customer_id"),
        (F.col("rank") > 1).alias("contested"), F.col("rank").isNull().alias("derived"))
    cc = _settle(lake, cc.localCheckpoint(), cand)
    cc = cc.withColumn("derived", F.col("derived") | F.col("customer_id").isNull()).withColumn(
        "customer_id", F.coalesce(F.col("customer_id"), _derived(F.col("comp"))))
    used = customers.select("customer_id").unionByName(
        lake.read("customer_aliases").select(F.col("alias_id").alias("customer_id"))).distinct()
    clash = cc.filter("derived").join(used, "customer_id", "left_semi").select("comp", F.lit(True).alias("clash"))
    stamp = F.lit(":" + now.isoformat(sep=" "))
    cc = (cc.join(clash, "comp", "left").withColumn(
        "customer_id", F.when(F.col("clash"), _derived(F.concat(F.col("comp"), stamp))).otherwise(F.col("customer_id")))
        .drop("clash", "contested").localCheckpoint())
    return cc, cand


def _new_customers(lake: Lake, cc: Any, now: datetime) -> Any:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    customers = lake.read("customers")
    base = customers.agg(F.coalesce(F.max("created_seq"), F.lit(0)).alias("base")).collect()[0]["base"]
    n_comps = cc.count()
    derived = cc.filter("derived")
    ranked = derived.filter(F.col("first_rank").isNotNull()).select(
        "customer_id", (F.lit(base + 1) + F.col("first_rank")).alias("created_seq"))
    rest = derived.filter(F.col("first_rank").isNull()).select(
        "customer_id", (F.lit(base + n_comps) + F.row_number().over(Window.orderBy("comp"))).alias("created_seq"))
    return ranked.unionByName(rest).select("customer_id", ts_literal(now).alias("created_at"), "created_seq")


def assign_customers(lake: Lake, tx: LakeTransaction, graph: tuple[Any, Any, Any, Any], source: str,
                     now: datetime) -> Any:
    """(comp, customer_id) per component; stages the identity tables in `tx` (see the module docstring)."""
    from pyspark.sql import functions as F

    g, nodes, row_comp, blocklist = graph
    cc, _ = _comp_customers(lake, nodes, row_comp, now)
    by_comp = cc.select("comp", "customer_id")
    # merged: old customers of a component that are not its customer become aliases of it
    merged = (nodes.filter(F.col("old_customer").isNotNull()).join(cc.select("comp", "customer_id"), "comp")
              .join(cc.select(F.col("customer_id").alias("old_customer")), "old_customer", "left_anti")
              .groupBy("old_customer").agg(F.min_by("customer_id", "comp").alias("target"))
              .withColumnRenamed("old_customer", "alias_id").localCheckpoint())
    aliases = lake.read("customer_aliases")
    moved = (aliases.join(merged.withColumnRenamed("alias_id", "customer_id"), "customer_id", "left")
             .select("alias_id", F.coalesce("target", "customer_id").alias("customer_id"), "merged_at"))
    added = merged.join(aliases, "alias_id", "left_anti").select(
        "alias_id", F.col("target").alias("customer_id"), ts_literal(now).alias("merged_at"))
    tx.replace("customer_aliases", moved.unionByName(added))
    # identities: the subgraph's identifiers replace their stored rows; blocklisted ones link no customer
    linked = nodes.join(by_comp, "comp").select(
        "id_type", "value", "customer_id", F.coalesce("old_source", F.lit(source)).alias("source"),
        F.least("old_first", "first_seen").alias("first_seen"), F.greatest("old_last", "last_seen").alias("last_seen"))
    blocked = g.keys.join(blocklist, ["id_type", "value"], "left_semi").select(
        "id_type", "value", F.lit(None).cast("string").alias("customer_id"),
        F.coalesce("old_source", F.lit(source)).alias("source"),
        F.least("old_first", "first_seen").alias("first_seen"), F.greatest("old_last", "last_seen").alias("last_seen"))
    kept = lake.read("identities").join(g.keys, ["id_type", "value"], "left_anti")
    tx.replace("identities", kept.unionByName(linked).unionByName(blocked))
    # customers: new ones added; merged ones and seed customers left with no identifier dropped
    customers = lake.read("customers").unionByName(_new_customers(lake, cc, now))
    customers = customers.join(merged.select(F.col("alias_id").alias("customer_id")), "customer_id", "left_anti")
    emptied = g.seed.join(by_comp.select("customer_id"), "customer_id", "left_anti")
    tx.replace("customers", customers.join(emptied, "customer_id", "left_anti"))
    tx.replace("identity_blocklist", blocklist)
    return by_comp
