"""The Ibis expressions the integrity checks read (pure builders; the app runs them).

Months are local calendar months of `occurred_at` (data time). Scored responses are records with any of
the canonical scores.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from cxloop.loop.integrity import SCORE_BOTTOM, SCORE_TOP
from cxloop.metrics.timeframe import period_key

__all__ = [
    "BEGGING_PREFILTER",
    "begging_candidates_expr",
    "contradictions_expr",
    "conversation_counts_expr",
    "distribution_counts",
    "distribution_counts_expr",
    "duplicate_pairs_expr",
    "scored",
    "scored_counts_expr",
    "with_month",
]

SCORES = tuple(SCORE_TOP)
# cue words any begging phrase contains; only texts with one of them reach the phrase model
BEGGING_PREFILTER = ("五星|5星|五颗星|满分|10分|好评|满意|5分|五分|十分|返现|红包|有礼|优惠券|rate|star|full marks"
                     "|10/10|10 out of|satisfied|highest|cash ?back|give (me|us)")


def with_month(t: ir.Table, tz: str) -> ir.Table:
    return t.mutate(month=period_key(t.occurred_at, "month", tz))


def scored(records: ir.Table) -> ir.Table:
    """Records with at least one score."""
    r = records
    return r.filter(r.nps.notnull() | r.csat.notnull() | r.ces.notnull() | r.rating.notnull())


def conversation_counts_expr(records: ir.Table, tz: str) -> ir.Table:
    """Per agent, channel and month: conversations with text (the denominator of the begging rate)."""
    r = records.filter(records.agent_id.notnull(), records.text.notnull())
    r = with_month(r, tz)
    return r.group_by(["agent_id", "channel", "month"]).aggregate(n=r.count().cast("int64"), team=r.team.max())


def begging_candidates_expr(records: ir.Table, tz: str, extra: tuple[str, ...] = ()) -> ir.Table:
    """Agent conversations whose text holds a cue word (the phrase model reads only these)."""
    pattern = "(?i)" + BEGGING_PREFILTER + "".join("|" + ibis_escape(w) for w in extra)
    r = records.filter(records.agent_id.notnull(), records.text.notnull())
    r = r.filter(r.text.re_search(pattern))
    r = with_month(r, tz)
    return r.select("record_id", "agent_id", "channel", "team", "month", "occurred_at", "text")


def ibis_escape(word: str) -> str:
    """A literal word inside an RE2 pattern."""
    return "".join("\\" + c if c in r"\.^$|?*+()[]{}" else c for c in word.lower())


def distribution_counts_expr(records: ir.Table, unit_field: str, tz: str) -> ir.Table:
    """Per unit x source x month of one unit field: answers (`n_<score>`) and top-box answers
    (`top_<score>`) of every score, in one pass (`distribution_counts` unpivots them)."""
    base = with_month(records.filter(records[unit_field].notnull()), tz)
    aggs: dict[str, ir.Value] = {"team": base.team.max()}
    for score in SCORES:
        value = base[score].cast("float64")
        aggs[f"n_{score}"] = value.count().cast("int64")
        aggs[f"top_{score}"] = ibis.cases((value >= SCORE_TOP[score], 1), else_=0).cast("int64").sum().cast("int64")
    return base.group_by(unit=base[unit_field].cast("string"), source=base.source, month=base.month).aggregate(**aggs)


def distribution_counts(frame: pd.DataFrame, unit_field: str) -> pd.DataFrame:
    """The long form of `distribution_counts_expr`: unit_field, unit, team, source, field, month, n, top."""
    parts = [frame[["unit", "team", "source", "month"]].assign(unit_field=unit_field, field=score,
                                                               n=frame[f"n_{score}"], top=frame[f"top_{score}"])
             for score in SCORES]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return out[out["n"] > 0].reset_index(drop=True)


def contradictions_expr(records: ir.Table, enrichments: ir.Table, tz: str, min_score: float) -> ir.Table:
    """Scored responses whose score contradicts their comment: a top score (NPS >= 9, CSAT 5, rating 5) with
    sentiment <= -min, or a bottom score (NPS <= 2, CSAT 1, rating 1) with sentiment >= +min; `field` and
    `score` name the first contradicting score. CES is left out (an easy process can still anger)."""
    r = scored(records)
    e = enrichments.select(e_record_id=enrichments.record_id, sentiment_score=enrichments.sentiment_score)
    j = r.inner_join(e, r.record_id == e.e_record_id)
    j = j.filter(j.sentiment_score.abs() >= min_score)
    neg, pos = j.sentiment_score <= -min_score, j.sentiment_score >= min_score
    branches = []
    for name in ("nps", "csat", "rating"):
        v = j[name].cast("float64")
        bad = (v >= SCORE_TOP[name]) & neg | (v <= SCORE_BOTTOM[name]) & pos
        branches.append((name, v, bad))
    field = ibis.cases(*[(bad, name) for name, _, bad in branches], else_=ibis.null().cast("string"))
    score = ibis.cases(*[(bad, v) for _, v, bad in branches], else_=ibis.null().cast("float64"))
    j = with_month(j.mutate(field=field, score=score).filter(lambda t: t.field.notnull()), tz)
    return j.select("record_id", "source", "month", "agent_id", "team", "field", "score", "sentiment_score",
                    snippet=j.text.fill_null("").substr(0, 120))


def scored_counts_expr(records: ir.Table, tz: str) -> ir.Table:
    """Per agent and month: scored responses with a comment (the contradiction rate's denominator; a
    comment is what the text pipeline scores, so no join with the enrichments is needed to count them)."""
    r = scored(records)
    r = with_month(r.filter(r.agent_id.notnull(), r.text.notnull(), r.text != ""), tz)
    return r.group_by(["agent_id", "month"]).aggregate(n=r.count().cast("int64"), team=r.team.max())


def duplicate_pairs_expr(records: ir.Table, tz: str, hours: float) -> ir.Table:
    """Consecutive answers with identical scores of one respondent (customer, else phone/e-mail/account/
    openid) to one source within `hours`, not about two different cases: candidate duplicates (texts
    compared by the check). The source, respondent and scores are hashed into one key; only keys held by
    two or more answers reach the window, and the window compares the values themselves, not the hash."""
    r = scored(records)
    who = ibis.coalesce(r.customer_id, r.phone, r.email, r.account, r.openid)
    parts = [r.source, who, *(r[s].cast("string").fill_null("") for s in SCORES)]
    # only the columns the window needs: a window materialises every column it is given
    r = r.select("record_id", "source", "occurred_at", "text", "case_id", *SCORES, who=who,
                 key=ibis.literal("|").join(parts).hash(),
                 ep=r.occurred_at.epoch_seconds().cast("int64")).filter(lambda t: t.who.notnull())
    twice = r.group_by("key").aggregate(c=r.count()).filter(lambda t: t.c >= 2).select("key")
    r = r.semi_join(twice, "key")
    w = ibis.window(group_by=r.key, order_by=[r.ep, r.record_id])
    lagged = r.mutate(prev_record_id=r.record_id.lag().over(w), prev_ep=r.ep.lag().over(w),
                      prev_text=r.text.lag().over(w), prev_case_id=r.case_id.lag().over(w),
                      prev_who=r.who.lag().over(w), prev_source=r.source.lag().over(w),
                      **{f"prev_{s}": r[s].lag().over(w) for s in SCORES})
    same = [lagged[s].identical_to(lagged[f"prev_{s}"]) for s in SCORES]
    # answers about two different cases are two answers, not a copy
    same_case = lagged.case_id.isnull() | lagged.prev_case_id.isnull() | (lagged.case_id == lagged.prev_case_id)
    t = lagged.filter(lagged.prev_record_id.notnull(), (lagged.ep - lagged.prev_ep) <= int(hours * 3600), same_case,
                      lagged.who == lagged.prev_who, lagged.source == lagged.prev_source, *same)
    t = with_month(t, tz)
    return t.select("record_id", "prev_record_id", "source", "month", "text", "prev_text",
                    gap_hours=(t.ep - t.prev_ep).cast("float64") / 3600.0)
