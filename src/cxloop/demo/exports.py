"""Export layouts: each source as its system would really export it, and the matching source profile.

Column names are those of the originating system (Chinese headers for Chinese systems, English for the
IVR platform and WeChat's API), each with its own date style and encoding. A `Column` names the canonical
field it maps to (None: it lands in `attributes`). `profile()` turns an export into the
`[sources.<name>]` entry for cxloop.toml (fields of `cxloop.config.SourceProfile`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from cxloop.demo.records import Frame
from cxloop.demo.strings import format_codes, format_times, nonempty

__all__ = ["Column", "Export", "RecordView", "profile", "score_text"]


@dataclass
class Column:
    name: str
    values: pa.Array
    maps_to: str | None = None


@dataclass
class Export:
    """One export file: its rows as Arrow string columns plus how to read it back."""

    source: str
    file: str
    format: str  # csv | xlsx | jsonl
    encoding: str  # utf-8 | utf-8-sig | gbk
    columns: list[Column]
    channel: str
    kind: str
    date_column: str
    date_format: str | None = None
    account_namespace: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    scales: dict[str, tuple[float, float]] = field(default_factory=dict)
    score_columns: dict[str, tuple[int, int]] = field(default_factory=dict)  # column -> valid range
    protected: np.ndarray | None = None  # rows never corrupted (planted truth)

    @property
    def n_rows(self) -> int:
        return len(self.columns[0].values) if self.columns else 0

    def table(self) -> pa.Table:
        return pa.table({c.name: c.values for c in self.columns})


def profile(export: Export) -> dict[str, Any]:
    """The source profile (SourceProfile fields) that reads `export` back."""
    out: dict[str, Any] = {"channel": export.channel, "kind": export.kind, "format": export.format,
                           "encoding": "gbk" if export.encoding == "gbk" else "utf-8",
                           "timezone": "Asia/Shanghai"}
    if export.date_format:
        out["date_format"] = export.date_format
    if export.account_namespace:
        out["account_namespace"] = export.account_namespace
    out["map"] = {c.maps_to: c.name for c in export.columns if c.maps_to}
    if export.scales:
        out["scales"] = {k: list(v) for k, v in export.scales.items()}
    if export.defaults:
        out["defaults"] = dict(export.defaults)
    return out


def score_text(values: np.ndarray) -> pa.Array:
    """Scores as export text: integers, empty where missing."""
    present = ~np.isnan(values)
    ints = np.where(present, values, 0).astype(np.int64)
    return pa.array(ints, mask=~present).cast(pa.string())


def _int_text(values: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    mask = None if present is None else ~present
    return pa.array(values.astype(np.int64), mask=mask).cast(pa.string())


@dataclass
class RecordView:
    """The rows of one source (a contiguous slice of the sorted frame) and their derived strings."""

    f: Frame
    rows: slice
    strings: dict[str, np.ndarray]  # per-frame object columns: phone, email, device, ..., text

    def col(self, name: str) -> np.ndarray:
        return self.f[name][self.rows]

    def text(self, name: str) -> pa.Array:
        """An object column as Arrow strings, empty strings as missing."""
        return nonempty(self.strings[name][self.rows])

    def times(self, pattern: str) -> pa.Array:
        return format_times(self.col("ts"), pattern)

    def codes(self, prefix: str, width: int, offset: int = 1) -> pa.Array:
        return format_codes(prefix, np.arange(len(self.col("ts"))) + offset, width)

    def score(self, name: str) -> pa.Array:
        return score_text(self.col(name))

    def outcome(self) -> pa.Array:
        o = self.col("outcome")
        labels = np.array(["resolved", "unresolved", "transferred", "abandoned", ""], dtype=object)
        values = labels[np.where(o >= 0, o, 4)]
        return pa.array(values, type=pa.string(), mask=(values == ""))

    def duration(self) -> pa.Array:
        d = self.col("dur")
        return _int_text(d, d >= 0)

    def counts(self, rng: np.random.Generator, scale: float) -> pa.Array:
        return _int_text(np.floor(rng.pareto(1.6, len(self.col("ts"))) * scale))


Builder = Callable[[RecordView, np.random.Generator], Export]
