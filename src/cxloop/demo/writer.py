"""Writing exports to disk byte-for-byte reproducibly, with deliberately bad rows, and the TOML profiles.

Bad rows (chosen in `mark_bad_rows`, never among planted rows): an unparseable or missing date, a score
outside its scale or not a number, an all-empty row (CSV only; spreadsheet and JSON readers may drop those),
and exact duplicates (which ingest must count as `unchanged`, not reject).
XLSX files are written with openpyxl and then re-zipped with fixed timestamps, so the same seed gives the
same bytes.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cxloop.demo.exports import Export

__all__ = ["BAD_DATE", "BAD_SCORE", "DUPLICATE", "EMPTY", "apply_bad_rows", "mark_bad_rows",
           "render_sources_toml", "write_export"]

BAD_DATE, BAD_SCORE, EMPTY, DUPLICATE = 1, 2, 3, 4
_BAD_DATES = ("2026-13-45 25:61", "待定", "31/31/2026", "", "0000-00-00 00:00", "昨天下午", "2026/02/30 10:00")
_BAD_WORDS = ("五星", "满意", "10分")
_FIXED_TIME = (2026, 11, 1, 0, 0, 0)


def mark_bad_rows(rng: np.random.Generator, n: int, protected: np.ndarray, share: float, *,
                  has_scores: bool, allow_empty: bool, dup_only: bool = False) -> np.ndarray:
    """Per row 0 (good) or the kind of damage; about `share` of the unprotected rows are damaged."""
    marks = np.zeros(n, dtype=np.int8)
    candidates = np.flatnonzero(~protected)
    k = min(len(candidates), max(4, round(n * share)))
    if k == 0:
        return marks
    chosen = rng.choice(candidates, size=k, replace=False)
    if dup_only:
        marks[chosen] = DUPLICATE
        return marks
    p = np.array([0.35, 0.25 if has_scores else 0.0, 0.15 if allow_empty else 0.0, 0.25])
    kinds = 1 + rng.choice(4, size=k, p=p / p.sum())
    allowed = 1 + np.flatnonzero(p > 0)
    if k >= len(allowed):  # every applicable kind at least once, even in a small file
        kinds[: len(allowed)] = allowed
    marks[chosen] = kinds
    return marks


def apply_bad_rows(export: Export, marks: np.ndarray, rng: np.random.Generator) -> tuple[pa.Table, dict[str, int]]:
    """The export's table with damaged cells and duplicated rows, plus counts of each kind."""
    table = export.table()
    n = table.num_rows
    cols: dict[str, pa.Array] = {}
    score_cols = list(export.score_columns)
    which_score = rng.integers(0, max(1, len(score_cols)), n)
    bad_date = pa.array(_BAD_DATES).take(pa.array(rng.integers(0, len(_BAD_DATES), n)))
    pick = pa.array(rng.integers(0, 6, n))
    empty = pa.array(marks == EMPTY)
    any_empty = bool((marks == EMPTY).any())
    for name in table.column_names:
        col = table.column(name).combine_chunks()
        if name == export.date_column:
            col = pc.if_else(pa.array(marks == BAD_DATE), bad_date, col)
        if name in score_cols:  # outside this column's own scale (6 is fine for CES 1-7), or not a number
            lo, hi = export.score_columns[name]
            bad_score = pa.array([str(hi + 1), str(lo - 1), str(hi + 88), *_BAD_WORDS]).take(pick)
            hit = (marks == BAD_SCORE) & (which_score == score_cols.index(name))
            col = pc.if_else(pa.array(hit), bad_score, col)
        cols[name] = pc.if_else(empty, pa.scalar(None, pa.string()), col) if any_empty else col
    out = _with_duplicates(pa.table(cols), np.flatnonzero(marks == DUPLICATE))
    dups = np.flatnonzero(marks == DUPLICATE)
    stats = {"rows": out.num_rows, "bad_date": int((marks == BAD_DATE).sum()),
             "bad_score": int((marks == BAD_SCORE).sum()), "empty": int((marks == EMPTY).sum()),
             "duplicates": len(dups)}
    stats["expected_rejects"] = stats["bad_date"] + stats["bad_score"] + stats["empty"]
    return out, stats


def _with_duplicates(table: pa.Table, dups: np.ndarray) -> pa.Table:
    """Each row in `dups` repeated right after itself (zero-copy slices, no gather of every column)."""
    if len(dups) == 0:
        return table
    pieces: list[pa.Table] = []
    start = 0
    for d in dups.tolist():
        pieces += [table.slice(start, d + 1 - start), table.slice(d, 1)]
        start = d + 1
    pieces.append(table.slice(start))
    return pa.concat_tables(pieces)


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return sink.getvalue()


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_rows(table: pa.Table, numeric: set[str]) -> bytes:
    """`<row>` elements for every data row, built column-wise with Arrow string kernels.

    Text cells are inline strings; cells of `numeric` columns holding an integer are number cells (as a
    survey tool exports scores); null cells are omitted.
    """
    n = table.num_rows
    rownum = pa.array(np.arange(2, n + 2)).cast(pa.string())
    cells: list[pa.Array] = []
    for i, name in enumerate(table.column_names):
        col = table.column(name).combine_chunks()
        for raw, esc in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            col = pc.replace_substring(col, raw, esc)
        text = pc.binary_join_element_wise(f'<c r="{_column_letter(i)}', rownum,
                                           '" t="inlineStr"><is><t xml:space="preserve">', col, "</t></is></c>", "")
        if name in numeric:
            number = pc.binary_join_element_wise(f'<c r="{_column_letter(i)}', rownum, '"><v>', col, "</v></c>", "")
            text = pc.if_else(pc.fill_null(pc.match_substring_regex(col, r"^-?\d+$"), False), number, text)
        cells.append(pc.fill_null(text, ""))
    rows = pc.binary_join_element_wise('<row r="', rownum, '">', *cells, "</row>", "")
    if n == 0:
        return b""
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32, count=n + 1, offset=rows.offset * 4)
    return rows.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]]


def _xlsx_bytes(table: pa.Table, sheet: str, numeric: set[str]) -> bytes:
    """An XLSX workbook: openpyxl writes the package and header row; the data rows are spliced into the
    sheet as vectorised XML (openpyxl's per-cell writer costs ~10 µs a cell)."""
    from openpyxl import Workbook  # only the XLSX export needs it

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    ws.append(table.column_names)
    raw = io.BytesIO()
    wb.save(raw)
    return _normalise_zip(raw.getvalue(), {"xl/worksheets/sheet1.xml": _sheet_rows(table, numeric)})


def _normalise_zip(data: bytes, rows: dict[str, bytes]) -> bytes:
    """Re-zip with fixed member times and fixed document dates (openpyxl stamps 'now'), appending
    `rows` to the named sheets' data."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-01T00:00:00Z", content)
            if info.filename in rows:
                content = content.replace(b"</sheetData>", rows[info.filename] + b"</sheetData>", 1)
            member = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(member, content)
    return out.getvalue()


def _jsonl_bytes(table: pa.Table) -> bytes:
    names = table.column_names
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    lines = [json.dumps({k: v for k, v in zip(names, row, strict=True) if v is not None}, ensure_ascii=False)
             for row in zip(*columns, strict=True)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_export(export: Export, table: pa.Table, folder: Path) -> Path:
    """Write `table` as `folder/export.file` in the export's format and encoding; return the path."""
    path = folder / export.file
    if export.format == "xlsx":
        data = _xlsx_bytes(table, export.source, set(export.score_columns))
    elif export.format == "jsonl":
        data = _jsonl_bytes(table)
    else:
        data = _csv_bytes(table)
        if export.encoding == "gbk":
            data = data.decode("utf-8").encode("gbk")
        elif export.encoding == "utf-8-sig":
            data = b"\xef\xbb\xbf" + data
    path.write_bytes(data)
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(str(value), ensure_ascii=False)


def render_sources_toml(profiles: dict[str, dict[str, Any]]) -> str:
    """`[sources.<name>]` tables (with `.map`, `.scales`, `.defaults` sub-tables) for cxloop.toml."""
    out: list[str] = []
    for name, prof in profiles.items():
        out.append(f"\n[sources.{name}]")
        out += [f"{k} = {_toml_value(v)}" for k, v in prof.items() if not isinstance(v, dict)]
        for k, v in prof.items():
            if isinstance(v, dict) and v:
                out.append(f"\n[sources.{name}.{k}]")
                out += [f"{sub} = {_toml_value(val)}" for sub, val in v.items()]
    return "\n".join(out) + "\n"
