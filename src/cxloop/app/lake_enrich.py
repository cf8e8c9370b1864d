"""Text enrichment on a Spark lake: `mapInArrow` with the embedded pipeline's own `enrich_batch`.

What is enriched is what the embedded `text_service.enrich` picks: records with text whose enrichment is
missing, made from another `row_hash`, or by another pipeline version. Each Python worker builds the
pipeline once from the picklable `PipelineSpec` (shipped models and jieba load once per worker process,
reused across tasks) and records the pipeline's version on every row. The new rows and the removal of
stale ones (re-enriched, or whose record is gone or lost its text) are one lake commit.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from cxloop.app.lake import open_lake
from cxloop.app.lake_customers import ts_literal
from cxloop.app.text_service import pipeline_spec
from cxloop.app.workspace import Workspace
from cxloop.text.pipeline import ENRICHMENT_SCHEMA, EnrichContext, enrich_batch
from cxloop.text.stages import PipelineSpec, build_context

__all__ = ["enrich_lake", "enrich_mapper"]

_CONTEXTS: dict[str, EnrichContext] = {}  # per Python worker process: the pipeline built once


def _context(spec: PipelineSpec, key: str) -> EnrichContext:
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # the tasks are the parallelism
        ctx = _CONTEXTS[key] = build_context(spec)
    return ctx


def enrich_mapper(spec: PipelineSpec, chunk: int) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A function for `mapInArrow` over (record_id, row_hash, text): enriched rows in `ENRICHMENT_SCHEMA`."""
    key = hashlib.sha256(pickle.dumps(spec)).hexdigest()

    def mapper(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ctx = _context(spec, key)
        for batch in batches:
            for start in range(0, batch.num_rows, chunk):
                part = batch.slice(start, chunk)
                if part.num_rows:
                    yield enrich_batch(part, ctx)

    return mapper


def _with_text(lake: Any) -> Any:
    """The records that have a text to enrich."""
    from pyspark.sql import functions as F

    return lake.read("records").filter(F.col("text").isNotNull() & (F.length(F.trim("text")) > 0))


def _pending(lake: Any, version: str) -> Any:
    from pyspark.sql import functions as F

    records = _with_text(lake)
    done = lake.read("enrichments").select("record_id", F.col("row_hash").alias("e_hash"), "model_version")
    return (records.join(done, "record_id", "left")
            .filter(F.col("e_hash").isNull() | (F.col("e_hash") != F.col("row_hash"))
                    | (F.col("model_version") != F.lit(version)))
            .select("record_id", "row_hash", "text"))


def enrich_lake(ws: Workspace, *, backend: str = "auto", batch_size: int | None = None,
                clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None)) -> dict[str, Any]:
    """Enrich what is new, changed or stale in the lake; return counts as `text_service.enrich` does."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    from cxloop.app.text_service import text_settings

    start = time.perf_counter()
    lake = open_lake(ws)
    lake.recover()
    spec = pipeline_spec(ws, backend=backend)
    version = build_context(spec).version
    size = batch_size or text_settings(ws).batch_size
    tx = lake.transaction("enrich")
    try:
        todo = _pending(lake, version).localCheckpoint()
        total = todo.count()
        parts = max(1, min(total // max(size, 1) + 1, lake.session.sparkContext.defaultParallelism * 4))
        schema = from_arrow_schema(ENRICHMENT_SCHEMA, prefer_timestamp_ntz=True)
        enriched = (todo.repartition(parts).mapInArrow(enrich_mapper(spec, size), schema)
                    .withColumn("cluster_id", F.lit(None).cast("string"))
                    .withColumn("enriched_at", ts_literal(clock())))
        done = tx.append("enrichments", enriched)
        live = _with_text(lake).select("record_id")
        stored = lake.read("enrichments", with_file=True)
        stale = (stored.join(todo.select("record_id"), "record_id", "left_semi")
                 .unionByName(stored.join(live, "record_id", "left_anti")))
        removed = stored.join(live, "record_id", "left_anti").count()
        names = [r["file"] for r in stale.select("file").distinct().collect()]
        if names:
            files = lake.files_named("enrichments", names)
            tx.append("enrichments", lake.read("enrichments", files).join(stale.select("record_id"), "record_id",
                                                                            "left_anti"))
            tx.remove("enrichments", files)
        snapshot = tx.commit({"model_version": version, "enriched": done, "removed": removed})
    except BaseException:
        tx.abort()
        raise
    seconds = time.perf_counter() - start
    up_to_date = lake.read("enrichments").filter(F.col("model_version") == version).count()
    return {"model_version": version, "enriched": done, "up_to_date": up_to_date, "removed": removed,
            "engine": "spark", "lake_version": snapshot.version, "seconds": round(seconds, 3),
            "docs_per_s": round(done / seconds, 1) if done and seconds > 0 else None}
