"""The base VOC records: who, when, which source, product, tone, topic, scores, agent and outcome.

A frame is a dict of equal-length numpy columns (one row per record, all sources together); planted truths
add rows and edit columns before texts are written (`texts.py`). Every draw is vectorised: topics are
sampled from a conditional table with one `searchsorted` (inverse CDF over stacked rows).
"""

from __future__ import annotations

import numpy as np

from cxloop.demo.phrases import TOPICS
from cxloop.demo.population import Customers
from cxloop.demo.sources import SOURCES
from cxloop.demo.staff import Staff
from cxloop.demo.vocab import PRODUCTS, WINDOW_DAYS, WINDOW_START

__all__ = [
    "CATEGORIES",
    "NPS_TABLE",
    "RATING_TABLE",
    "Frame",
    "base_records",
    "complete_rows",
    "concat_frames",
    "draw_scores",
    "draw_times",
    "empty_frame",
    "sample_topics",
    "window_start_seconds",
]

Frame = dict[str, np.ndarray]
CATEGORIES = tuple(sorted({p.category for p in PRODUCTS}))
_PROD_CAT = np.array([CATEGORIES.index(p.category) for p in PRODUCTS], dtype=np.int64)
VALENCES = ("neg", "neu", "pos")
_NAN = np.nan

# Score distributions by valence (rows: neg, neu, pos).
RATING_TABLE = np.array([[.50, .28, .17, .05, 0], [.02, .10, .50, .33, .05], [0, 0, .04, .26, .70]])
NPS_TABLE = np.array([[.12, .06, .08, .12, .14, .16, .18, .08, .06, 0, 0],
                 [0, 0, 0, 0, .02, .06, .14, .38, .32, .06, .02],
                 [0, 0, 0, 0, 0, 0, .02, .06, .20, .30, .42]])
CES_TABLE = np.array([[.25, .25, .22, .14, .09, .05, 0], [0, .04, .12, .30, .32, .18, .04],
                 [0, 0, .02, .06, .20, .36, .36]])
_COLUMNS = {"src": np.int8, "cust": np.int64, "ts": np.int64, "prod": np.int8, "val": np.int8,
            "tval": np.int8, "topic": np.int16, "agent": np.int32, "outcome": np.int8, "dur": np.int32,
            "case": np.int64, "plant": np.int8, "phone_mode": np.int8, "beg": bool,
            "rating": np.float64, "nps": np.float64, "csat": np.float64, "ces": np.float64}
_SCALES = {"rating": (RATING_TABLE, 1), "csat": (RATING_TABLE, 1), "nps": (NPS_TABLE, 0), "ces": (CES_TABLE, 1)}
SHOWS = ("phone", "email", "device", "openid", "app_uid", "jd", "tmall", "weibo")


def window_start_seconds() -> int:
    """The window's first local midnight as naive epoch seconds."""
    return int(np.datetime64(WINDOW_START, "s").astype(np.int64))


def empty_frame(n: int) -> Frame:
    """A frame of `n` rows with neutral defaults (no agent, no score, own case, not planted)."""
    f: Frame = {}
    for name, dtype in _COLUMNS.items():
        fill = -1 if name in ("agent", "outcome", "dur", "case") else 0
        f[name] = np.full(n, _NAN if dtype is np.float64 else fill, dtype=dtype)
    for name in SHOWS:
        f["show_" + name] = np.zeros(n, dtype=bool)
    return f


def concat_frames(frames: list[Frame]) -> Frame:
    return {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}


def draw_times(rng: np.random.Generator, n: int, *, consumer: np.ndarray) -> np.ndarray:
    """Local timestamps over the window: weekly rhythm, slow growth, a 618 peak for consumer rows."""
    days = np.arange(WINDOW_DAYS)
    weekday = (days + 4) % 7  # 2026-05-01 is a Friday
    base = (1.0 + days / WINDOW_DAYS * 0.3) * np.where(weekday >= 5, 1.15, 1.0)
    peak = base * np.where((days >= 46) & (days <= 55), 1.8, 1.0)  # 6/16 - 6/25
    day = np.where(consumer, rng.choice(WINDOW_DAYS, n, p=peak / peak.sum()),
                   rng.choice(WINDOW_DAYS, n, p=base / base.sum()))
    hours = np.array([1, .5, .3, .2, .2, .4, 1, 3, 6, 8, 9, 9, 8, 8, 8, 8, 8, 7, 7, 8, 9, 9, 7, 4])
    hour = rng.choice(24, n, p=hours / hours.sum())
    return window_start_seconds() + day * 86400 + hour * 3600 + rng.integers(0, 3600, n)


def _topic_table(src_weights: np.ndarray) -> np.ndarray:
    """P(topic | source, category, valence) as an array [src, cat, val, topic]."""
    n_t = len(TOPICS)
    applies = np.array([[t.categories is None or c in t.categories for t in TOPICS] for c in CATEGORIES])
    tone = np.array([[t.valence == v for t in TOPICS] for v in VALENCES])
    table = src_weights[:, None, None, :] * applies[None, :, None, :] * tone[None, None, :, :]
    sums = table.sum(axis=3, keepdims=True)
    fallback = (applies[None, :, None, :] * tone[None, None, :, :]).astype(float)
    table = np.where(sums > 0, table / np.where(sums > 0, sums, 1), fallback / fallback.sum(3, keepdims=True))
    return table.reshape(-1, n_t)


def sample_topics(rng: np.random.Generator, src: np.ndarray, prod: np.ndarray, tval: np.ndarray) -> np.ndarray:
    """Topic per row given source, product category and the text's valence (inverse CDF, vectorised)."""
    weights = np.array([[s.topics.get(t.key, 1.0) for t in TOPICS] for s in SOURCES])
    table = _topic_table(weights)
    n_t = table.shape[1]
    combo = (src.astype(np.int64) * len(CATEGORIES) + _PROD_CAT[prod]) * 3 + tval
    cum = np.cumsum(table, axis=1)
    cum[:, -1] = 1.0
    flat = (cum + np.arange(len(table))[:, None]).ravel()
    pos = np.searchsorted(flat, combo + rng.random(len(src)) * (1 - 1e-12), side="right")
    return (pos - combo * n_t).astype(np.int16)


def draw_scores(rng: np.random.Generator, val: np.ndarray, table: np.ndarray, low: int) -> np.ndarray:
    """A score per row from the valence's distribution (`low` = the scale's first value)."""
    cum = np.cumsum(table, axis=1)
    cum[:, -1] = 1.0
    u = rng.random(len(val))
    return (low + (u[:, None] > cum[val]).sum(axis=1)).astype(np.float64)


def _scores(rng: np.random.Generator, f: Frame) -> None:
    for i, spec in enumerate(SOURCES):
        rows = np.flatnonzero(f["src"] == i)
        for name, share in spec.scores.items():
            table, low = _SCALES[name]
            has = rows[rng.random(len(rows)) < share]
            f[name][has] = draw_scores(rng, f["val"][has], table, low)


def _service(rng: np.random.Generator, f: Frame, staff: Staff) -> None:
    """Agent, outcome and handling time of assisted contacts (survey rows name the agent rated)."""
    for i, spec in enumerate(SOURCES):
        rows = np.flatnonzero(f["src"] == i)
        if spec.agent_pools:
            pool = np.concatenate([staff.pool(p) for p in spec.agent_pools])
            f["agent"][rows] = pool[rng.integers(0, len(pool), len(rows))]
        if not spec.service:
            continue
        p_res = np.array([0.55, 0.85, 0.95])[f["val"][rows]]
        u = rng.random(len(rows))
        transfer_share = 0.4 if spec.name in ("hotline", "chat") else 0.0
        f["outcome"][rows] = np.where(u < p_res, 0, np.where(rng.random(len(rows)) < transfer_share, 2, 1))
        mean = {"hotline": 5.4, "chat": 6.2, "wechat": 5.8, "field_service": 7.7}[spec.name]
        f["dur"][rows] = np.clip(rng.lognormal(mean, 0.6, len(rows)), 20, 4 * 3600).astype(np.int32)


def complete_rows(rng: np.random.Generator, f: Frame, staff: Staff) -> None:
    """Fill scores, agents, outcomes and shown identifiers from each row's source, valence and tone."""
    _scores(rng, f)
    _service(rng, f, staff)
    for i, spec in enumerate(SOURCES):
        rows = np.flatnonzero(f["src"] == i)
        for ident, share in spec.shows.items():
            f["show_" + ident][rows] = rng.random(len(rows)) < share
    withheld = (f["src"] == 0) & ~f["show_phone"]  # hotline calls from a withheld number
    f["phone_mode"][withheld] = 3
    f["show_phone"][withheld] = True


def base_records(rng: np.random.Generator, n: int, customers: Customers, staff: Staff) -> Frame:
    """`n` ordinary records spread over sources by share, customers by activity, time by rhythm."""
    f = empty_frame(n)
    shares = np.array([s.share for s in SOURCES])
    f["src"] = rng.choice(len(SOURCES), n, p=shares / shares.sum()).astype(np.int8)
    f["cust"] = rng.choice(len(customers), n, p=customers.weight)
    consumer = np.isin(f["src"], [i for i, s in enumerate(SOURCES) if s.kind in ("review", "post")])
    f["ts"] = draw_times(rng, n, consumer=consumer)
    # Most people write about the product they own; some about another one.
    own = rng.random(n) < 0.85
    weights = np.array([p.weight for p in PRODUCTS])
    f["prod"] = np.where(own, customers.product[f["cust"]],
                         rng.choice(len(PRODUCTS), n, p=weights / weights.sum())).astype(np.int8)
    priors = np.array([s.valence for s in SOURCES])
    cum = np.cumsum(priors, axis=1)[f["src"]]
    f["val"] = (rng.random(n)[:, None] > cum[:, :2]).sum(axis=1).astype(np.int8)
    contradict = rng.random(n) < 0.07  # the text says otherwise than the score
    f["tval"] = np.where(contradict, (f["val"] + rng.integers(1, 3, n)) % 3, f["val"]).astype(np.int8)
    f["topic"] = sample_topics(rng, f["src"], f["prod"], f["tval"])
    complete_rows(rng, f, staff)
    return f
