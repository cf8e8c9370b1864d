"""Journey steps: events and records as one ordered table of steps, with their stage and sequence key.

A *step* is one row of `events` or `records`. Steps are ordered by time, ties by source order: the batch
(its `ingest_batches.started_at`, then its id) and then the row's position `seq` in its file. The
expressions here are portable Ibis (windows, joins, `coalesce`, `substitute`, `re_extract`): they run on
DuckDB and on Spark unchanged.
"""

from __future__ import annotations

from enum import StrEnum

import ibis
import ibis.expr.types as ir

from cxloop.journeys.config import StageMap

__all__ = [
    "NONE_LABEL",
    "STEP_COLUMNS",
    "FlowDimension",
    "SequenceGrain",
    "attribute_text",
    "build_steps",
    "order_keys",
    "stage_expr",
    "tie_key",
]

NONE_LABEL = "(none)"
SEQ_BITS = 40  # `tie_key` packs (batch rank, seq): seq < 2**40 rows per file, batch rank < 2**23

STEP_COLUMNS = (
    "step_kind", "step_id", "source", "channel", "kind", "touchpoint", "event_type", "journey_stage",
    "session_id", "case_id", "customer_id", "product", "agent_id", "outcome", "occurred_at", "batch_id",
    "seq", "attributes",
)


class FlowDimension(StrEnum):
    """What a node of a flow is."""

    event_type = "event_type"
    channel = "channel"
    touchpoint = "touchpoint"
    stage = "stage"


class SequenceGrain(StrEnum):
    """What one sequence (trace) is."""

    session = "session"
    customer = "customer"
    episode = "episode"


@ibis.udf.scalar.builtin(name="json_extract_string")
def _json_extract_string(doc: str, path: str) -> str:  # type: ignore[empty-body]
    """DuckDB's native JSON string extraction (declared only; DuckDB runs it)."""


def attribute_text(
    attributes: ir.Value, key: str, *, native: bool = False, empty_as_null: bool = True
) -> ir.StringValue:
    """The string value of `attributes[key]` (null when absent; also when empty, unless `empty_as_null=False`).

    Comparing with a non-empty value needs no `empty_as_null`: DuckDB expands NULLIF into a CASE that
    extracts the value twice.

    Keys such as `lifecycle:transition` contain a colon, which Ibis' JSON path compiles as a nested path.
    `native=True` (DuckDB) calls `json_extract_string(attributes, '$."key"')`, ~15x faster; the portable
    form (any engine, e.g. Spark) matches the JSON text with a regular expression. Escaped quotes inside a
    value stay escaped in the portable form (values like 'complete' or a menu node id never have them).
    """
    if native:
        quoted = key.replace("\\", "\\\\").replace('"', '\\"')
        found = _json_extract_string(attributes.cast("string"), f'$."{quoted}"')
    else:
        escaped = "".join("\\" + c if not c.isalnum() else c for c in key)
        pattern = '"' + escaped + r'"\s*:\s*"((?:[^"\\]|\\.)*)"'
        found = attributes.cast("string").re_extract(pattern, 1)
    return found.nullif("") if empty_as_null else found


def stage_expr(t: ir.Table, stage_map: StageMap) -> ir.StringValue:
    """The step's stage: its own journey_stage, else the first mapped event_type/touchpoint/kind/channel."""
    candidates: list[ir.Value] = [t.journey_stage]
    for field, mapping in stage_map.ordered():
        if mapping:
            candidates.append(t[field].substitute(mapping, else_=ibis.null("string")))
    return ibis.coalesce(*candidates).cast("string")


def _select(t: ir.Table, step_kind: str, id_column: str) -> ir.Table:
    return t.select(
        step_kind=ibis.literal(step_kind),
        step_id=t[id_column],
        **{c: t[c] for c in STEP_COLUMNS[2:] if c != "attributes"},
        attributes=t.attributes.cast("string"),
    )


def build_steps(
    events: ir.Table,
    records: ir.Table | None = None,
    batches: ir.Table | None = None,
    *,
    event_typed_records_only: bool = True,
) -> ir.Table:
    """Union events and records into steps, each with `batch_at` (its batch's start) for ordering.

    Records take part when they have an `event_type` (`event_typed_records_only`, the rule for event
    flows), or all of them (for channel/touchpoint/stage flows, the journey map and switching).
    """
    steps = _select(events, "event", "event_id")
    if records is not None:
        chosen = records.filter(records.event_type.notnull()) if event_typed_records_only else records
        steps = steps.union(_select(chosen, "record", "record_id"))
    if batches is None:
        return steps.mutate(batch_at=ibis.null("timestamp"))
    b = batches.select(b_id=batches.batch_id, batch_at=batches.started_at)
    joined = steps.left_join(b, steps.batch_id == b.b_id)
    return joined.select(*STEP_COLUMNS, "batch_at")


def order_keys(t: ir.Table) -> list[ir.Value]:
    """Time, then source order: batch start, batch id, position in the file."""
    return [t.occurred_at, t.batch_at, t.batch_id, t.seq]


def tie_key(t: ir.Table, batch_rank: dict[str, int]) -> ir.IntegerValue:
    """One int64 ordering ties in time: `batch rank << SEQ_BITS | seq` (unknown batches rank last).

    `batch_rank` is `sequences.batch_ranks` over the workspace's batches (a few rows, read first), so the
    engine returns one integer instead of the batch id string. With one batch in the workspace the key is
    `seq` itself (every row comes from a recorded batch: ingest records the batch in the same transaction).
    """
    seq = t.seq.cast("int64")
    if len(batch_rank) <= 1:
        return seq
    rank = t.batch_id.substitute(batch_rank, else_=len(batch_rank)).cast("int64")
    return rank * (1 << SEQ_BITS) + seq
