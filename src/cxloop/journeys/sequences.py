"""Directly-follows counts, medians and variants from the scanned steps, vectorised (numpy).

The engine only scans and filters the labelled steps (sequence key, label, time and one integer tie key
= batch rank and seq, `steps.tie_key`) — no sort, no join, so the scan keeps source order. `sort_steps`
groups them: sequence keys and labels are dictionary-encoded to integer codes (hashing in Arrow, no string
sort), and a stable counting sort by sequence code (O(n)) groups the rows while keeping their order.
Scans usually come in source order (a log sorted by time, or trace by trace), so that order is time order
within every sequence and is only checked; otherwise one stable argsort by time comes first. Everything
else is array arithmetic over the sorted arrays, with no per-row Python:

- directly-follows (van der Aalst 2016, §6.2): consecutive rows of one sequence form an edge; edge counts
  and medians by one sort of packed words `edge << b | gap_ms` and picking the middle of each edge's run;
- variants: sequences of equal length are packed into 64-bit words (most significant code first, so the
  numeric order of the words is the lexicographic order of the paths), made unique with their counts,
  and the top paths merged across lengths; or (the default) a polynomial hash per sequence whose groups
  are checked step by step against their first member, so the result is exact either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

__all__ = ["SortedSteps", "batch_ranks", "directly_follows_arrays", "sort_steps", "top_variants_arrays"]

@dataclass(frozen=True)
class SortedSteps:
    """Sorted steps as arrays: label codes, times (ms) and where each sequence starts."""

    codes: npt.NDArray[np.int64]
    at_ms: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]  # index of each sequence's first step, ascending; len = sequences


def batch_ranks(present: list[str], started_at: Mapping[str, datetime | None]) -> dict[str, int]:
    """Rank of each batch id in tie order: by its start time (unknown batches last), then by id."""
    def key(batch: str) -> tuple[bool, datetime, str]:
        at = started_at.get(batch)
        return (at is None, at or datetime.min, batch)

    return {batch: rank for rank, batch in enumerate(sorted(present, key=key))}


def _encode(column: pa.ChunkedArray) -> tuple[npt.NDArray[np.int32], pa.Array]:
    """Dictionary-encode a string column (hashing): int32 codes and the distinct values (Arrow)."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary


def _nondecreasing(a: npt.NDArray[np.int64]) -> bool:
    return bool(len(a) < 2 or np.all(a[1:] >= a[:-1]))


def _group_sort(codes: npt.NDArray[np.int32], n_groups: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Stable counting sort of rows by group code: (row order, where each group starts), O(n).

    scipy's COO -> CSR conversion is a counting sort that keeps input order within a row (each row's
    column indices stay ascending, so no re-sort follows); the row indices of the CSR matrix are the
    permutation and its `indptr` the group starts. Every code in [0, n_groups) occurs (dictionary codes).
    """
    n = len(codes)
    matrix = sparse.csr_matrix(
        (np.ones(n, dtype=np.int8), (codes, np.arange(n, dtype=np.int64))), shape=(n_groups, n)
    )
    return matrix.indices.astype(np.int64, copy=False), matrix.indptr[:-1].astype(np.int64, copy=False)


_Grouped = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]


def _group_order(
    seq_code: npt.NDArray[np.int32], n_groups: int, at: npt.NDArray[np.int64], tie: npt.NDArray[np.int64]
) -> _Grouped:
    """Rows ordered by (sequence, time, tie): (permutation, sequence starts, sorted times).

    The rows are first put in tie (source) order — usually they already are, which is only checked — and
    a stable counting sort by sequence keeps that order within each sequence. When that is not time
    order in some sequence (a log not sorted by time), one stable argsort by time comes first instead.
    """
    base = None if _nondecreasing(tie) else np.argsort(tie, kind="stable")
    sc = seq_code if base is None else seq_code[base]
    t = at if base is None else at[base]
    idx, starts = _group_sort(sc, n_groups)
    t_sorted = t[idx]
    inside = np.ones(len(t_sorted), dtype=bool)
    inside[starts] = False  # a sequence's first row has no predecessor in it
    if np.any(inside[1:] & (t_sorted[1:] < t_sorted[:-1])):  # not in time order: rank by time first
        by_time = np.argsort(t, kind="stable")
        idx, starts = _group_sort(sc[by_time], n_groups)
        idx = by_time[idx]
        t_sorted = t[idx]
    return (idx if base is None else base[idx]), starts, t_sorted


def _tie_keys(table: pa.Table) -> npt.NDArray[np.int64]:
    """One int64 per row ordering ties: the engine's `tie` column (`steps.tie_key`), else the row order
    (one file read in order, `app.journeys_log`)."""
    if "tie" in table.column_names:
        return table.column("tie").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return np.arange(table.num_rows, dtype=np.int64)


def sort_steps(table: pa.Table) -> tuple[SortedSteps, list[str]]:
    """Sort unsorted steps (seq_key, label, occurred_at, optional tie); label codes in label order.

    Rows with a null `seq_key` must already be filtered out. Ties in time are ordered by the `tie` column
    when the engine computed it (`steps.tie_key`: batch rank, then seq), else by row order. Returns the
    sorted arrays and the label of each code.
    """
    seq_code, seq_keys = _encode(table.column("seq_key"))
    raw_label, dictionary = _encode(table.column("label"))
    names = dictionary.to_pylist()
    order = sorted(range(len(names)), key=names.__getitem__)
    remap = np.empty(len(names), dtype=np.int64)
    remap[order] = np.arange(len(names), dtype=np.int64)
    at_us = pc.cast(table.column("occurred_at"), pa.timestamp("us")).cast(pa.int64()).to_numpy()
    perm, starts, at_sorted = _group_order(seq_code, len(seq_keys), at_us, _tie_keys(table))
    codes = remap[raw_label[perm]]
    at_sorted //= 1000
    return SortedSteps(codes=codes, at_ms=at_sorted, starts=starts), [names[i] for i in order]


def _edge_runs(
    edge: npt.NDArray[np.int64], gaps: npt.NDArray[np.int64], follows: npt.NDArray[np.bool_], n_edges: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sort the followed (edge, gap) pairs: each edge's id, count and its lower and upper middle gaps.

    Packed into one int64 word `edge << b | gap` when both fit (one `np.sort`; each edge's run is then
    found by binary search, with no pass over the pairs), else a two-key sort.
    """
    gap_bits = max(1, int(gaps.max(initial=0)).bit_length())
    if int(gaps.min(initial=0)) >= 0 and max(1, n_edges - 1).bit_length() + gap_bits <= 63:
        edge <<= gap_bits
        edge |= gaps
        packed = edge[follows]
        packed.sort()
        if n_edges <= 1 << 16:
            bounds = np.searchsorted(packed, np.arange(n_edges + 1, dtype=np.int64) << gap_bits)
            counts = np.diff(bounds)
            ids = np.flatnonzero(counts)
            first, counts = bounds[ids], counts[ids]
        else:
            edge_sorted = packed >> gap_bits
            first = np.flatnonzero(np.concatenate([[True], edge_sorted[1:] != edge_sorted[:-1]]))
            counts = np.diff(np.append(first, len(packed)))
            ids = edge_sorted[first]
        mask = (1 << gap_bits) - 1
        return ids, counts, packed[first + (counts - 1) // 2] & mask, packed[first + counts // 2] & mask
    e, g = edge[follows], gaps[follows]  # too wide to pack (thousands of labels): two-key sort
    order = np.lexsort((g, e))
    e, g = e[order], g[order]
    first = np.flatnonzero(np.concatenate([[True], e[1:] != e[:-1]]))
    counts = np.diff(np.append(first, len(e)))
    return e[first], counts, g[first + (counts - 1) // 2], g[first + counts // 2]


def directly_follows_arrays(s: SortedSteps, n_labels: int) -> list[tuple[int, int, int, float]]:
    """(from_code, to_code, count, median_seconds) of every edge, by count desc then codes."""
    n = len(s.codes)
    if n < 2:
        return []
    follows = np.ones(n - 1, dtype=bool)
    ends = s.starts[1:] - 1
    follows[ends] = False  # the last step of a sequence is followed by nothing
    if not follows.any():
        return []
    edge = s.codes[:-1] * n_labels
    edge += s.codes[1:]
    gaps = s.at_ms[1:] - s.at_ms[:-1]
    gaps[ends] = 0  # across sequences: not an edge, keep it out of the packing width
    ids, counts, lo, hi = _edge_runs(edge, gaps, follows, n_labels * n_labels)
    medians = (lo + hi) / 2000.0
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


def _top_variants_packed(s: SortedSteps, n_labels: int, top: int) -> tuple[list[tuple[list[int], int]], int]:
    """Exact top variants without hashing: equal-length paths packed into words, made unique per length."""
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


_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (golden ratio); arithmetic mod 2**64


def _variant_groups(
    s: SortedSteps, lengths: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Distinct paths as (first sequence of each, count), by a polynomial hash checked for collisions.

    h = sum((code_j + 1) * B**j) mod 2**64 per sequence (one `np.add.reduceat`); then every sequence is
    compared step by step with the first sequence of its hash, so the grouping is exact. None on a collision.
    """
    n = len(s.codes)
    pos = np.arange(n, dtype=np.int64) - np.repeat(s.starts, lengths)
    powers = np.ones(int(lengths.max()), dtype=np.uint64)  # B**j
    powers[1:] = np.cumprod(np.full(len(powers) - 1, _HASH_BASE, dtype=np.uint64))
    terms = (s.codes.astype(np.uint64) + np.uint64(1)) * powers[pos]
    hashes = np.add.reduceat(terms, s.starts) ^ lengths.astype(np.uint64)
    _, first, group, counts = np.unique(hashes, return_index=True, return_inverse=True, return_counts=True)
    rep = first[group]  # the group's first sequence, for every sequence
    if np.any(lengths[rep] != lengths):
        return None
    if np.any(s.codes[np.repeat(s.starts[rep], lengths) + pos] != s.codes):
        return None
    return first.astype(np.int64), counts.astype(np.int64)


def _smallest_paths(s: SortedSteps, lengths: npt.NDArray[np.int64], seqs: npt.NDArray[np.int64], k: int) -> list[int]:
    """The k sequences (of `seqs`, distinct paths) with the lexicographically smallest paths, in order.

    Position by position, candidates are ranked by (rank so far, code at the position; an ended path
    first) and only the groups that can still be among the first k are kept.
    """
    cand, rank = seqs, np.zeros(len(seqs), dtype=np.int64)
    for j in range(int(lengths[seqs].max(initial=0)) + 1):
        ended = lengths[cand] <= j
        code = np.where(ended, -1, s.codes[np.minimum(s.starts[cand] + j, len(s.codes) - 1)])
        _, rank, sizes = np.unique(rank * (s.codes.max(initial=0) + 2) + code + 1, return_inverse=True,
                                   return_counts=True)
        before = np.cumsum(sizes) - sizes
        keep = before[rank] < k
        cand, rank = cand[keep], rank[keep]
        if len(cand) == len(np.unique(rank)):  # every remaining path told apart
            break
    return cand[np.argsort(rank, kind="stable")][:k].tolist()


def top_variants_arrays(s: SortedSteps, n_labels: int, top: int) -> tuple[list[tuple[list[int], int]], int]:
    """(top paths as code lists with counts, ordered by count desc then path; number of distinct paths)."""
    if not len(s.starts):
        return [], 0
    lengths = np.diff(np.append(s.starts, len(s.codes)))
    groups = _variant_groups(s, lengths)
    if groups is None:  # a hash collision (never seen in practice): the exact packed form
        return _top_variants_packed(s, n_labels, top)
    first, counts = groups
    kth = np.sort(counts)[::-1][min(top, len(counts)) - 1]
    above = np.flatnonzero(counts > kth)
    chosen = sorted(((int(counts[g]), int(first[g])) for g in above),
                    key=lambda c: (-c[0], s.codes[s.starts[c[1]]:s.starts[c[1]] + lengths[c[1]]].tolist()))
    tied = first[counts == kth]
    chosen += [(int(kth), q) for q in _smallest_paths(s, lengths, tied, top - len(chosen))]
    paths = [(s.codes[s.starts[q]:s.starts[q] + lengths[q]].tolist(), n) for n, q in chosen]
    return paths, len(counts)
