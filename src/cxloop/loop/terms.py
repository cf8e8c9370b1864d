"""Distinctive terms of complaint texts: the units the Andon rule's term path counts.

A term is a segmented word (the enrichment's jieba tokens) that says *what* is wrong: stopwords, generic
complaint and product words (`data/generic_terms.txt`), the products' own names, numbers and words that
are too short are dropped. Filtering runs once per distinct word, then maps back (no per-row Python).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["ReportTerms", "distinctive", "report_terms"]


def _words(package: str, name: str) -> frozenset[str]:
    text = (resources.files(package) / "data" / name).read_text(encoding="utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


_IGNORED = _words("cxloop.text", "stopwords.txt") | _words("cxloop.loop", "generic_terms.txt")
_LETTER = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NAME_PART = re.compile(r"[\w\u4e00-\u9fff]+")


def _name_parts(products: Iterable[str]) -> tuple[frozenset[str], tuple[str, ...]]:
    """Words of the product names and each name without spaces (a token holding one is a name)."""
    parts: set[str] = set()
    joined: list[str] = []
    for p in products:
        low = p.lower()
        parts.update(_NAME_PART.findall(low))
        whole = "".join(_NAME_PART.findall(low))
        if len(whole) >= 3:
            joined.append(whole)
    return frozenset(parts), tuple(joined)


def distinctive(term: str, names: frozenset[str] = frozenset(), joined: tuple[str, ...] = ()) -> bool:
    """Whether a token can name an issue."""
    t = term.lower()
    if t in _IGNORED or t in names or not _LETTER.search(t):
        return False
    if len(t) < 2 or (t.isascii() and len(t) < 3):
        return False
    return not any(j in t for j in joined)


@dataclass(frozen=True)
class ReportTerms:
    """(report, term) pairs: `report` indexes the reports, `term` indexes `vocabulary`; unique pairs."""

    report: np.ndarray
    term: np.ndarray
    vocabulary: list[str]


def report_terms(tokens: pa.Array | pa.ChunkedArray, products: Iterable[str], *, distinct: bool = False
                 ) -> ReportTerms:
    """The distinctive terms of each report, from its list of tokens (case-insensitive, each term once).
    `distinct`: the caller's lists already hold each lower-case token once (skips a sort)."""
    arr = tokens.combine_chunks() if isinstance(tokens, pa.ChunkedArray) else tokens
    if len(arr) == 0:
        return ReportTerms(np.zeros(0, np.int64), np.zeros(0, np.int64), [])
    arr = arr.fill_null(pa.scalar([], type=arr.type))
    lengths = pc.list_value_length(arr).to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(pc.list_flatten(arr))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    names, joined = _name_parts(products)
    # one decision per distinct word, then a renumbering array: old code -> term code or -1 (no sort)
    vocabulary: list[str] = []
    index: dict[str, int] = {}
    merged = False
    lookup = np.full(len(encoded.dictionary), -1, dtype=np.int64)
    for i, word in enumerate(encoded.dictionary.to_pylist()):
        low = word.lower()
        if not distinctive(low, names, joined):
            continue
        merged |= low in index
        lookup[i] = index.setdefault(low, len(vocabulary))
        if lookup[i] == len(vocabulary):
            vocabulary.append(low)
    codes = lookup[encoded.indices.to_numpy(zero_copy_only=False)]
    report = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    keep = codes >= 0
    report, codes = report[keep], codes[keep]
    if merged or not distinct:
        pairs = np.unique(report * len(vocabulary) + codes)
        report, codes = pairs // len(vocabulary), pairs % len(vocabulary)
    return ReportTerms(report=report, term=codes, vocabulary=vocabulary)
