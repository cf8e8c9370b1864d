"""Connected components of a graph held as a Spark DataFrame of edges (no GraphFrames).

The alternating Large-Star / Small-Star algorithm of Kiveris et al., "Connected Components in MapReduce
and Beyond" (SoCC 2014): O(log^2 n) rounds of joins and aggregations, each round keeping the edge set no
larger than the input's. Edges are kept oriented (a > b, node ids compared as strings); when every edge
points from a leaf to a root (no root is anyone's leaf, no leaf has two roots) the edges are a forest of
stars and each star's centre, the smallest node of its component, labels it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["connected_components"]


def _oriented(edges: Any) -> Any:
    from pyspark.sql import functions as F

    return (edges.filter(F.col("a") != F.col("b"))
            .select(F.greatest("a", "b").alias("a"), F.least("a", "b").alias("b")).distinct())


def _large_star(e: Any) -> Any:
    """Every node u links each larger neighbour to the smallest of u's closed neighbourhood."""
    from pyspark.sql import functions as F

    both = e.select(F.col("a").alias("u"), F.col("b").alias("v")).unionByName(
        e.select(F.col("b").alias("u"), F.col("a").alias("v")))
    smallest = both.groupBy("u").agg(F.least(F.col("u"), F.min("v")).alias("m"))
    out = both.join(smallest, "u").filter(F.col("v") > F.col("u")).select(F.col("v").alias("a"), F.col("m").alias("b"))
    return _oriented(out)


def _small_star(e: Any) -> Any:
    """Every node u links itself and each smaller neighbour to the smallest of them."""
    from pyspark.sql import functions as F

    smallest = e.groupBy("a").agg(F.min("b").alias("m"))
    leaves = e.join(smallest, "a").select(F.col("b").alias("a"), F.col("m").alias("b"))
    return _oriented(leaves.unionByName(smallest.select("a", F.col("m").alias("b"))))


def _is_star_forest(e: Any) -> bool:
    """No node is both a leaf and a centre, and no leaf has two centres (one Spark job)."""
    from pyspark.sql import functions as F

    leaves = e.groupBy("a").agg(F.count(F.lit(1)).alias("centres")).withColumnRenamed("a", "node")
    centres = e.select(F.col("b").alias("node")).distinct().withColumn("centre", F.lit(True))
    bad = leaves.join(centres, "node", "full").filter(
        (F.col("centres") > 1) | (F.col("centres").isNotNull() & F.col("centre").isNotNull()))
    return bad.isEmpty()


def connected_components(edges: Any, *, max_rounds: int = 64) -> Any:
    """(node, label) for every node of `edges` (columns a, b: string node ids, undirected); the label is
    the smallest node id of the node's component. Nodes without edges are not listed."""
    from pyspark.sql import functions as F

    e = _oriented(edges).localCheckpoint()
    for _ in range(max_rounds):
        if _is_star_forest(e):
            break
        e = _small_star(_large_star(e)).localCheckpoint()
    else:  # pragma: no cover - the algorithm converges in O(log^2 n) rounds
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    centres = e.select(F.col("b").alias("node")).distinct().withColumn("label", F.col("node"))
    return e.select(F.col("a").alias("node"), F.col("b").alias("label")).unionByName(centres)
