"""Nearest-neighbour class similarity over L2-normalised sentence embeddings.

For each query text and each class, the cosine similarity of the query to that class's most similar
training example (a 1-nearest-neighbour score per class). The topic/intent classifier adds these scores,
weighted, to its linear decision scores — an interpolation of a parametric classifier with a
nearest-neighbour one, in the spirit of kNN-augmented classifiers (e.g. Khandelwal et al. 2020, "kNN-LM").
Vectorised: one matrix product per chunk of queries, then a per-class maximum by `np.maximum.reduceat` over
the reference rows sorted by class.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ClassSimilarity"]

EMPTY = -1.0  # the similarity given to a class with no reference rows (the lowest cosine)


class ClassSimilarity:
    """Reference embeddings grouped by class code; `scores(query)` -> (n_query, n_classes) max cosines."""

    def __init__(self, embeddings: np.ndarray, codes: np.ndarray, n_classes: int, dtype: type = np.float16) -> None:
        order = np.argsort(codes, kind="stable")
        self.n_classes = n_classes
        self.ref: np.ndarray = np.ascontiguousarray(embeddings[order], dtype=dtype)
        sorted_codes = np.asarray(codes)[order]
        self.present = np.flatnonzero(np.bincount(sorted_codes, minlength=n_classes) > 0)
        self.starts = np.searchsorted(sorted_codes, self.present)

    def scores(self, query: np.ndarray, chunk: int = 2048) -> np.ndarray:
        out = np.full((len(query), self.n_classes), EMPTY, dtype=np.float32)
        if len(self.present) == 0:
            return out
        ref = self.ref.astype(np.float32, copy=False)
        for lo in range(0, len(query), chunk):
            sims = np.asarray(query[lo:lo + chunk], dtype=np.float32) @ ref.T
            out[lo:lo + chunk, self.present] = np.maximum.reduceat(sims, self.starts, axis=1)
        return out
