"""Dates parsed by family (the separator after the year) equal the whole list of formats tried in turn."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cxloop.identity.normalize import sql_literal
from cxloop.ingest.connectors import ROW, SEQ
from cxloop.ingest.transform import DATE_FORMATS, StagingPlan, staging_sql

_PIECES = ["2026", "10", "3", "03", "-", "/", "年", "月", "日", ".", " ", "T", ":", "11", "30", "59", "时", "分",
           "0", "\t", "+08:00", "Z", "x", "2026-10-03", "2026/10/03", "20261003", "123456", "２０２６"]
stamps = st.lists(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=7).map("".join), min_size=1, max_size=30)


def _staged(values: list[str]) -> list[object]:
    table = pa.table({"at": pa.array(values, pa.string()), "text": pa.array(["x"] * len(values), pa.string())})
    table = table.append_column(ROW, pa.array(np.arange(1, len(values) + 1)))
    table = table.append_column(SEQ, pa.array(np.arange(len(values))))
    plan = StagingPlan(source="s", columns=["at", "text"], mapping={"occurred_at": "at", "text": "text"})
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("src", table)
    return [r[0] for r in con.execute(f"SELECT occurred_at FROM ({staging_sql(plan)}) ORDER BY seq").fetchall()]


def _whole_list(values: list[str]) -> list[object]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.register("v", pa.table({"v": pa.array(values, pa.string())}))
    listed = "[" + ", ".join(sql_literal(f) for f in DATE_FORMATS) + "]"
    return [r[0] for r in con.execute(
        "SELECT CASE WHEN regexp_matches(t, '(Z|[+-]\\d{2}:?\\d{2})$') THEN timezone('UTC', TRY_CAST(t AS "
        f"TIMESTAMPTZ)) ELSE timezone('UTC', timezone('Asia/Shanghai', try_strptime(t, {listed}))) END "
        "FROM (SELECT nullif(trim(v), '') AS t FROM v)"
    ).fetchall()]


@settings(max_examples=150, deadline=None)
@given(stamps)
def test_family_routing_equals_the_whole_list(values: list[str]) -> None:
    assert _staged(values) == _whole_list(values)


def test_every_listed_form() -> None:
    values = ["2026-10-03 11:30:59", "2026-10-03 11:30:59.250", "2026-10-03 11:30", "2026-10-03T11:30:59",
              "2026-10-03T11:30:59.5", "2026-10-03T11:30", "2026/10/03 11:30:59", "2026/10/02 11:30",
              "2026年10月3日 09:15:00", "2026年10月3日 09:15", "2026年10月3日09:15", "2026年10月3日 09时15分",
              "2026.10.03 11:30:59", "2026.10.03 11:30", "20261003113059", "20261003 11:30:59", "2026-10-03",
              "2026/10/03", "2026年10月3日", "2026.10.03", "20261003", "2026-10-03T11:30:59+02:00"]
    got = _staged(values)
    assert got == _whole_list(values)
    assert all(g is not None for g in got)
