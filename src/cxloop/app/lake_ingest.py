"""Ingest on a Spark lake: one Spark job per batch, one lake commit per batch.

Spark reads the files (`binaryFile`: any path or URI it can read, a glob for many files, one task per
file); each task stages its file with the embedded ingest's own functions (`ingest.staging.stage_file`:
connector, plan, staging query, rejects). The driver then judges the good rows against the stored ones
(in Spark SQL, the rules of `ingest_service._judge`: the last row of an id wins, the first is compared
with the stored row, each later one with its predecessor), resolves identities (`lake_identity`), and
stages records, events, rejects and the batch row in one lake transaction. Stored data files that hold a
replaced row or a row whose customer changed are rewritten (copy-on-write). Nothing is visible until the
commit: a kill at any point leaves the lake as it was, and running the same ingest again completes it.
A glob is one batch; its files are ordered by path, and a row's place in the batch is (file, row).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cxloop.app.ingest_service import plan_context, resolve_profile
from cxloop.app.lake import open_lake
from cxloop.app.lake_customers import ts_literal
from cxloop.app.lake_identity import LakeBatchIdentities, resolve_lake_identities
from cxloop.app.workspace import Workspace
from cxloop.config import SourceProfile
from cxloop.engines.lake_store import Lake, LakeTransaction
from cxloop.errors import InputError
from cxloop.ingest.staging import STAGED_SCHEMA, StageRecipe, local_name, stage_mapper
from cxloop.ingest.timing import Stopwatch
from cxloop.model.fields import CANONICAL_FIELDS, IDENTIFIER_FIELDS

__all__ = ["ingest_lake"]

_EVENT_DROP = {"text", "nps", "csat", "ces", "rating"}
_FILE_BITS = 40  # r = file_no << 40 | seq: a row's place in the batch
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _files(lake: Lake, pattern: str) -> tuple[str, Any, list[str]]:
    """(the pattern as Spark reads it, its binaryFile DataFrame, the matched files' URIs sorted)."""
    uri = pattern if _SCHEME.match(pattern) else str(Path(pattern).expanduser().resolve())
    try:
        df = lake.session.read.format("binaryFile").load(uri)
        paths = sorted(r["path"] for r in df.select("path").collect())
    except Exception as exc:  # Spark's AnalysisException: the path does not exist
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            raise InputError(f"{pattern}: file not found", file=pattern) from exc
        raise
    if not paths:
        raise InputError(f"{pattern}: no file matches", file=pattern)
    return uri, df, paths


def _stage(lake: Lake, tx: LakeTransaction, df: Any, paths: list[str], recipe: StageRecipe) -> Any:
    """Stage every file in its task; the result is written once to the transaction's scratch area."""
    from pyspark.sql.pandas.types import from_arrow_schema

    mapper = stage_mapper(recipe, {p: n for n, p in enumerate(paths)})
    out = df.mapInArrow(mapper, from_arrow_schema(STAGED_SCHEMA, prefer_timestamp_ntz=True))
    scratch = tx.scratch("staged")
    out.write.parquet(scratch)
    staged = lake.session.read.parquet(scratch)
    errors = staged.filter("part = 'error'").select("file", "reason").limit(1).collect()
    if errors:
        raise InputError(errors[0]["reason"], file=errors[0]["file"])
    return staged


def _judge(lake: Lake, good: Any) -> Any:
    """The good rows that need judging (their id repeats in the batch or is stored) with `status`
    (inserted | updated | unchanged), `keep` (written), `replaces` (a stored row) and the stored row's hash,
    ingest time, customer and file; narrow columns only. Every other good row is a plain insert."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    narrow = good.select("id", "is_event", "r", "row_hash")
    ids = narrow.select("id", "is_event").distinct()
    stored = []
    for table, key, ev in (("records", "record_id", False), ("events", "event_id", True)):
        t = lake.read(table, with_file=True)
        stored.append(t.select(F.col(key).alias("id"), F.lit(ev).alias("is_event"), F.col("row_hash").alias("db_hash"),
                               F.col("ingested_at").alias("db_ingested_at"), F.col("customer_id").alias("db_customer"),
                               F.col("file").alias("db_file")))
    hits = stored[0].unionByName(stored[1]).join(ids, ["id", "is_event"], "left_semi")
    repeated = narrow.groupBy("id", "is_event").count().filter("count > 1").select("id", "is_event")
    judged_ids = repeated.unionByName(hits.select("id", "is_event")).distinct()
    w = Window.partitionBy("is_event", "id").orderBy("r")
    j = (narrow.join(judged_ids, ["id", "is_event"], "left_semi").join(hits, ["id", "is_event"], "left")
         .withColumn("prev_hash", F.lag("row_hash").over(w))
         .withColumn("is_last", F.row_number().over(Window.partitionBy("is_event", "id").orderBy(F.desc("r"))) == 1))
    differs = F.col("db_hash").isNull() | (F.col("db_hash") != F.col("row_hash"))
    status = (F.when(F.col("prev_hash").isNull() & F.col("db_hash").isNull(), "inserted")
              .when(F.coalesce("prev_hash", "db_hash") == F.col("row_hash"), "unchanged").otherwise("updated"))
    return (j.withColumn("status", status)
            .withColumn("keep", F.col("is_last") & differs)
            .withColumn("replaces", F.col("is_last") & F.col("db_hash").isNotNull() & differs)
            .drop("row_hash", "prev_hash", "is_last"))


_BROADCAST_ROWS = 2_000_000  # judged rows joined back to the batch's rows without a shuffle of those


def _kept_rows(good: Any, judged: Any, n_judged: int) -> Any:
    """The batch's rows that are written, with the stored row's ingest time where they replace one."""
    from pyspark.sql import functions as F

    side = judged.filter("keep").select("r", "db_ingested_at", F.lit(True).alias("judged_keep"))
    gone = judged.filter("NOT keep").select("r")
    if n_judged <= _BROADCAST_ROWS:
        side, gone = F.broadcast(side), F.broadcast(gone)
    return good.join(gone, "r", "left_anti").join(side, "r", "left").drop("judged_keep")


def _row_columns(table: str, batch: tuple[str, str, datetime]) -> list[Any]:
    """The written row's columns from a judged row (with its `customer_id`)."""
    from pyspark.sql import functions as F

    source, batch_id, now = batch
    key = "event_id" if table == "events" else "record_id"
    fields = [f for f in CANONICAL_FIELDS if not (table == "events" and f in _EVENT_DROP)]
    return [F.col("id").alias(key), F.lit(source).alias("source"), "seq", F.lit(batch_id).alias("batch_id"),
            "customer_id", *fields,
            "attributes", "raw", "row_hash", F.coalesce("db_ingested_at", ts_literal(now)).alias("ingested_at"),
            ts_literal(now).alias("updated_at"), F.date_format("occurred_at", "yyyy-MM").alias("month")]


def _write_rows(lake: Lake, tx: LakeTransaction, kept: Any, replaced: Any, repointed: Any,
                batch: tuple[str, str, datetime]) -> None:
    """New and updated rows as new files; stored files holding a replaced or re-pointed row rewritten."""
    from pyspark.sql import functions as F

    for table, key, ev in (("records", "record_id", False), ("events", "event_id", True)):
        rows = kept.filter(F.col("is_event") == ev)
        tx.append(table, rows.select(*_row_columns(table, batch)))
        gone = replaced.filter(F.col("is_event") == ev).select(F.col("id").alias(key), F.col("db_file").alias("file"))
        moved = None
        if repointed is not None:
            moved = repointed.filter(F.col("ev") == ev).select(F.col("key").alias(key), "file",
                                                               F.col("customer_id").alias("new_customer"))
        touched = gone.select("file") if moved is None else gone.select("file").unionByName(moved.select("file"))
        names = [r["file"] for r in touched.distinct().collect() if r["file"]]
        if not names:
            continue
        files = lake.files_named(table, names)
        old = lake.read(table, files).join(gone.select(key), key, "left_anti")
        if moved is not None:
            old = (old.join(moved.select(key, "new_customer", F.lit(True).alias("moved")), key, "left")
                   .withColumn("customer_id",
                               F.when(F.col("moved"), F.col("new_customer")).otherwise(F.col("customer_id")))
                   .drop("new_customer", "moved"))
        tx.append(table, old)
        tx.remove(table, files)


def _write_rejects(lake: Lake, tx: LakeTransaction, staged: Any, source: str) -> None:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rejects = (staged.filter("part = 'reject'")
               .withColumn("k", F.row_number().over(Window.partitionBy("reject_id").orderBy("file_no", "row_number")))
               .filter("k = 1").join(lake.read("rejects").select("reject_id"), "reject_id", "left_anti"))
    tx.append("rejects", rejects.select("reject_id", F.lit(tx.id).alias("batch_id"), F.lit(source).alias("source"),
                                        "file", F.col("row_number").alias("row"), "field", "reason", "raw"))


def _batch_row(files: list[Any], pattern: str, profile: SourceProfile) -> tuple[str, str, str]:
    """(file, file_sha256, options) of the batch row: a single file as itself, a glob as its pattern with
    the SHA-256 of its files' digests in path order (each file's in `options.files`)."""
    options: dict[str, Any] = {**profile.model_dump()}
    if len(files) == 1:
        return files[0]["file"], files[0]["file_sha256"], json.dumps(options, ensure_ascii=False)
    options["files"] = [{"file": f["file"], "sha256": f["file_sha256"], "rows_read": f["rows_read"]} for f in files]
    digest = hashlib.sha256("".join(f["file_sha256"] for f in files).encode()).hexdigest()
    return pattern, digest, json.dumps(options, ensure_ascii=False)


def ingest_lake(ws: Workspace, pattern: str | Path, *, source: str | None = None, profile: SourceProfile | None = None,
                timings: dict[str, float] | None = None) -> dict[str, Any]:
    """Ingest the files `pattern` names as one batch into the workspace's lake; return the counts (they add
    up to rows_read), as `ingest_service.ingest` does."""
    from pyspark.sql import functions as F

    clock = Stopwatch(timings)
    lake = open_lake(ws)
    with clock("recover"):
        lake.recover()
    pattern = str(pattern)
    _, df, paths = _files(lake, pattern)
    source, profile = resolve_profile(ws, source, profile, Path(local_name(paths[0])))
    now = datetime.now(UTC).replace(tzinfo=None)
    batch_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    tx = lake.transaction("ingest", batch_id)
    try:
        with clock("stage"):
            staged = _stage(lake, tx, df, paths, StageRecipe(plan_context(ws, source, profile), profile, batch_id))
        files = [r.asDict() for r in staged.filter("part = 'file'").orderBy("file_no").collect()]
        good = staged.filter("part = 'row'").withColumn("r", F.shiftleft(F.col("file_no"), _FILE_BITS) + F.col("seq"))
        with clock("judge"):
            judged = _judge(lake, good).localCheckpoint()
            counts = {"inserted": 0, "updated": 0, "unchanged": 0}
            counts.update({r["status"]: int(r["count"]) for r in judged.groupBy("status").count().collect()})
            n_judged = sum(counts.values())
            counts["inserted"] += good.count() - n_judged
            kept = _kept_rows(good, judged, n_judged)
        replaced = judged.filter("replaces").select("id", "is_event", "db_customer", "db_file")
        with clock("identity"):
            ids = [f for f in IDENTIFIER_FIELDS if f in kept.columns]
            batch = LakeBatchIdentities(source, kept.select("r", "occurred_at", *ids), ids, replaced)
            result = resolve_lake_identities(lake, tx, ws.settings, batch, now,
                                             ws.salt if ws.settings.identity.hash_identifiers else None)
        with clock("write"):
            kept = kept.join(result.row_customers, "r", "left")
            _write_rows(lake, tx, kept, replaced, result.repointed, (source, batch_id, now))
            _write_rejects(lake, tx, staged, source)
        rows_read = sum(int(f["rows_read"]) for f in files)
        rejected = rows_read - sum(counts.values())
        file, digest, options = _batch_row(files, pattern, profile)
        row = [(batch_id, source, file, digest, now, datetime.now(UTC).replace(tzinfo=None), rows_read,
                counts["inserted"], counts["updated"], counts["unchanged"], rejected, options)]
        tx.append("ingest_batches", lake.session.createDataFrame(row, lake.table("ingest_batches").spark_schema()))
        with clock("commit"):
            tx.commit({"batch_id": batch_id, "source": source, "rows_read": rows_read, **counts, "rejected": rejected})
    except BaseException:
        tx.abort()
        raise
    return {"batch_id": batch_id, "rows_read": rows_read, **counts, "rejected": rejected, "files": len(files)}
