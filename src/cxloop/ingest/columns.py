"""Facts about a whole string column, read off its Arrow buffers with numpy (no per-value Python).

The staging query trims every mapped cell and strips control characters from texts; on a clean export
neither changes anything, yet each costs a pass that allocates a new string per value (~0.1 CPU-s per
column per million rows). These checks look at the bytes once and tell the planner when a step is a
no-op for the whole column, so it can leave it out. They are conservative: `True` means "maybe".

- `may_need_trim`: some value starts or ends with a Unicode space separator (category Zs: U+0020,
  U+00A0, U+1680, U+2000..U+200A, U+202F, U+205F, U+3000) — exactly what DuckDB's `trim()` removes.
- `may_hold_control`: some byte is a C0 control other than tab, LF and CR, or DEL (0x7f). In UTF-8 these
  bytes never occur inside a multi-byte character, so a byte scan is exact.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

__all__ = ["may_hold_control", "may_need_trim"]

# Zs characters in UTF-8, as sequences of allowed byte sets
_ZS_PATTERNS: tuple[tuple[frozenset[int], ...], ...] = (
    (frozenset({0x20}),),
    (frozenset({0xC2}), frozenset({0xA0})),
    (frozenset({0xE1}), frozenset({0x9A}), frozenset({0x80})),
    (frozenset({0xE2}), frozenset({0x80}), frozenset({*range(0x80, 0x8B), 0xAF})),
    (frozenset({0xE2}), frozenset({0x81}), frozenset({0x9F})),
    (frozenset({0xE3}), frozenset({0x80}), frozenset({0x80})),
)
# bytes a Zs character can start with / end with: only values with one at an edge are looked at closely
_FIRST = np.zeros(256, dtype=bool)
_FIRST[[0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True
_LAST = np.zeros(256, dtype=bool)
_LAST[[0x20, 0xA0, *range(0x80, 0x8B), 0xAF, 0x9F]] = True
_CONTROL = np.zeros(256, dtype=bool)
_CONTROL[[*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]] = True


def _spans(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(data bytes, start, end) of the chunk's non-empty values; None for a non-string chunk."""
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return None
    buffers = chunk.buffers()
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
    start, end = offsets[:-1].astype(np.int64), offsets[1:].astype(np.int64)
    filled = end > start
    return data, start[filled], end[filled]


def _column_spans(
    column: pa.ChunkedArray | pa.Array,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray] | None]:
    """`_spans` of each chunk of the column."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    return (_spans(chunk) for chunk in chunks)


def _matches(data: np.ndarray, at: np.ndarray, fits: np.ndarray, pattern: tuple[frozenset[int], ...]) -> bool:
    """Whether any position `at` (where `fits`) starts the byte pattern."""
    hit = fits.copy()
    last = len(data) - 1
    for k, allowed in enumerate(pattern):
        if not hit.any():
            return False
        byte = data[np.minimum(at + k, last)]
        hit &= np.isin(byte, np.fromiter(allowed, dtype=np.uint8))
    return bool(hit.any())


def may_need_trim(column: pa.ChunkedArray | pa.Array) -> bool:
    """Whether `trim()` could change some value of the column (see module docstring)."""
    for spans in _column_spans(column):
        if spans is None:
            return True
        data, start, end = spans
        edgy = _FIRST[data[start]] | _LAST[data[end - 1]]
        start, end = start[edgy], end[edgy]
        if not len(start):
            continue
        length = end - start
        for pattern in _ZS_PATTERNS:
            size = len(pattern)
            fits = length >= size
            if _matches(data, start, fits, pattern) or _matches(data, end - size, fits, pattern):
                return True
    return False


def may_hold_control(column: pa.ChunkedArray | pa.Array) -> bool:
    """Whether some value of the column holds a control character (see module docstring)."""
    for spans in _column_spans(column):
        if spans is None:
            return True
        data, start, end = spans
        if not len(start):
            continue
        window = data[start.min() : end.max()]
        # two plain comparisons rule out most columns; the table lookup only sees the few low bytes
        low = window[window < 0x20]
        if (len(low) and _CONTROL[low].any()) or (window == 0x7F).any():
            return True
    return False
