"""Planted ground truth: what later analytics must find in the demo data.

Each `plant_*` function adds rows (a frame) and/or edits the base frame in place, and returns the part of
`ground_truth.json` it is responsible for. Customers used by one scenario are marked in `used`, so the
scenarios never share a customer. Figures that depend on the final rows (NPS before/after, the gamed
agent's means) are measured afterwards in `truth.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from cxloop.demo.phrases import DEFECT, TOPICS
from cxloop.demo.population import Customers
from cxloop.demo.records import (
    NPS_TABLE,
    RATING_TABLE,
    Frame,
    complete_rows,
    draw_scores,
    empty_frame,
    sample_topics,
    window_start_seconds,
)
from cxloop.demo.sources import SOURCES, source_index
from cxloop.demo.staff import Staff
from cxloop.demo.texts import DEFECT_TOPIC
from cxloop.demo.vocab import PRODUCTS, WINDOW_DAYS

__all__ = [
    "SWITCHBOARD",
    "PlantContext",
    "plant_defect",
    "plant_gamed_agent",
    "plant_nps_fix",
    "plant_repeaters",
    "plant_switchboard",
    "plant_two_phones",
    "product_index",
    "topic_index",
]

SWITCHBOARD = "021-68880000"
SHARED_CASE_BASE = 90_000_000


@dataclass
class PlantContext:
    rng: np.random.Generator
    n_records: int
    customers: Customers
    staff: Staff
    used: np.ndarray  # bool per customer: already part of a planted scenario


def product_index(code: str) -> int:
    return next(i for i, p in enumerate(PRODUCTS) if p.code == code)


def topic_index(key: str) -> int:
    return next(i for i, t in enumerate(TOPICS) if t.key == key)


def _date(day: int) -> str:
    return str(np.datetime64(window_start_seconds() + day * 86400, "s").astype("datetime64[D]"))


def _pick_customers(ctx: PlantContext, k: int, prod: int | None = None) -> np.ndarray:
    """`k` distinct unused customers (owners of `prod` first), marked as used."""
    free = ~ctx.used
    pool = np.flatnonzero(free & (ctx.customers.product == prod)) if prod is not None else np.array([], int)
    if len(pool) < k:
        pool = np.flatnonzero(free)
    chosen = ctx.rng.choice(pool, size=k, replace=False)
    ctx.used[chosen] = True
    if prod is not None:
        ctx.customers.product[chosen] = prod
    return chosen


def _sources(ctx: PlantContext, mix: dict[str, float], k: int) -> np.ndarray:
    names = list(mix)
    p = np.array([mix[n] for n in names])
    return np.array([source_index(n) for n in names], dtype=np.int8)[ctx.rng.choice(len(names), k, p=p / p.sum())]


def plant_defect(ctx: PlantContext) -> tuple[Frame, dict[str, Any]]:
    """An emerging defect: a one-week burst of a new complaint (wording in no taxonomy) on one product."""
    rng = ctx.rng
    prod = product_index("Buds Pro 2")
    k = max(40, round(ctx.n_records * 0.0015))
    first_monday = 3  # 2026-05-04
    start_day = first_monday + 7 * int(rng.integers(14, 23))
    f = empty_frame(k)
    f["src"] = _sources(ctx, {"jd_reviews": .3, "tmall_reviews": .2, "hotline": .15, "app_feedback": .1,
                              "wechat": .1, "weibo": .1, "chat": .05}, k)
    f["cust"] = _pick_customers(ctx, k, prod)
    ramp = np.array([1, 1.5, 2, 3, 4, 5, 6.0])
    day = start_day + rng.choice(7, k, p=ramp / ramp.sum())
    f["ts"] = window_start_seconds() + day * 86400 + rng.integers(8 * 3600, 23 * 3600, k)
    f["prod"][:] = prod
    f["val"][:] = 0
    f["tval"][:] = 0
    f["topic"][:] = DEFECT_TOPIC
    f["plant"][:] = 1
    complete_rows(rng, f, ctx.staff)
    by_source = {SOURCES[i].name: int((f["src"] == i).sum()) for i in np.unique(f["src"])}
    return f, {
        "product": PRODUCTS[prod].code,
        "week_start": _date(start_day),
        "week_end": _date(start_day + 6),
        "wording_family": list(DEFECT["terms"]),
        "wording_stems": list(DEFECT["stems"]),
        "example_phrases": list(DEFECT["colloquial"][:3]),
        "expected_count": k,
        "distinct_customers": k,
        "by_source": by_source,
    }


def plant_repeaters(ctx: PlantContext) -> tuple[Frame, list[dict[str, Any]]]:
    """Customers who contact 5-8 times within three weeks about one unresolved problem (one case)."""
    rng = ctx.rng
    r = max(8, ctx.n_records // 25000)
    custs = _pick_customers(ctx, r)
    counts = rng.integers(5, 9, r)
    n = int(counts.sum())
    owner = np.repeat(np.arange(r), counts)
    f = empty_frame(n)
    f["src"] = _sources(ctx, {"hotline": .4, "chat": .2, "wechat": .15, "app_feedback": .1,
                              "field_service": .15}, n)
    f["cust"] = custs[owner]
    start = rng.integers(10, WINDOW_DAYS - 30, r)
    offset = rng.integers(0, 21 * 86400, n)
    order = np.lexsort((offset, owner))
    f["ts"] = window_start_seconds() + start[owner] * 86400 + 9 * 3600 + offset[order]
    f["prod"] = ctx.customers.product[f["cust"]]
    categories = [PRODUCTS[p].category for p in ctx.customers.product[custs]]
    topic_of = np.array([rng.choice([i for i, t in enumerate(TOPICS) if t.valence == "neg" and t.stage in (
        "use", "service") and (t.categories is None or cat in t.categories)]) for cat in categories])
    f["topic"] = topic_of[owner].astype(np.int16)
    f["val"][:] = 0
    f["tval"][:] = 0
    f["plant"][:] = 2
    f["case"] = SHARED_CASE_BASE + owner
    complete_rows(rng, f, ctx.staff)
    last = np.r_[owner[1:] != owner[:-1], True]
    f["outcome"] = np.where(last, 0, 1).astype(np.int8)
    f["show_phone"][:] = True
    f["phone_mode"][:] = 0
    out = []
    for j in range(r):
        rows = np.flatnonzero(owner == j)
        c = custs[j]
        ids: dict[str, list[str]] = {"phone": [str(ctx.customers.phone[c])]}
        for ident in ("openid", "app_uid", "device", "email"):
            if f["show_" + ident][rows].any():
                ids[ident] = [str(getattr(ctx.customers, ident)[c])]
        out.append({
            "phone": str(ctx.customers.phone[c]), "contacts": len(rows), "product": PRODUCTS[f["prod"][rows[0]]].code,
            "topic": TOPICS[int(topic_of[j])].key, "case_id": f"SR{SHARED_CASE_BASE + j:08d}",
            "first_day": _date(int(start[j])),
            "by_source": {SOURCES[s].name: int((f["src"][rows] == s).sum()) for s in np.unique(f["src"][rows])},
            "identifiers": ids, "_customer": int(c),
        })
    return f, out


def plant_two_phones(ctx: PlantContext, spare_phones: np.ndarray) -> tuple[Frame, list[dict[str, Any]]]:
    """Customers who use two phone numbers; one e-mail appears with each (so identity links them)."""
    rng = ctx.rng
    m = len(spare_phones)
    custs = _pick_customers(ctx, m)
    ctx.customers.phone2[custs] = spare_phones
    # Per customer: chat (phone1 + e-mail), app (phone2 + e-mail), two hotline calls from phone2,
    # one CSAT survey to phone1.
    layout = [("chat", 0, True), ("app_feedback", 1, True), ("hotline", 1, False), ("hotline", 1, False),
              ("csat_survey", 0, False)]
    n = m * len(layout)
    owner = np.repeat(np.arange(m), len(layout))
    f = empty_frame(n)
    f["src"] = np.tile([source_index(s) for s, _, _ in layout], m).astype(np.int8)
    f["cust"] = custs[owner]
    f["ts"] = window_start_seconds() + rng.integers(0, WINDOW_DAYS * 86400, n)
    f["prod"] = ctx.customers.product[f["cust"]]
    priors = np.array([SOURCES[s].valence for s in f["src"]])
    f["val"] = (rng.random(n)[:, None] > np.cumsum(priors, axis=1)[:, :2]).sum(axis=1).astype(np.int8)
    f["tval"] = f["val"]
    f["plant"][:] = 5
    f["topic"] = sample_topics(rng, f["src"], f["prod"], f["tval"])
    complete_rows(rng, f, ctx.staff)
    f["phone_mode"] = np.tile([mode for _, mode, _ in layout], m).astype(np.int8)
    f["show_phone"][:] = True
    f["show_email"] = np.tile([email for _, _, email in layout], m).astype(bool)
    return f, [{"phones": [str(ctx.customers.phone[c]), str(p)], "email": str(ctx.customers.email[c]),
                "_customer": int(c)} for c, p in zip(custs, spare_phones, strict=True)]


def plant_switchboard(ctx: PlantContext) -> tuple[Frame, dict[str, Any]]:
    """A company switchboard many distinct customers call from (each also gives its device serial)."""
    rng = ctx.rng
    k = 30
    custs = _pick_customers(ctx, k)
    calls = rng.integers(1, 3, k)
    owner = np.repeat(np.arange(k), calls)
    n = len(owner)
    f = empty_frame(n)
    f["src"][:] = source_index("hotline")
    f["cust"] = custs[owner]
    f["ts"] = window_start_seconds() + rng.integers(0, WINDOW_DAYS, n) * 86400 + rng.integers(9, 18, n) * 3600
    f["prod"] = ctx.customers.product[f["cust"]]
    f["val"] = rng.choice(3, n, p=[.5, .45, .05]).astype(np.int8)
    f["tval"] = f["val"]
    f["topic"] = sample_topics(rng, f["src"], f["prod"], f["tval"])
    f["plant"][:] = 6
    complete_rows(rng, f, ctx.staff)
    f["phone_mode"][:] = 2
    f["show_phone"][:] = True
    f["show_device"][:] = True
    return f, {"number": SWITCHBOARD, "normalized": SWITCHBOARD.replace("-", ""), "calls": n,
               "distinct_customers": k}


def plant_gamed_agent(ctx: PlantContext, base: Frame) -> dict[str, Any]:
    """One chat agent begs for top scores in chat; the chat CSAT they get is inflated, other scores not."""
    rng = ctx.rng
    chat = source_index("chat")
    pool = ctx.staff.pool("chat")
    agent = int(pool[rng.integers(0, len(pool))])
    mine = np.flatnonzero((base["src"] == chat) & (base["agent"] == agent))
    base["beg"][mine] = rng.random(len(mine)) < 0.65
    has = rng.random(len(mine)) < 0.9
    base["csat"][mine] = np.where(has, np.where(rng.random(len(mine)) < 0.93, 5.0, 4.0), np.nan)
    worse = rng.random(len(mine)) < 0.2  # and resolves less than peers
    base["outcome"][mine[worse]] = 1
    others = np.flatnonzero((base["src"] == chat) & (base["agent"] != agent))
    base["beg"][others] = rng.random(len(others)) < 0.003  # the odd slip by others: noise, not a pattern
    return {"agent_id": str(ctx.staff.agent_id[agent]), "team": str(ctx.staff.team[agent]), "_agent": agent}


def plant_nps_fix(ctx: PlantContext, base: Frame) -> dict[str, Any]:
    """A pain point (installation wait on one TV) that drags NPS down until a fix date, then fades."""
    rng = ctx.rng
    prod = product_index("Vision 65")
    topic = topic_index("install_wait")
    fix_day = int(rng.integers(85, 111))
    fix_ts = window_start_seconds() + fix_day * 86400
    nps = source_index("nps_survey")
    reviews = np.isin(base["src"], [source_index("jd_reviews"), source_index("tmall_reviews")])
    mine = (base["prod"] == prod) & (base["plant"] == 0)
    before, after = mine & (base["ts"] < fix_ts), mine & (base["ts"] >= fix_ts)
    for sel, share, table, field, low in ((before & (base["src"] == nps), 0.45, NPS_TABLE, "nps", 0),
                                          (after & (base["src"] == nps), 0.05, NPS_TABLE, "nps", 0),
                                          (before & reviews, 0.2, RATING_TABLE, "rating", 1)):
        rows = np.flatnonzero(sel)
        hit = rows[rng.random(len(rows)) < share]
        base["topic"][hit] = topic
        base["val"][hit] = 0
        base["tval"][hit] = 0
        base[field][hit] = draw_scores(rng, base["val"][hit], table, low)
        if field == "nps":
            csat = hit[~np.isnan(base["csat"][hit])]
            base["csat"][csat] = draw_scores(rng, base["val"][csat], RATING_TABLE, 1)
    return {"product": PRODUCTS[prod].code, "topic": "install_wait", "fix_date": _date(fix_day),
            "wording_family": list(TOPICS[topic].colloquial[:4]), "_fix_ts": fix_ts}
