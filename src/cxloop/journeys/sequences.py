"""Directly-follows counts, medians and variants from steps already sorted by sequence, vectorised (numpy).

The engine does the one expensive thing — a sort of the labelled steps by (sequence, time, batch start,
batch, seq) — and returns three columns: the sequence key, the label's integer code (codes in label order)
and the time in ms. Everything else is array arithmetic over the sorted arrays, with no per-row Python:

- directly-follows (van der Aalst 2016, §6.2): consecutive rows of one sequence form an edge; edge counts
  by `bincount`; medians by one sort of `edge << 40 | gap_ms` and picking the middle of each edge's run;
- variants: sequences of equal length are packed into 64-bit words (most significant code first, so the
  numeric order of the words is the lexicographic order of the paths), made unique with their counts,
  and the top paths merged across lengths. Exact (no hashing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["SortedSteps", "directly_follows_arrays", "sorted_steps", "top_variants_arrays"]

_GAP_BITS = 40  # gaps up to 2**40 ms (~34 years) fit below the edge id in one int64


@dataclass(frozen=True)
class SortedSteps:
    """Sorted steps as arrays: label codes, times (ms) and where each sequence starts."""

    codes: npt.NDArray[np.int64]
    at_ms: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]  # index of each sequence's first step, ascending; len = sequences


def sorted_steps(table: pa.Table) -> SortedSteps:
    """From an Arrow table (seq_key, code, at) sorted by sequence then order keys."""
    n = table.num_rows
    keys = table.column("seq_key").combine_chunks()
    if n:
        changed = pc.not_equal(keys.slice(1), keys.slice(0, n - 1)).to_numpy(zero_copy_only=False)
        starts = np.concatenate([[0], np.flatnonzero(changed) + 1]).astype(np.int64)
    else:
        starts = np.zeros(0, dtype=np.int64)
    codes = table.column("code").to_numpy().astype(np.int64)
    at = table.column("at").cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy()
    return SortedSteps(codes=codes, at_ms=at.astype(np.int64), starts=starts)


def directly_follows_arrays(s: SortedSteps, n_labels: int) -> list[tuple[int, int, int, float]]:
    """(from_code, to_code, count, median_seconds) of every edge, by count desc then codes."""
    n = len(s.codes)
    if n < 2:
        return []
    follows = np.ones(n - 1, dtype=bool)
    follows[s.starts[1:] - 1] = False  # the last step of a sequence is followed by nothing
    if not follows.any():
        return []
    src, dst = s.codes[:-1][follows], s.codes[1:][follows]
    gaps = (s.at_ms[1:] - s.at_ms[:-1])[follows]
    edge = src * n_labels + dst
    packed = np.sort((edge << _GAP_BITS) | gaps)
    edge_sorted = packed >> _GAP_BITS
    gap_sorted = packed & ((1 << _GAP_BITS) - 1)
    first = np.flatnonzero(np.concatenate([[True], edge_sorted[1:] != edge_sorted[:-1]]))
    counts = np.diff(np.append(first, len(packed)))
    lo = first + (counts - 1) // 2
    hi = first + counts // 2
    medians = (gap_sorted[lo] + gap_sorted[hi]) / 2000.0
    ids = edge_sorted[first]
    order = np.lexsort((ids, -counts))
    return [
        (int(ids[i] // n_labels), int(ids[i] % n_labels), int(counts[i]), float(medians[i])) for i in order
    ]


def _pack(rows: npt.NDArray[np.int64], bits: int) -> npt.NDArray[np.uint64]:
    """Pack each row of codes into ceil(L*bits/64) uint64 words, most significant code first."""
    per_word = 64 // bits
    n, length = rows.shape
    words = -(-length // per_word)
    out = np.zeros((n, words), dtype=np.uint64)
    for j in range(length):  # loops over positions (<= the longest path), not over rows
        w, k = divmod(j, per_word)
        shift = np.uint64(bits * (per_word - 1 - k))
        out[:, w] |= rows[:, j].astype(np.uint64) << shift
    return out


def top_variants_arrays(s: SortedSteps, n_labels: int, top: int) -> tuple[list[tuple[list[int], int]], int]:
    """(top paths as code lists with counts, ordered by count desc then path; number of distinct paths)."""
    if not len(s.starts):
        return [], 0
    lengths = np.diff(np.append(s.starts, len(s.codes)))
    bits = max(1, int(n_labels).bit_length())
    candidates: list[tuple[int, list[int]]] = []
    distinct = 0
    for length in np.unique(lengths):
        starts = s.starts[lengths == length]
        rows = s.codes[starts[:, None] + np.arange(length)[None, :]]
        packed = _pack(rows, bits)
        view = np.ascontiguousarray(packed).view([("", np.uint64)] * packed.shape[1]).ravel()
        uniq, first, counts = np.unique(view, return_index=True, return_counts=True)
        distinct += len(uniq)
        keep = np.argsort(-counts, kind="stable")[:top]  # uniq is in path order: ties stay in path order
        candidates.extend((int(counts[i]), rows[first[i]].tolist()) for i in keep)
    candidates.sort(key=lambda c: (-c[0], c[1]))
    return [(path, count) for count, path in candidates[:top]], distinct
