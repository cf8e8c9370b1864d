"""Unit relations: one row per measured unit (a response, a contact, an IVR session, a case).

Every relation has `occurred_at` (UTC), every dimension of `query.DIMENSIONS` (null where the unit has
none) and the columns its metrics read. These are pure Ibis builders; the app runs them on an engine.
Numerics are cast explicitly (a float literal in a CASE became a decimal on Spark).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from cxloop.metrics.query import DIMENSIONS, ENRICHMENT_DIMENSIONS, RECORD_DIMENSIONS
from cxloop.model import events as ev

__all__ = ["Sources", "cases", "contacts", "ivr_sessions", "responses"]


@dataclass(frozen=True)
class Sources:
    """The tables a query reads, from whichever engine runs it."""

    records: ir.Table
    events: ir.Table
    enrichments: ir.Table
    taxonomy: ir.Table
    has_enrichments: bool
    # records with a primary topic, already joined to their enrichment and stored in time order (the
    # columns of `painpoints.topic_relation`); None where the engine has no current copy
    topic_facts: ir.Table | None = None


def _null(kind: str) -> ir.Value:
    return ibis.null().cast(kind)


def _nullable(t: ir.Table) -> ir.Table:
    """Relax NOT NULL column types, so relations from different tables can be unioned."""
    schema = t.schema()
    return t.cast({name: dtype.copy(nullable=True) for name, dtype in schema.items() if not dtype.nullable})


def _f(expr: ir.Value) -> ir.Value:
    return expr.cast("float64")


def responses(src: Sources, *, with_enrichment: bool, present: str | None = None) -> ir.Table:
    """One row per record, with enrichment columns when asked for (else typed nulls, no join).

    `present` keeps only records where that score column is not null, filtered on the stored column
    before any cast, so the engine can push the test into its scan."""
    r = src.records
    if present is not None:
        r = r.filter(r[present].notnull())
    cols: dict[str, ir.Value] = {"occurred_at": r.occurred_at}
    cols.update({d: r[d] for d in RECORD_DIMENSIONS})
    cols.update(
        record_id=r.record_id, customer_id=r.customer_id, case_id=r.case_id, outcome=r.outcome,
        duration_seconds=_f(r.duration_seconds), nps=r.nps.cast("int64"), csat=_f(r.csat),
        ces=_f(r.ces), rating=_f(r.rating), text=r.text,
    )
    base = r.select(**cols)
    if not (with_enrichment and src.has_enrichments):
        return base.mutate(
            **{d: _null("string") for d in ENRICHMENT_DIMENSIONS}, sentiment_score=_null("float64")
        )
    e = src.enrichments.select(
        e_record_id=src.enrichments.record_id,
        topic_id=src.enrichments.topic_id,
        sentiment=src.enrichments.sentiment,
        emotion=src.enrichments.emotion,
        sentiment_score=_f(src.enrichments.sentiment_score),
    )
    joined = base.left_join(e, base.record_id == e.e_record_id)
    return joined.drop("e_record_id")


def _session_dims(t: ir.Table) -> dict[str, ir.Value]:
    """A session's dimensions: the smallest non-null value among its events (portable `any`)."""
    dims: dict[str, ir.Value] = {d: t[d].min() for d in RECORD_DIMENSIONS}
    dims.update({d: _null("string") for d in ENRICHMENT_DIMENSIONS})
    return dims


def ivr_sessions(src: Sources) -> ir.Table:
    """One row per IVR session; `lost` = ended with neither self-service success nor an agent."""
    t = src.events.filter(src.events.event_type.isin(sorted(ev.IVR_EVENTS)), src.events.session_id.notnull())
    flag = lambda name: ibis.cases((t.event_type == name, 1), else_=0).cast("int64").max()  # noqa: E731
    g = t.group_by(t.session_id).aggregate(
        occurred_at=t.occurred_at.min(),
        success=flag(ev.IVR_SELFSERVICE_SUCCESS),
        to_agent=flag(ev.IVR_TO_AGENT),
        abandon=flag(ev.IVR_ABANDON),
        **_session_dims(t),
    )
    return g.mutate(lost=((g.success == 0) & (g.to_agent == 0)).cast("int64"))


def _event_contacts(src: Sources) -> ir.Table:
    """Assisted-contact sessions from events, with an outcome derived from their event types."""
    t = src.events.filter(
        src.events.event_type.isin(sorted(ev.CONTACT_EVENTS)), src.events.session_id.notnull()
    )
    flag = lambda cond: ibis.cases((cond, 1), else_=0).cast("int64").max()  # noqa: E731
    g = t.group_by(t.session_id).aggregate(
        occurred_at=t.occurred_at.min(),
        last_at=t.occurred_at.max(),
        customer_id=t.customer_id.min(),
        case_id=t.case_id.min(),
        has_transfer=flag((t.event_type == ev.TRANSFER) | (t.outcome == ev.OUTCOME_TRANSFERRED)),
        has_resolved=flag((t.event_type == ev.RESOLVED) | (t.outcome == ev.OUTCOME_RESOLVED)),
        has_abandon=flag(t.outcome == ev.OUTCOME_ABANDONED),
        duration_seconds=_f(t.duration_seconds.max()),
        **_session_dims(t),
    )
    outcome = ibis.cases(
        (g.has_transfer == 1, ev.OUTCOME_TRANSFERRED),
        (g.has_resolved == 1, ev.OUTCOME_RESOLVED),
        (g.has_abandon == 1, ev.OUTCOME_ABANDONED),
        else_=ev.OUTCOME_UNRESOLVED,
    )
    span = _f(g.last_at.epoch_seconds() - g.occurred_at.epoch_seconds())
    return g.mutate(outcome=outcome, duration_seconds=g.duration_seconds.fill_null(span))


_CONTACT_COLS = ("occurred_at", *DIMENSIONS, "customer_id", "case_id", "outcome", "duration_seconds")


def contacts(src: Sources, *, repeat_days: int, outcome_only: bool) -> ir.Table:
    """Contacts (records with a customer, plus assisted-contact sessions from events) with `repeat`:

    1 when the same customer contacts again within `repeat_days` about the same topic (any topic when
    the workspace has no enrichments; a contact without a topic matches other topic-less contacts).
    The follow-up is searched in all data, before any filter or window narrows the counted contacts.
    """
    rec = responses(src, with_enrichment=True)
    rec = rec.filter(rec.customer_id.notnull())
    rows = _nullable(rec.select(*_CONTACT_COLS)).union(_nullable(_event_contacts(src).select(*_CONTACT_COLS)))
    topic_key = rows.topic_id.fill_null("") if src.has_enrichments else ibis.literal("")
    rows = rows.mutate(topic_key=topic_key, epoch=rows.occurred_at.epoch_seconds().cast("int64"))
    with_cust = rows.filter(rows.customer_id.notnull())
    w = ibis.window(group_by=[with_cust.customer_id, with_cust.topic_key], order_by=[with_cust.epoch])
    nxt = with_cust.epoch.lead().over(w)
    rows = with_cust.mutate(
        repeat=ibis.cases(((nxt - with_cust.epoch) <= repeat_days * 86400, 1), else_=0).cast("int64")
    )
    if outcome_only:
        rows = rows.filter(rows.outcome.notnull())
    return rows.drop("topic_key", "epoch")


def cases(src: Sources) -> ir.Table:
    """Resolution time in hours: per case_id, first activity to last resolution (records and events);
    a resolved record without a case counts with its own `duration_seconds`."""
    cols = ("occurred_at", *RECORD_DIMENSIONS, "case_id", "event_type", "outcome")
    r = _nullable(src.records.select(*cols))
    e = _nullable(src.events.select(*cols))
    u = r.union(e)
    u = u.filter(u.case_id.notnull())
    is_res = (u.event_type == ev.RESOLVED) | (u.outcome == ev.OUTCOME_RESOLVED)
    resolved_ep = ibis.cases((is_res, u.occurred_at.epoch_seconds().cast("int64")), else_=_null("int64"))
    g = u.group_by(u.case_id).aggregate(
        occurred_at=u.occurred_at.min(),
        start_ep=u.occurred_at.epoch_seconds().cast("int64").min(),
        end_ep=resolved_ep.max(),
        **_session_dims(u),
    )
    g = g.filter(g.end_ep.notnull())
    by_case = g.mutate(value=_f(g.end_ep - g.start_ep) / 3600.0)
    rec = responses(src, with_enrichment=False)
    single = rec.filter(
        rec.case_id.isnull(), rec.outcome == ev.OUTCOME_RESOLVED, rec.duration_seconds.notnull()
    ).mutate(value=rec.duration_seconds / 3600.0)
    keep = ("occurred_at", *DIMENSIONS, "value")
    return _nullable(by_case.select(*keep)).union(_nullable(single.select(*keep)))
