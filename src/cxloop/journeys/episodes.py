"""Service episodes: one problem of one customer, from the first contact to the last, and their health.

A *contact* is a record of a known customer whose kind is not a non-contact kind (surveys, reviews and
posts are feedback, not service contacts). Contacts are sessionised (the classic inactivity-gap
sessionisation of web-usage mining, Cooley, Mobasher & Srivastava 1999) by customer and topic: a contact
starts a new episode when it is the customer's first on that topic or comes more than
`episode_gap_hours` after the previous one; contacts that share a case id (two or more on one case) are
one problem whatever topics their texts got. The topic is the enrichment's primary topic ("(none)" when
the text matched none); without any enrichment every contact of a customer shares the topic "(any)".

Health (0-100, higher is better) is a weighted mean of four parts in [0, 1] (weights in `[journeys.health]`):
- effort  = 1 / (1 + (contacts - 1) + 0.5 * channel_switches + 0.5 * transfers)
- time    = 1 / (1 + elapsed_hours / target_hours)           (0.5 when it took target_hours)
- outcome = 1/contacts resolved (first-contact resolution earns 1), 0.25/contacts transferred,
            0 unresolved or abandoned, 0.5/contacts unknown (the outcome of the episode's last contact)
- emotion = (mean sentiment_score + 1) / 2                     (0.5 without sentiment)
Everything is portable Ibis: windows (lag, cumulative sum, row_number), filtered aggregates, joins.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from cxloop.journeys.config import JourneyConfig
from cxloop.journeys.steps import NONE_LABEL, order_keys, stage_expr

__all__ = [
    "ANY_TOPIC",
    "contacts",
    "episodes",
    "health_rollup",
    "step_episodes",
    "summary",
]

ANY_TOPIC = "(any)"
_UNHEALTHY = 50.0


def contacts(
    records: ir.Table,
    enrichments: ir.Table | None,
    batches: ir.Table | None,
    config: JourneyConfig,
) -> ir.Table:
    """Service contacts with `topic`, `sentiment`, `sentiment_score`, `stage` and `batch_at`.

    Pass `enrichments=None` when the workspace has none: every contact then gets the topic "(any)".
    """
    kinds = config.non_contact_kinds
    chosen = records.filter(records.customer_id.notnull(), ~records.kind.fill_null("").isin(kinds or [""]))
    if enrichments is not None:
        e = enrichments.select(
            e_record_id=enrichments.record_id, topic_id=enrichments.topic_id,
            sentiment=enrichments.sentiment, sentiment_score=enrichments.sentiment_score,
        )
        chosen = chosen.left_join(e, chosen.record_id == e.e_record_id).drop("e_record_id")
        topic = chosen.topic_id.fill_null(NONE_LABEL)
    else:
        chosen = chosen.mutate(sentiment=ibis.null("string"), sentiment_score=ibis.null("float64"))
        topic = ibis.literal(ANY_TOPIC)
    chosen = chosen.mutate(topic=topic, stage=stage_expr(chosen, config.stage_map))
    # A case that several contacts share is one problem whatever topic each text was given; other
    # contacts (no case, or a case of their own) are grouped by topic.
    case_n = chosen.count().over(ibis.window(group_by=chosen.case_id))
    shared_case = chosen.case_id.notnull() & (case_n >= 2)
    chosen = chosen.mutate(problem=ibis.ifelse(shared_case, "case:" + chosen.case_id, chosen.topic))
    if batches is None:
        return chosen.mutate(batch_at=ibis.null("timestamp"))
    b = batches.select(b_id=batches.batch_id, batch_at=batches.started_at)
    return chosen.left_join(b, chosen.batch_id == b.b_id).drop("b_id")


def _session_transfers(contacts_: ir.Table, events: ir.Table | None) -> ir.Table:
    """Each contact's transfers: transfer events of its session, at least 1 if its outcome says so."""
    flagged = (contacts_.outcome == "transferred").fill_null(False).cast("int64")
    if events is None:
        return contacts_.mutate(transfers=flagged)
    moved = events.filter(events.event_type == "transfer", events.session_id.notnull())
    per_session = moved.group_by(t_session=moved.session_id).aggregate(n_transfers=moved.count())
    joined = contacts_.left_join(per_session, contacts_.session_id == per_session.t_session)
    return joined.mutate(transfers=ibis.greatest(joined.n_transfers.fill_null(0), flagged).cast("int64")).drop(
        "t_session", "n_transfers"
    )


def _sessionise(c: ir.Table, gap_hours: float) -> ir.Table:
    """Add `episode_id`, `pos` (1-based within the episode), `n` (its contacts) and `switch` (0/1)."""
    w = ibis.window(group_by=[c.customer_id, c.problem], order_by=order_keys(c))
    prev_at = c.occurred_at.lag().over(w)
    gap_ms = c.occurred_at.delta(prev_at, unit="millisecond")
    c = c.mutate(is_new=(prev_at.isnull() | (gap_ms > gap_hours * 3_600_000)).cast("int64"))
    w = ibis.window(group_by=[c.customer_id, c.problem], order_by=order_keys(c))
    c = c.mutate(episode_no=c.is_new.cumsum().over(w))
    c = c.mutate(episode_id=c.customer_id + "|" + c.problem + "|" + c.episode_no.cast("string"))
    we = ibis.window(group_by=c.episode_id, order_by=order_keys(c))
    prev_channel = c.channel.lag().over(we)
    return c.mutate(
        pos=ibis.row_number().over(we) + 1,
        n=c.count().over(ibis.window(group_by=c.episode_id)),
        switch=(prev_channel.notnull() & (c.channel != prev_channel)).fill_null(False).cast("int64"),
    )


def _health(t: ir.Table, config: JourneyConfig) -> ir.Table:
    h = config.health
    extra = (t.contacts - 1) + 0.5 * t.channel_switches + 0.5 * t.transfers
    elapsed_h = t.elapsed_seconds / 3600.0
    resolved = ibis.literal(config.resolved_outcomes or ["resolved"])
    # First-contact resolution is the standard: resolving at the n-th contact earns 1/n of the credit.
    outcome = ibis.cases(
        (resolved.contains(t.outcome), 1.0 / t.contacts),
        (t.outcome == "transferred", 0.25 / t.contacts),
        (t.outcome.isin(["unresolved", "abandoned"]), 0.0),
        else_=0.5 / t.contacts,
    )
    t = t.mutate(
        effort=(1.0 / (1.0 + extra)).cast("float64"),
        time=(1.0 / (1.0 + elapsed_h / h.target_hours)).cast("float64"),
        outcome_score=outcome.cast("float64"),
        emotion=((t.sentiment_mean + 1.0) / 2.0).fill_null(0.5).cast("float64"),
    )
    total = h.effort + h.time + h.outcome + h.emotion
    score = (h.effort * t.effort + h.time * t.time + h.outcome * t.outcome_score + h.emotion * t.emotion) / total
    return t.mutate(health=(100.0 * score).round(1).cast("float64"))


def episodes(contacts_: ir.Table, events: ir.Table | None, config: JourneyConfig) -> ir.Table:
    """One row per episode with its path, effort, elapsed time, outcome, sentiment and health."""
    c = _sessionise(_session_transfers(contacts_, events), config.episode_gap_hours)
    first, last = c.pos == 1, c.pos == c.n
    named = c.topic != NONE_LABEL
    agg = c.group_by([c.episode_id, c.customer_id]).aggregate(
        topic=ibis.coalesce(c.topic.max(where=first & named), c.topic.max(where=named), c.topic.max()),
        contacts=c.count().cast("int64"),
        channels=c.channel.collect(distinct=True).sort(),
        channel_switches=c.switch.sum().cast("int64"),
        transfers=c.transfers.sum().cast("int64"),
        started_at=c.occurred_at.min(),
        ended_at=c.occurred_at.max(),
        stage=c.stage.max(where=first),
        channel=c.channel.max(where=first),
        product=ibis.coalesce(c.product.max(where=first), c.product.max()),
        outcome=c.outcome.max(where=last),
        sentiment_mean=c.sentiment_score.mean().cast("float64"),
        sentiments=ibis.struct({"pos": c.pos, "s": c.sentiment.fill_null(NONE_LABEL)}).collect(),
    )
    agg = agg.mutate(
        elapsed_seconds=(agg.ended_at.delta(agg.started_at, unit="millisecond") / 1000.0).cast("float64"),
        sentiment_path=agg.sentiments.sort().map(lambda s: s.s),
    ).drop("sentiments")
    return _health(agg, config)


def step_episodes(steps: ir.Table, episodes_: ir.Table) -> ir.Table:
    """Steps of a customer that fall within one of their episodes (start..end), with its `episode_id`."""
    e = episodes_.select(
        e_customer=episodes_.customer_id, episode_id=episodes_.episode_id,
        e_start=episodes_.started_at, e_end=episodes_.ended_at,
    )
    joined = steps.inner_join(
        e,
        [steps.customer_id == e.e_customer, steps.occurred_at >= e.e_start, steps.occurred_at <= e.e_end],
    )
    return joined.drop("e_customer", "e_start", "e_end")


def health_rollup(episodes_: ir.Table, dimension: str) -> ir.Table:
    """Episodes, mean health, % unhealthy (< 50) and mean contacts per value of `dimension`."""
    key = episodes_[dimension].cast("string").fill_null(NONE_LABEL).name(dimension)
    return (
        episodes_.group_by(key)
        .aggregate(
            episodes=episodes_.count().cast("int64"),
            mean_health=episodes_.health.mean().round(1).cast("float64"),
            unhealthy_pct=(100.0 * (episodes_.health < _UNHEALTHY).cast("float64").mean()).round(1),
            mean_contacts=episodes_.contacts.mean().round(2).cast("float64"),
        )
        .order_by([ibis.asc("mean_health"), ibis.desc("episodes"), dimension])
    )


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """Totals of an `episodes` aggregate row (count, mean_health)."""
    mean = row.get("mean_health")
    return {"count": int(row.get("count") or 0), "mean_health": None if mean is None else round(mean, 1)}
