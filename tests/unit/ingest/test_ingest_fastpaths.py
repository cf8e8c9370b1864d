"""The connector's fast paths give the same table as the careful ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.ingest.connectors import _has_quoted_newline, _is_utf8, read_export


@pytest.mark.parametrize(("payload", "expected"), [
    (b"a,b\n1,2\n", False),
    (b'a,b\n"x, y",2\n', False),
    (b'a,b\n"x\ny",2\n', True),
    (b'a,b\n"say ""hi""\nthere",2\n', True),
    (b'a,b\n"say ""hi""",2\n3,4\n', False),
])
def test_quoted_newline_detection(payload: bytes, expected: bool) -> None:
    assert _has_quoted_newline(payload) is expected


def test_utf8_check_matches_python() -> None:
    for data in ("手机,邮箱\n".encode(), "手机".encode("gb18030"), b"\xed\xa0\x80", b"\xef\xbb\xbfok", b""):
        try:
            data.decode("utf-8")
            valid = True
        except UnicodeDecodeError:
            valid = False
        assert _is_utf8(data) is valid


@pytest.mark.parametrize("encoding", ["auto", "utf-8", "utf-8-sig"])
def test_bom_and_quoted_cells_read_alike(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("\ufeff手机,内容\n138,\"多行\n文本\"\n139,\"a, b\"\n140,\n".encode())
    result = read_export(path, fmt="csv", encoding=encoding)
    assert result.table.column_names[:2] == ["手机", "内容"]
    assert result.table.column("内容").to_pylist() == ["多行\n文本", "a, b", None]
    assert result.table.column("__row").to_pylist() == [1, 2, 3]


def test_staged_rows_out_of_order_are_put_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer pairs staged rows with the file's cells by position: rows DuckDB returns out of order
    are reordered by seq, and the stored batch is the same as with rows in order."""
    from cxloop.app import Workspace, ingest_service
    from cxloop.app.ingest_service import ingest
    from cxloop.config import SourceProfile

    path = tmp_path / "x.csv"
    rows = [f"k{i % 7},138{i:08d},t{i},2026-10-0{1 + i % 9} 10:00,n{i}" for i in range(60)]
    lines = ["key,phone,text,at,node", *rows]
    lines.append("kx,139,,bad,n")  # a reject
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    profile = SourceProfile(channel="chat", map={"source_key": "key", "phone": "phone", "text": "text",
                                                 "occurred_at": "at"})
    query = ("SELECT record_id, seq, customer IS NOT NULL, text, phone, attributes, raw, row_hash "
             "FROM (SELECT *, customer_id AS customer FROM records) ORDER BY record_id")

    def stored(root: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        with Workspace.init(root) as ws:
            ingest(ws, path, source="s", profile=profile)
            rejects = ws.con.execute("SELECT row, reason, raw FROM rejects ORDER BY row").fetchall()
            return ws.con.execute(query).fetchall(), rejects

    in_order = stored(tmp_path / "a")
    original = ingest_service.staging_sql
    monkeypatch.setattr(ingest_service, "staging_sql", lambda plan: f"{original(plan)} ORDER BY seq DESC")
    reversed_rows = stored(tmp_path / "b")
    assert reversed_rows == in_order
    assert len(in_order[0]) == 7 and len(in_order[1]) == 1
