"""Repeat contacts about one problem: the customers the repeat-contact rule opens a case for.

Contacts are the journeys layer's service contacts (records of a known customer that are not surveys,
reviews or posts). Two contacts of one customer are about *one problem* when they share a case id or a
topic; a contact with neither joins the customer's contact about the same product nearest in time.
Problems are the connected components of that relation; one fires when `contacts` of its contacts fall
within `days` (a trailing window), at the first contact that completes the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["RepeatProblem", "repeat_problems"]


@dataclass(frozen=True)
class RepeatProblem:
    customer_id: str
    anchor: str  # the case id, topic or product that names the problem
    at: pd.Timestamp  # the contact that completed the count
    records: list[str]  # the contacts in the window, oldest first
    topic: str | None
    product: str | None


def _link_to_first(n: int, keys: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Edges from every row with a key to the first row with the same key."""
    valid = keys.notna().to_numpy()
    idx = np.flatnonzero(valid)
    codes = pd.factorize(keys[valid])[0]
    first = pd.Series(idx).groupby(codes).transform("first").to_numpy()
    return idx, first


def _untagged_to_nearest(df: pd.DataFrame, untagged: pd.Series) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Edges from each untagged contact to the customer's tagged contact on the same product nearest in time."""
    key = (df.customer_id + "\x1f" + df["product"].fillna("")).astype(str)
    frame = pd.DataFrame({"key": key, "at": df.occurred_at, "row": np.arange(len(df))})
    left = frame[untagged.to_numpy()].sort_values("at")
    right = frame[~untagged.to_numpy()].sort_values("at").rename(columns={"row": "tagged"})
    if left.empty or right.empty:
        return [], []
    near = pd.merge_asof(left, right, on="at", by="key", direction="nearest").dropna(subset=["tagged"])
    return [near["row"].to_numpy(np.int64)], [near["tagged"].to_numpy(np.int64)]


def repeat_problems(contacts: pd.DataFrame, *, min_contacts: int, days: int) -> list[RepeatProblem]:
    """`contacts`: record_id, customer_id, occurred_at, case_id, topic_id, product, evaluate (bool).
    Problems whose count is completed by a contact to evaluate."""
    df = contacts.reset_index(drop=True)
    for column in ("record_id", "customer_id", "case_id", "topic_id", "product"):
        df[column] = df[column].astype("string")
    n = len(df)
    if n == 0:
        return []
    untagged = df.case_id.isna() & df.topic_id.isna()
    keys = [
        df.customer_id + "\x1fcase\x1f" + df.case_id,
        df.customer_id + "\x1ftopic\x1f" + df.topic_id,
        (df.customer_id + "\x1fproduct\x1f" + df["product"].fillna("")).where(untagged),
    ]
    rows, cols = _untagged_to_nearest(df, untagged)
    for k in keys:
        a, b = _link_to_first(n, k)
        rows.append(a)
        cols.append(b)
    r, c = np.concatenate(rows), np.concatenate(cols)
    comp = connected_components(coo_matrix((np.ones(len(r)), (r, c)), shape=(n, n)), directed=False)[1]
    t = df.occurred_at.to_numpy("datetime64[s]").astype(np.int64)
    order = np.lexsort((t, comp))
    key = (comp[order].astype(np.int64) << 35) + t[order] + (1 << 33)
    start = np.searchsorted(key, (comp[order].astype(np.int64) << 35) + t[order] - days * 86_400 + (1 << 33),
                            side="right")
    count = np.arange(n) - start + 1
    hit = (count >= min_contacts) & df.evaluate.to_numpy(bool)[order]
    hits = np.flatnonzero(hit)
    firsts = hits[np.unique(comp[order][hits], return_index=True)[1]]
    out: list[RepeatProblem] = []
    for pos in firsts:
        window = df.iloc[order[start[pos]: pos + 1]]
        out.append(RepeatProblem(
            customer_id=str(window.customer_id.iloc[0]),
            anchor=_anchor(window),
            at=pd.Timestamp(window.occurred_at.iloc[-1]),
            records=window.record_id.astype(str).tolist(),
            topic=_mode(window.topic_id),
            product=_mode(window["product"]),
        ))
    return out


def _mode(values: pd.Series) -> str | None:
    counts = values.dropna().value_counts()
    return str(counts.index[0]) if len(counts) else None


def _anchor(window: pd.DataFrame) -> str:
    for column, prefix in (("case_id", "case"), ("topic_id", "topic"), ("product", "product")):
        value = _mode(window[column])
        if value is not None:
            return f"{prefix}:{value}"
    return "any"
