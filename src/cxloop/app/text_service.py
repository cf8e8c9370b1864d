"""Text enrichment over the workspace: incremental, resumable, in local worker processes.

`enrich(ws)` enriches the records whose text is new, changed (their `row_hash` differs from the one
enriched) or enriched by another pipeline version, in Arrow batches; each finished batch is written at
once, so an interrupted run resumes where it stopped. With `jobs > 1` batches run in a process pool whose
workers build the pipeline once (jieba and the models load once per worker).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cxloop.app.metrics_facts import refresh_topic_facts
from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.store import registered, transaction
from cxloop.text.pipeline import EnrichContext, enrich_batch
from cxloop.text.stages import BACKENDS, PipelineSpec, TextSettings, build_context
from cxloop.text.taxonomy import Taxonomy, load_default_taxonomy, read_taxonomy_file

__all__ = [
    "enrich",
    "load_taxonomy",
    "pipeline_spec",
    "sync_taxonomy",
    "text_settings",
]

Progress = Callable[[int, int], None]  # (done, total)

TAXONOMY_FILE = "taxonomy.toml"
USER_DICT_FILE = "dict.txt"
CLASSIFIER_DIR = Path("models") / "topic_classifier"
_TAXONOMY_COLUMNS = ("topic_id", "parent_id", "name_zh", "name_en", "keywords", "pattern",
                     "owner_department", "examples", "origin")
_ENRICH_COLUMNS = ("record_id", "row_hash", "model_version", "language", "text_redacted", "tokens",
                   "sentiment", "sentiment_score", "emotion", "topic_id", "topic_confidence", "topics",
                   "aspects", "faq_id", "faq_score")


def _scalar(ws: Workspace, sql: str, params: list[Any] | None = None) -> Any:
    rows = ws.con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def text_settings(ws: Workspace) -> TextSettings:
    return ws.settings.text  # validated with the workspace settings (cxloop.settings.text)


def load_taxonomy(ws: Workspace) -> Taxonomy:
    """The taxonomy as stored in the workspace."""
    rows = ws.con.execute(f"SELECT {', '.join(_TAXONOMY_COLUMNS)} FROM taxonomy ORDER BY topic_id").fetchall()
    return Taxonomy.from_rows([dict(zip(_TAXONOMY_COLUMNS, r, strict=True)) for r in rows])


def store_topics(ws: Workspace, topics: list[dict[str, Any]]) -> None:
    """Insert or replace taxonomy rows (one transaction)."""
    if not topics:
        return
    table = pa.Table.from_pylist(
        [{c: t.get(c) for c in _TAXONOMY_COLUMNS} for t in topics],
        schema=pa.schema([(c, pa.list_(pa.string()) if c in ("keywords", "examples") else pa.string())
                          for c in _TAXONOMY_COLUMNS]),
    )
    cols = ", ".join(_TAXONOMY_COLUMNS)
    with registered(ws.con, "_cx_topics", table), transaction(ws.con):
        ws.con.execute("DELETE FROM taxonomy WHERE topic_id IN (SELECT topic_id FROM _cx_topics)")
        ws.con.execute(f"INSERT INTO taxonomy ({cols}) SELECT {cols} FROM _cx_topics")


def sync_taxonomy(ws: Workspace) -> Taxonomy:
    """Seed an empty taxonomy with the shipped default; apply `WS/taxonomy.toml` when present."""
    if _scalar(ws, "SELECT count(*) FROM taxonomy") == 0:
        store_topics(ws, load_default_taxonomy().rows())
    path = ws.root / TAXONOMY_FILE
    if path.is_file():
        current = load_taxonomy(ws)
        topics = read_taxonomy_file(path, origin="workspace")
        current.merged(topics)  # validates parents before anything is written
        store_topics(ws, [t.to_dict() for t in topics])
    return load_taxonomy(ws)


def _faq_rows(ws: Workspace) -> tuple[dict[str, Any], ...]:
    cols = ("faq_id", "question", "variants", "answer", "product")
    rows = ws.con.execute(f"SELECT {', '.join(cols)} FROM faq ORDER BY faq_id").fetchall()
    return tuple(dict(zip(cols, r, strict=True)) for r in rows)


def pipeline_spec(ws: Workspace, *, backend: str = "auto") -> PipelineSpec:
    """The picklable recipe of this workspace's pipeline (taxonomy, FAQ, dictionary, classifier)."""
    if backend not in BACKENDS:
        raise UsageError(f"--backend {backend!r} is not one of {', '.join(BACKENDS)}")
    taxonomy = sync_taxonomy(ws)
    classifier = ws.root / CLASSIFIER_DIR
    user_dict = ws.root / USER_DICT_FILE
    return PipelineSpec(
        taxonomy=tuple(taxonomy.rows()),
        settings=text_settings(ws).model_dump(),
        user_dict=str(user_dict) if user_dict.is_file() else None,
        topic_classifier_dir=str(classifier) if classifier.is_dir() else None,
        faq=_faq_rows(ws),
        backend=backend,
    )


# -- worker processes -----------------------------------------------------------------------------
_WORKER: dict[str, EnrichContext] = {}


def _init_worker(spec: PipelineSpec, overrides: Mapping[str, Any]) -> None:
    """Build the pipeline once per worker; one BLAS/OpenMP thread each (the workers are the parallelism)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    _WORKER["ctx"] = build_context(spec, **overrides)


def _run_batch(batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict[str, float]]:
    ctx = _WORKER["ctx"]
    before = dict(ctx.timings)
    out = enrich_batch(batch, ctx)
    return out, {k: v - before.get(k, 0.0) for k, v in ctx.timings.items()}


# -- the enrich task ----------------------------------------------------------------------------------
def _pending(ws: Workspace, version: str) -> pa.Table:
    """record_id, row_hash, text of every record whose enrichment is missing or stale."""
    return ws.con.sql(
        """
        SELECT r.record_id, r.row_hash, r.text
        FROM records r LEFT JOIN enrichments e USING (record_id)
        WHERE r.text IS NOT NULL AND length(trim(r.text)) > 0
          AND (e.record_id IS NULL OR e.row_hash <> r.row_hash OR e.model_version <> ?)
        ORDER BY r.record_id
        """,
        params=[version],
    ).to_arrow_table()


def _write(ws: Workspace, batch: pa.RecordBatch, now: datetime) -> None:
    cols = ", ".join(_ENRICH_COLUMNS)
    with registered(ws.con, "_cx_enriched", pa.Table.from_batches([batch])), transaction(ws.con):
        ws.con.execute("DELETE FROM enrichments WHERE record_id IN (SELECT record_id FROM _cx_enriched)")
        ws.con.execute(
            f"INSERT INTO enrichments ({cols}, enriched_at) SELECT {cols}, ? FROM _cx_enriched", [now]
        )


def _drop_orphans(ws: Workspace) -> int:
    """Enrichments whose record is gone or has no text any more."""
    row = ws.con.execute(
        """
        DELETE FROM enrichments WHERE record_id NOT IN (
            SELECT record_id FROM records WHERE text IS NOT NULL AND length(trim(text)) > 0)
        RETURNING record_id
        """
    ).fetchall()
    return len(row)


def _batches(table: pa.Table, size: int) -> Iterator[pa.RecordBatch]:
    for batch in table.to_batches(max_chunksize=size):
        if batch.num_rows:
            yield batch


def _run_parallel(
    spec: PipelineSpec, overrides: Mapping[str, Any], batches: Iterator[pa.RecordBatch], jobs: int
) -> Iterator[tuple[pa.RecordBatch, dict[str, float]]]:
    """Results in completion order, at most 2 batches a worker in flight."""
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(spec, overrides)) as pool:
        running: set[Future[tuple[pa.RecordBatch, dict[str, float]]]] = set()
        for batch in batches:
            running.add(pool.submit(_run_batch, batch))
            if len(running) >= 2 * jobs:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        for future in running:
            yield future.result()


def enrich(
    ws: Workspace,
    *,
    jobs: int | None = None,
    backend: str = "auto",
    batch_size: int | None = None,
    progress: Progress | None = None,
    overrides: Mapping[str, Any] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC).replace(tzinfo=None),
) -> dict[str, Any]:
    """Enrich what is new, changed or stale; return counts, throughput and seconds per stage.

    `jobs` worker processes run the batches (default: one per core); a run of one batch stays in this
    process (starting a worker costs ~1 s of model loading). `overrides` passes ready-made models to
    `build_context` (sentiment_model, emotion_model, matcher, classifier) instead of loading the shipped ones.
    """
    cores = os.cpu_count() or 1
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}", field="jobs")
    jobs = cores if jobs is None else min(jobs, cores)
    start = time.perf_counter()
    spec = pipeline_spec(ws, backend=backend)
    overrides = dict(overrides or {})
    local = build_context(spec, **overrides)
    version = local.version
    todo = _pending(ws, version)
    total = todo.num_rows
    size = batch_size or text_settings(ws).batch_size
    stage_seconds = {name: 0.0 for name in local.timings}
    done = 0
    if not total:
        jobs = 1
    if progress:
        progress(0, total)
    if total:
        if jobs == 1 or total <= size:
            jobs = 1
            results: Iterator[tuple[pa.RecordBatch, dict[str, float]]] = (
                _local_run(local, b) for b in _batches(todo, size)
            )
        else:
            results = _run_parallel(spec, overrides, _batches(todo, size), jobs)
        for out, timings in results:
            _write(ws, out, clock())
            for k, v in timings.items():
                stage_seconds[k] = stage_seconds.get(k, 0.0) + v
            done += out.num_rows
            if progress:
                progress(done, total)
    removed = _drop_orphans(ws)
    # the pain-point ranking reads a time-ordered copy of records x topics while it is current
    facts = refresh_topic_facts(ws)
    seconds = time.perf_counter() - start
    up_to_date = _scalar(ws, "SELECT count(*) FROM enrichments WHERE model_version = ?", [version])
    return {
        "model_version": version,
        "enriched": done,
        "up_to_date": up_to_date,
        "removed": removed,
        "jobs": jobs,
        "seconds": round(seconds, 3),
        "docs_per_s": round(done / seconds, 1) if done and seconds > 0 else None,
        "stage_seconds": {k: round(v, 3) for k, v in stage_seconds.items()},
        "topic_facts_rows": facts["rows"],
    }


def _local_run(ctx: EnrichContext, batch: pa.RecordBatch) -> tuple[pa.RecordBatch, dict[str, float]]:
    before = dict(ctx.timings)
    out = enrich_batch(batch, ctx)
    return out, {k: v - before.get(k, 0.0) for k, v in ctx.timings.items()}
