"""The enrichment pipeline: a pure function from an Arrow batch of records to a batch of enrichments.

`enrich_batch(batch, ctx)` takes columns `record_id`, `row_hash`, `text` and returns one row per record
in the `ENRICHMENT_SCHEMA` layout of the `enrichments` table. The context is a list of `Enricher` stages
(normalise → PII → language → segment → sentiment → emotion → topics → FAQ), each adding columns to a
shared `EnrichFrame` and timing itself. A `PipelineSpec` is the picklable recipe a worker process (or a
Spark `mapInArrow` task, see `arrow_mapper`) turns into a context once, so jieba and the models load once
per worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from cxloop.text.faq import FaqMatch
from cxloop.text.topics import TopicAssignment

__all__ = [
    "ENRICHMENT_SCHEMA",
    "EnrichContext",
    "EnrichFrame",
    "Enricher",
    "arrow_mapper",
    "enrich_batch",
]

ENRICHMENT_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("row_hash", pa.string()),
        ("model_version", pa.string()),
        ("language", pa.string()),
        ("text_redacted", pa.string()),
        ("tokens", pa.list_(pa.string())),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float64()),
        ("emotion", pa.string()),
        ("topic_id", pa.string()),
        ("topic_confidence", pa.float64()),
        ("topics", pa.string()),  # JSON list
        ("aspects", pa.string()),  # JSON list
        ("faq_id", pa.string()),
        ("faq_score", pa.float64()),
    ]
)


@dataclass
class EnrichFrame:
    """The columns of one batch while the stages fill them in."""

    texts: list[str]
    normalized: list[str] = field(default_factory=list)
    redacted: list[str] | None = None
    languages: list[str] | None = None
    tokens: list[list[str]] | None = None
    sentiment: list[str] | None = None
    sentiment_score: np.ndarray | None = None
    emotion: list[str] | None = None
    topics: list[TopicAssignment] | None = None
    faq: list[FaqMatch] | None = None

    def __len__(self) -> int:
        return len(self.texts)


class Enricher(Protocol):
    """One pipeline stage: reads some columns of the frame and fills others, in place."""

    name: str

    @property
    def version(self) -> str: ...

    def apply(self, frame: EnrichFrame) -> None: ...


class EnrichContext:
    """An ordered list of stages, their combined version and the seconds each has spent so far."""

    def __init__(self, stages: Sequence[Enricher]) -> None:
        self.stages = list(stages)
        self.timings: dict[str, float] = {s.name: 0.0 for s in self.stages}

    @property
    def version(self) -> str:
        return "+".join(s.version for s in self.stages)

    def run(self, frame: EnrichFrame) -> EnrichFrame:
        for stage in self.stages:
            start = time.perf_counter()
            stage.apply(frame)
            self.timings[stage.name] += time.perf_counter() - start
        return frame


def enrich_batch(batch: pa.RecordBatch, ctx: EnrichContext) -> pa.RecordBatch:
    """Enrich a batch with columns record_id, row_hash, text (see the module docstring)."""
    texts = [t or "" for t in batch.column("text").to_pylist()]
    frame = ctx.run(EnrichFrame(texts=texts))
    return _to_batch(batch, frame, ctx.version)


def _json_list(items: Sequence[list[dict[str, Any]]]) -> list[str]:
    return [json.dumps(x, ensure_ascii=False) for x in items]


def _to_batch(batch: pa.RecordBatch, frame: EnrichFrame, version: str) -> pa.RecordBatch:
    n = len(frame)
    nulls: list[Any] = [None] * n
    topics = frame.topics or [TopicAssignment()] * n
    faq = frame.faq or [FaqMatch(None, None)] * n
    scores = frame.sentiment_score
    columns = {
        "record_id": batch.column("record_id"),
        "row_hash": batch.column("row_hash"),
        "model_version": pa.array([version] * n, pa.string()),
        "language": pa.array(frame.languages or nulls, pa.string()),
        "text_redacted": pa.array(frame.redacted if frame.redacted is not None else frame.normalized or nulls,
                                  pa.string()),
        "tokens": pa.array(frame.tokens or nulls, pa.list_(pa.string())),
        "sentiment": pa.array(frame.sentiment or nulls, pa.string()),
        "sentiment_score": pa.array(scores if scores is not None else nulls, pa.float64()),
        "emotion": pa.array(frame.emotion or nulls, pa.string()),
        "topic_id": pa.array([t.topic_id for t in topics], pa.string()),
        "topic_confidence": pa.array([t.confidence for t in topics], pa.float64()),
        "topics": pa.array(_json_list([t.topics for t in topics]), pa.string()),
        "aspects": pa.array(_json_list([t.aspects for t in topics]), pa.string()),
        "faq_id": pa.array([m.faq_id for m in faq], pa.string()),
        "faq_score": pa.array([m.score for m in faq], pa.float64()),
    }
    return pa.RecordBatch.from_arrays(
        [columns[f.name] for f in ENRICHMENT_SCHEMA], schema=ENRICHMENT_SCHEMA
    )


def arrow_mapper(
    build: Callable[[], EnrichContext],
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A function for Spark's `DataFrame.mapInArrow`: builds the context once per task, then maps batches."""

    def mapper(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        ctx = build()
        for batch in batches:
            yield enrich_batch(batch, ctx)

    return mapper
