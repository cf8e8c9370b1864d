"""Text features shared by the shipped models: cheap language detection and hashed, pruned TF-IDF.

Every shipped model is a linear model over hashed n-grams (the "hashing trick", Weinberger et al. 2009)
weighted by sublinear TF-IDF and L2-normalised, as in scikit-learn's `HashingVectorizer` +
`TfidfTransformer`. Only the n-grams seen at least `min_df` times in training keep an IDF weight; the others
are dropped, which makes the model files small (feature selection by document frequency) and unseen n-grams
cost nothing. Files are compressed `.npz` with float16 weights.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from cxloop.errors import InputError

__all__ = [
    "HashedTfidf",
    "LinearTextModel",
    "detect_languages",
    "fit_hashed_tfidf",
]

_CJK = r"[\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}]"
_LATIN = r"[A-Za-z]"


def detect_languages(texts: Sequence[str]) -> np.ndarray:
    """Label each text zh | en | mixed | other by its share of CJK ideographs among letters.

    Vectorised with Arrow regex counts: >= 70% CJK is zh, <= 10% CJK with Latin letters is en, both
    scripts otherwise mixed, neither script other. Cheap enough for bulk use (no per-text Python).
    """
    arr = pa.array(list(texts), type=pa.string())
    cjk = pc.count_substring_regex(arr, _CJK).to_numpy(zero_copy_only=False).astype(np.float64)
    lat = pc.count_substring_regex(arr, _LATIN).to_numpy(zero_copy_only=False).astype(np.float64)
    # Latin letters come in words of ~5 letters where one CJK character is a word: weigh them alike.
    words = lat / 5.0
    total = cjk + words
    share = np.divide(cjk, total, out=np.zeros_like(cjk), where=total > 0)
    out = np.full(len(arr), "mixed", dtype=object)
    out[share >= 0.7] = "zh"
    out[(share <= 0.1) & (lat > 0)] = "en"
    out[total == 0] = "other"
    return out


@dataclass
class HashedTfidf:
    """One hashed n-gram view: analyzer ('char' or 'word'), n-gram range and pruned IDF weights."""

    analyzer: str
    ngram_range: tuple[int, int]
    n_features: int
    idf_index: np.ndarray  # int32, sorted hashed feature ids that survived pruning
    idf_value: np.ndarray  # float32, their IDF
    sublinear_tf: bool = True
    _idf: np.ndarray | None = field(default=None, repr=False)

    def vectorizer(self) -> HashingVectorizer:
        return _vectorizer(self.analyzer, self.ngram_range, self.n_features)

    def idf(self) -> np.ndarray:
        if self._idf is None:
            idf = np.zeros(self.n_features, dtype=np.float32)
            idf[self.idf_index] = self.idf_value
            self._idf = idf
        return self._idf

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Raw hashed n-gram counts; the last few results are memoised, so the sentiment and emotion models
        (same hashing settings) tokenise a batch once between them."""
        return _hashed_counts(self.analyzer, self.ngram_range, self.n_features, tuple(texts))

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sublinear TF x IDF, L2-normalised rows (pruned n-grams weigh 0)."""
        return weigh_counts(self.counts(texts), self.idf(), self.sublinear_tf)

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}idf_index": self.idf_index.astype(np.int32),
            f"{prefix}idf_value": self.idf_value.astype(np.float16),
            f"{prefix}meta": np.array(
                [self.analyzer, *(str(n) for n in self.ngram_range), str(self.n_features), str(int(self.sublinear_tf))]
            ),
        }

    @classmethod
    def from_arrays(cls, arrays: Any, prefix: str) -> HashedTfidf:
        meta = arrays[f"{prefix}meta"]
        return cls(
            analyzer=str(meta[0]),
            ngram_range=(int(meta[1]), int(meta[2])),
            n_features=int(meta[3]),
            sublinear_tf=bool(int(meta[4])),
            idf_index=arrays[f"{prefix}idf_index"].astype(np.int64),
            idf_value=arrays[f"{prefix}idf_value"].astype(np.float32),
        )


@functools.lru_cache(maxsize=8)
def _vectorizer(analyzer: str, ngram_range: tuple[int, int], n_features: int) -> HashingVectorizer:
    kwargs: dict[str, Any] = {"token_pattern": r"(?u)\b\w[\w']*\b"} if analyzer == "word" else {}
    return HashingVectorizer(
        analyzer=analyzer,
        ngram_range=ngram_range,
        n_features=n_features,
        alternate_sign=False,
        norm=None,
        lowercase=True,
        dtype=np.float32,
        **kwargs,
    )


@functools.lru_cache(maxsize=4)
def _hashed_counts(
    analyzer: str, ngram_range: tuple[int, int], n_features: int, texts: tuple[str, ...]
) -> sp.csr_matrix:
    counts = _vectorizer(analyzer, ngram_range, n_features).transform(texts).tocsr()
    counts.data.flags.writeable = False  # shared between callers: weigh a copy
    return counts


def weigh_counts(counts: sp.csr_matrix, idf: np.ndarray, sublinear: bool) -> sp.csr_matrix:
    """Apply (1 + log tf) x idf and L2-normalise, in place on a copy of the CSR data (vectorised)."""
    x = counts.copy()
    if sublinear:
        np.log(x.data, out=x.data)
        x.data += 1.0
    x.data *= idf[x.indices]
    sq = np.asarray(x.multiply(x).sum(axis=1)).ravel()
    norms = np.sqrt(sq, dtype=np.float64)
    norms[norms == 0] = 1.0
    x.data /= np.repeat(norms, np.diff(x.indptr)).astype(x.data.dtype)
    x.eliminate_zeros()
    return x


def fit_hashed_tfidf(
    texts: Sequence[str],
    *,
    analyzer: str = "char",
    ngram_range: tuple[int, int] = (1, 3),
    n_features: int = 2**20,
    min_df: int = 2,
) -> HashedTfidf:
    """Learn smoothed IDF (log((1+n)/(1+df)) + 1, as scikit-learn) over n-grams seen in >= min_df texts."""
    view = HashedTfidf(analyzer, ngram_range, n_features, np.zeros(0, np.int64), np.zeros(0, np.float32))
    counts = view.counts(texts)
    df = np.bincount(counts.indices, minlength=n_features)
    keep = np.flatnonzero(df >= min_df)
    n = counts.shape[0]
    idf = np.log((1.0 + n) / (1.0 + df[keep])) + 1.0
    view.idf_index = keep.astype(np.int64)
    # Round through float16 now so that training sees exactly the weights the shipped file holds.
    view.idf_value = idf.astype(np.float16).astype(np.float32)
    return view


@dataclass
class LinearTextModel:
    """Hashed TF-IDF views (concatenated) feeding a linear model: scores = X @ coef.T + intercept."""

    views: list[HashedTfidf]
    classes: np.ndarray
    coef: sp.csr_matrix  # (n_classes or 1) x total features
    intercept: np.ndarray
    version: str
    meta: dict[str, str] = field(default_factory=dict)
    _dense_coef: np.ndarray | None = field(default=None, repr=False)

    def features(self, texts: Sequence[str]) -> sp.csr_matrix:
        blocks = [v.transform(texts) for v in self.views]
        return blocks[0] if len(blocks) == 1 else sp.hstack(blocks, format="csr")

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores, shape (n, n_rows_of_coef): a sparse x dense product (fast)."""
        if self._dense_coef is None:
            self._dense_coef = np.ascontiguousarray(self.coef.T.toarray(), dtype=np.float32)
        x = self.features(texts)
        return np.asarray(x @ self._dense_coef, dtype=np.float64) + self.intercept

    def proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities (logistic for two classes, softmax otherwise), columns in `classes` order."""
        z = self.decision(texts)
        if z.shape[1] == 1:
            p1 = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p1, p1])
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        arrays: dict[str, Any] = {}
        for i, v in enumerate(self.views):
            arrays.update(v.to_arrays(f"v{i}_"))
        coef = self.coef.tocsr()
        coef.sum_duplicates()
        arrays.update(
            n_views=np.array(len(self.views)),
            classes=np.array([str(c) for c in self.classes]),
            coef_data=coef.data.astype(np.float16),
            coef_indices=coef.indices.astype(np.int32),
            coef_indptr=coef.indptr.astype(np.int64),
            coef_shape=np.array(coef.shape, dtype=np.int64),
            intercept=self.intercept.astype(np.float32),
            version=np.array(self.version),
            meta_keys=np.array(list(self.meta), dtype=str),
            meta_values=np.array(list(self.meta.values()), dtype=str),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> LinearTextModel:
        try:
            arrays = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read model file: {exc}", file=str(path)) from exc
        views = [HashedTfidf.from_arrays(arrays, f"v{i}_") for i in range(int(arrays["n_views"]))]
        coef = sp.csr_matrix(
            (
                arrays["coef_data"].astype(np.float32),
                arrays["coef_indices"].astype(np.int32),
                arrays["coef_indptr"],
            ),
            shape=tuple(int(s) for s in arrays["coef_shape"]),
        )
        meta = dict(zip((str(k) for k in arrays["meta_keys"]), (str(v) for v in arrays["meta_values"]), strict=True))
        return cls(
            views=views,
            classes=np.array([str(c) for c in arrays["classes"]], dtype=object),
            coef=coef,
            intercept=arrays["intercept"].astype(np.float64),
            version=str(arrays["version"]),
            meta=meta,
        )
