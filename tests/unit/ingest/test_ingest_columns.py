"""The planner's column checks agree with what DuckDB's trim() and the control-character regexp do."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.ingest.columns import may_hold_control, may_need_trim

# characters that matter at a value's edges: every Zs space, look-alikes that trim() keeps, CJK, ASCII
_EDGY = [" ", "\u00a0", "\u1680", "\u2000", "\u200a", "\u200b", "\u202f", "\u205f", "\u3000", "\t", "\n",
         "\u2028", "\u3001", "\u0100", "\u20ac", "手", "a", "1", "\x01", "\x7f", "\r", "\u00ad"]
values = st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(_EDGY), max_size=5)), max_size=8)


def _duckdb_trims(column: pa.Array) -> bool:
    con = duckdb.connect()
    con.register("t", pa.table({"v": column}))
    changed = con.execute("SELECT count(*) FROM t WHERE trim(v) <> v").fetchall()[0][0]
    return bool(changed)


def _duckdb_controls(column: pa.Array) -> bool:
    con = duckdb.connect()
    con.register("t", pa.table({"v": column}))
    pattern = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
    return bool(con.execute(f"SELECT count(*) FROM t WHERE regexp_matches(v, '{pattern}')").fetchall()[0][0])


@settings(max_examples=200, deadline=None)
@given(values)
def test_trim_check_is_exact(cells: list[str | None]) -> None:
    column = pa.array(cells, pa.string())
    assert may_need_trim(column) is _duckdb_trims(column)


@settings(max_examples=200, deadline=None)
@given(values)
def test_control_check_is_exact(cells: list[str | None]) -> None:
    column = pa.array(cells, pa.string())
    assert may_hold_control(column) is _duckdb_controls(column)


def test_sliced_and_chunked_columns() -> None:
    base = pa.array([" x", "y", "z ", "\x01w", "v"], pa.string())
    assert may_need_trim(base.slice(1, 1)) is False
    assert may_need_trim(base.slice(1, 2)) is True
    assert may_hold_control(base.slice(4, 1)) is False
    chunked = pa.chunked_array([base.slice(1, 1), base.slice(4, 1), pa.array(["\u3000"], pa.string())])
    assert may_need_trim(chunked) is True
    assert may_need_trim(pa.chunked_array([pa.array([None, ""], pa.string())])) is False
    assert may_need_trim(pa.array(["a ", "b"], pa.large_string())) is True
    assert may_need_trim(pa.array([1, 2])) is True  # not a string column: assume the worst
