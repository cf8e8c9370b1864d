"""Every supported format and encoding lands the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cxloop.app import Workspace
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile
from cxloop.errors import InputError
from cxloop.ingest.connectors import read_export

HEADER = ["手机", "内容", "打分", "时间"]
ROWS = [
    ["13800000001", "送货很快", "9", "2026-10-02 11:30"],
    ["13800000002", "等了很久，客服不理人", "3", "2026/10/02 11:30"],
    ["13800000003", "screen flickers", "7", "2026年10月3日 09:15"],
]
PROFILE = SourceProfile(channel="survey", kind="survey_response",
                        map={"phone": "手机", "text": "内容", "nps": "打分", "occurred_at": "时间"})


def _write_delimited(path: Path, sep: str, encoding: str) -> Path:
    lines = [sep.join(HEADER)] + [sep.join(r) for r in ROWS]
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


def _stored(ws_root: Path) -> list[tuple[object, ...]]:
    with Workspace.open(ws_root) as ws:
        return ws.con.execute(
            "SELECT phone, text, nps, CAST(occurred_at AS VARCHAR) FROM records ORDER BY seq"
        ).fetchall()


EXPECTED = [
    ("13800000001", "送货很快", 9, "2026-10-02 03:30:00"),
    ("13800000002", "等了很久，客服不理人", 3, "2026-10-02 03:30:00"),
    ("13800000003", "screen flickers", 7, "2026-10-03 01:15:00"),
]


@pytest.mark.parametrize(
    ("name", "sep", "encoding"),
    [("a.csv", ",", "utf-8"), ("b.csv", ",", "utf-8-sig"), ("c.csv", ",", "gbk"), ("d.csv", ",", "gb18030"),
     ("e.tsv", "\t", "utf-8"), ("f.txt", "\t", "gbk")],
)
def test_delimited_encodings(tmp_path: Path, workspace: Path, name: str, sep: str, encoding: str) -> None:
    path = _write_delimited(tmp_path / name, sep, encoding)
    with Workspace.open(workspace) as ws:
        result = ingest(ws, path, source="s", profile=PROFILE)
    assert result["inserted"] == 3 and result["rejected"] == 0
    assert _stored(workspace) == EXPECTED


def test_xlsx(tmp_path: Path, workspace: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append([row[0], row[1], int(row[2]), row[3]])
    path = tmp_path / "x.xlsx"
    book.save(path)
    with Workspace.open(workspace) as ws:
        result = ingest(ws, path, source="s", profile=PROFILE)
    assert result["inserted"] == 3
    assert _stored(workspace) == EXPECTED


def test_xlsx_reject_row_is_sheet_row(tmp_path: Path, workspace: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["13800000001", "ok", 11, "2026-10-02 11:30"])
    path = tmp_path / "x.xlsx"
    book.save(path)
    with Workspace.open(workspace) as ws:
        assert ingest(ws, path, source="s", profile=PROFILE)["rejected"] == 1
        assert ws.con.execute("SELECT row, field FROM rejects").fetchall() == [(2, "nps")]


def test_jsonl_and_bad_line(tmp_path: Path, workspace: Path) -> None:
    path = tmp_path / "j.jsonl"
    lines = [json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) for r in ROWS]
    lines.insert(1, "{not json")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace.open(workspace) as ws:
        result = ingest(ws, path, source="s", profile=PROFILE)
        rejects = ws.con.execute("SELECT row, reason FROM rejects").fetchall()
    assert (result["rows_read"], result["inserted"], result["rejected"]) == (4, 3, 1)
    assert rejects[0][0] == 2 and "not valid JSON" in rejects[0][1]
    assert _stored(workspace) == EXPECTED


def test_parquet(tmp_path: Path, workspace: Path) -> None:
    table = pa.table({h: [r[i] for r in ROWS] for i, h in enumerate(HEADER)})
    table = table.set_column(2, "打分", pa.array([9, 3, 7], pa.int32()))
    path = tmp_path / "p.parquet"
    pq.write_table(table, path)
    with Workspace.open(workspace) as ws:
        assert ingest(ws, path, source="s", profile=PROFILE)["inserted"] == 3
    assert _stored(workspace) == EXPECTED


def test_unreadable_encoding_is_one_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n\xff\xfe\xff,1\n")
    with pytest.raises(InputError, match="unreadable encoding"):
        read_export(path, fmt="csv")


def test_short_rows_are_padded_and_long_rows_rejected(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1,2\n3,4,5,6\n7,8,9\n", encoding="utf-8")
    result = read_export(path, fmt="csv")
    assert result.table.column("c").to_pylist() == [None, "9"]
    assert result.table.column("__row").to_pylist() == [1, 3]
    assert [(b.row, b.reason) for b in result.bad_rows] == [(2, "row has 4 fields, the header has 3")]


def test_quoted_newlines_and_hostile_text(tmp_path: Path, workspace: Path) -> None:
    path = tmp_path / "h.csv"
    text = "'; DROP TABLE records; --<script>alert(1)</script>\x07"
    path.write_text(f'手机,内容,打分,时间\n1380000000,"多\n行",5,2026-10-01\n1380000001,"{text}",5,2026-10-01\n',
                    encoding="utf-8")
    with Workspace.open(workspace) as ws:
        assert ingest(ws, path, source="s", profile=PROFILE)["inserted"] == 2
        texts = [t for (t,) in ws.con.execute("SELECT text FROM records ORDER BY seq").fetchall()]
    assert texts == ["多\n行", "'; DROP TABLE records; --<script>alert(1)</script>"]
