"""Features of a question pair for the matcher's pair classifier, all computed vectorised per batch.

For pairs (a, b): TF-IDF cosine (hashed char 1-3-grams), Jaccard and containment of character 1- and
2-gram sets and of word sets (jieba for Chinese, \\w+ tokens otherwise), normalised Levenshtein similarity
(rapidfuzz, in C), length ratio and difference, digit agreement, and for groups of function words that flip
a question's meaning (negation, why/how/what/where/when/how-many, can/may, cancel/open...) whether exactly
one side uses the group. Set sizes come from sparse binary matrices: |A∩B| = rowsum(A ∘ B).
"""

from __future__ import annotations

from collections.abc import Sequence

import jieba
import numpy as np
import scipy.sparse as sp
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist
from sklearn.feature_extraction.text import HashingVectorizer

from cxloop.text.features import HashedTfidf

__all__ = ["FEATURE_NAMES", "WORD_GROUPS", "pair_features", "segment_words"]

jieba.setLogLevel(60)

WORD_GROUPS: dict[str, tuple[str, ...]] = {
    "neg": ("不", "没", "无", "未", "别", "非", "not", "no", "never", "n't"),
    "why": ("为什么", "为何", "怎么会", "why"),
    "how": ("怎么", "如何", "怎样", "怎么样", "how"),
    "what": ("什么", "啥", "what", "which"),
    "where": ("哪里", "哪儿", "在哪", "哪个", "where"),
    "when": ("什么时候", "何时", "多久", "几天", "when"),
    "howmany": ("多少", "几", "how many", "how much"),
    "can": ("能", "可以", "可不可以", "能不能", "can", "could"),
    "cancel": ("取消", "关闭", "注销", "退", "cancel", "close"),
    "open": ("开通", "开启", "申请", "激活", "open", "activate"),
    "yesno": ("吗", "么", "是否", "是不是"),
    "diff": ("区别", "不同", "差别", "difference"),
    "mean": ("意思", "什么意思", "mean"),
}

_BASE = [
    "cosine", "jac1", "min_cont1", "max_cont1", "jac2", "min_cont2", "max_cont2",
    "jac_w", "min_cont_w", "lev", "len_ratio", "len_diff", "len_min", "digits_equal", "digits_any",
]
FEATURE_NAMES: tuple[str, ...] = (*_BASE, *(f"xor_{g}" for g in WORD_GROUPS), *(f"both_{g}" for g in WORD_GROUPS))

_CHAR1 = HashingVectorizer(analyzer="char", ngram_range=(1, 1), n_features=2**18, binary=True,
                           alternate_sign=False, norm=None, lowercase=True)
_CHAR2 = HashingVectorizer(analyzer="char", ngram_range=(2, 2), n_features=2**18, binary=True,
                           alternate_sign=False, norm=None, lowercase=True)
_WORDS = HashingVectorizer(analyzer=str.split, n_features=2**18, binary=True, alternate_sign=False, norm=None)


def segment_words(texts: Sequence[str]) -> list[str]:
    """Space-joined words: jieba (precise mode) handles Chinese and passes Latin words through."""
    return [" ".join(w for w in jieba.lcut(t.lower()) if w.strip()) for t in texts]


def _overlap(a: sp.csr_matrix, b: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inter = np.asarray(a.multiply(b).sum(axis=1)).ravel()
    na = np.diff(a.indptr).astype(np.float64)
    nb = np.diff(b.indptr).astype(np.float64)
    return inter, na, nb


def _set_features(a: sp.csr_matrix, b: sp.csr_matrix) -> list[np.ndarray]:
    inter, na, nb = _overlap(a, b)
    union = na + nb - inter
    lo, hi = np.minimum(na, nb), np.maximum(na, nb)
    safe = np.maximum
    return [inter / safe(union, 1.0), inter / safe(lo, 1.0), inter / safe(hi, 1.0)]


def _group_flags(texts: Sequence[str]) -> np.ndarray:
    """(n, n_groups) presence of each function-word group (substring match; vectorised per group)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.utf8_lower(pa.array(list(texts), type=pa.string()))
    cols = []
    for words in WORD_GROUPS.values():
        hit = np.zeros(len(arr), dtype=bool)
        for w in words:
            hit |= pc.match_substring(arr, w).to_numpy(zero_copy_only=False)
        cols.append(hit)
    return np.column_stack(cols).astype(np.float64)


def _digits(texts: Sequence[str]) -> list[str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.replace_substring_regex(pa.array(list(texts), type=pa.string()), r"[^0-9]", "")
    return [str(v) for v in arr.to_pylist()]


def pair_features(
    texts_a: Sequence[str],
    texts_b: Sequence[str],
    tfidf: HashedTfidf,
    words_a: Sequence[str] | None = None,
    words_b: Sequence[str] | None = None,
) -> np.ndarray:
    """(n, len(FEATURE_NAMES)) float matrix for aligned pairs; pre-segmented words may be passed in."""
    a, b = list(texts_a), list(texts_b)
    if len(a) != len(b):
        raise ValueError("texts_a and texts_b must have the same length")
    if not a:
        return np.zeros((0, len(FEATURE_NAMES)))
    cosine = np.asarray(tfidf.transform(a).multiply(tfidf.transform(b)).sum(axis=1)).ravel()
    f1 = _set_features(_CHAR1.transform(a), _CHAR1.transform(b))
    f2 = _set_features(_CHAR2.transform(a), _CHAR2.transform(b))
    wa = list(words_a) if words_a is not None else segment_words(a)
    wb = list(words_b) if words_b is not None else segment_words(b)
    fw = _set_features(_WORDS.transform(wa), _WORDS.transform(wb))
    lev = cpdist(a, b, scorer=Levenshtein.normalized_similarity, workers=1).astype(np.float64)
    la = np.array([len(t) for t in a], dtype=np.float64)
    lb = np.array([len(t) for t in b], dtype=np.float64)
    da, db = _digits(a), _digits(b)
    digits_equal = np.array([x == y for x, y in zip(da, db, strict=True)], dtype=np.float64)
    digits_any = np.array([bool(x or y) for x, y in zip(da, db, strict=True)], dtype=np.float64)
    ga, gb = _group_flags(a), _group_flags(b)
    base = np.column_stack([
        cosine, *f1, *f2, fw[0], fw[1], lev,
        np.minimum(la, lb) / np.maximum(np.maximum(la, lb), 1.0), np.abs(la - lb), np.minimum(la, lb),
        digits_equal, digits_any,
    ])
    return np.hstack([base, np.abs(ga - gb), ga * gb])
