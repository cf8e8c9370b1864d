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
