"""The ingest CLI contracts: JSON shapes, exact error texts and exit codes, atomic batches."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ADHOC = ["--channel", "survey", "--kind", "survey_response", "--map", "phone=手机", "--map", "email=邮箱",
         "--map", "text=内容", "--map", "nps=打分", "--map", "occurred_at=时间"]


def _survey(path: Path, encoding: str = "utf-8") -> Path:
    rows = ["手机,邮箱,内容,打分,时间", "+86 150-0000-1111,a@x.cn,送货很快,9,2026-09-01 10:00",
            "15000002222,A@X.CN,售后电话一直占线,2,2026/09/02 08:30", "15000003333,b@x.cn,还可以,12,2026-09-03 09:00"]
    path.write_text("\n".join(rows) + "\n", encoding=encoding)
    return path


def test_ingest_status_rejects_customers_json(cli, workspace, tmp_path) -> None:
    path = _survey(tmp_path / "s.csv", "gbk")
    result = cli("ingest", path, *ADHOC, "--workspace", workspace, "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) == {"batch_id", "rows_read", "inserted", "updated", "unchanged", "rejected"}
    assert (data["rows_read"], data["inserted"], data["rejected"]) == (3, 2, 1)

    status = cli("status", "--workspace", workspace, "--format", "json").json()
    assert status == {"records": 2, "events": 0, "customers": 1, "batches": 1, "rejects": 1,
                      "by_channel": {"survey": 2}}

    rejects = cli("rejects", "--workspace", workspace, "--batch", "last", "--format", "json").json()
    assert rejects["rejects"] == [{"batch_id": data["batch_id"], "file": str(path), "row": 3, "field": "nps",
                                   "reason": "nps: 12 is outside the scale 0–10",
                                   "raw": {"手机": "15000003333", "邮箱": "b@x.cn", "内容": "还可以", "打分": "12",
                                           "时间": "2026-09-03 09:00"}}]

    shown = cli("customers", "show", "150 0000 2222", "--workspace", workspace, "--format", "json").json()
    assert shown["records"] == 2
    assert {"type": "email", "value": "a@x.cn"} in shown["identifiers"]
    assert {"type": "phone", "value": "15000001111"} in shown["identifiers"]
    assert shown == cli("customers", "show", shown["customer_id"], "-w", workspace, "--format", "json").json()


def test_csv_and_table_output(cli, workspace, tmp_path) -> None:
    cli("ingest", _survey(tmp_path / "s.csv"), *ADHOC, "-w", workspace)
    out = cli("status", "-w", workspace, "--format", "csv")
    assert out.code == 0 and out.stdout.splitlines()[0] == "key,value"
    table = cli("status", "-w", workspace)
    assert "records" in table.stdout and table.code == 0


def test_missing_column_exact_error(cli, workspace, tmp_path) -> None:
    path = _survey(tmp_path / "s.csv")
    result = cli("ingest", path, "--channel", "survey", "--map", "text=评价内容", "-w", workspace)
    assert result.code == 3 and result.stdout == ""
    assert result.stderr == (f"error: {path}: column '评价内容' (mapped to text) not found; "
                             "columns are: 手机, 邮箱, 内容, 打分, 时间\n")
    result = cli("ingest", path, "--channel", "survey", "--map", "text=评价内容", "-w", workspace, "--format", "json")
    assert result.code == 3 and result.stdout == ""
    assert json.loads(result.stderr) == {"error": {
        "code": "input", "message": f"{path}: column '评价内容' (mapped to text) not found; "
        "columns are: 手机, 邮箱, 内容, 打分, 时间", "file": str(path), "row": None, "field": "评价内容"}}
    assert cli("status", "-w", workspace, "--format", "json").json()["batches"] == 0


def test_unreadable_encoding_exact_error(cli, workspace, tmp_path) -> None:
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\xfftext\n\x81\x30\xff\n")
    result = cli("ingest", path, "--channel", "chat", "--map", "text=text", "-w", workspace)
    assert result.code == 3 and result.stdout == ""
    assert result.stderr == (f"error: {path}: unreadable encoding: not UTF-8 (byte 0xff at offset 0) nor GB18030 "
                             "(byte 0xff at offset 0); pass --encoding\n")
    result = cli("ingest", path, "--channel", "chat", "--map", "text=text", "--encoding", "klingon", "-w", workspace)
    assert result.code == 3
    assert result.stderr == f"error: {path}: unknown encoding 'klingon'; use auto, utf-8, utf-8-sig, gbk or gb18030\n"


def test_usage_and_workspace_errors(cli, workspace, tmp_path) -> None:
    assert cli("ingest", tmp_path / "x.csv", "-w", workspace).code == 2
    bad_map = cli("ingest", tmp_path / "x.csv", "--channel", "c", "--map", "colour=x", "-w", workspace)
    assert bad_map.code == 2 and "unknown field 'colour'" in bad_map.stderr
    missing = cli("status", "-w", tmp_path / "nowhere", "--format", "json")
    assert missing.code == 4 and json.loads(missing.stderr)["error"]["code"] == "workspace"
    assert cli("ingest", tmp_path / "none.csv", "--channel", "c", "--map", "text=t", "-w", workspace).code == 3
    unknown = cli("ingest", tmp_path / "none.csv", "--source", "nosuch", "-w", workspace)
    assert unknown.code == 2 and "no source profile 'nosuch'" in unknown.stderr


def test_locked_and_newer_workspace(cli, workspace, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CXLOOP_LOCK_WAIT", "0.3")  # a holder that never lets go: give up after 0.3 s
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(30)", str(workspace / "cxloop.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        locked = cli("status", "-w", workspace)
        assert locked.code == 4 and "locked by another process" in locked.stderr
    finally:
        holder.kill()
        holder.wait()
    con = duckdb.connect(str(workspace / "cxloop.duckdb"))
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')")
    con.close()
    newer = cli("status", "-w", workspace)
    assert newer.code == 4 and "newer than this cxloop supports" in newer.stderr


def test_profile_from_config(cli, workspace, tmp_path) -> None:
    config = workspace / "cxloop.toml"
    config.write_text(config.read_text(encoding="utf-8") + """
[sources.hotline]
channel = "hotline"
kind = "call"
[sources.hotline.map]
text = "内容"
occurred_at = "时间"
phone = "手机"
""", encoding="utf-8")
    result = cli("ingest", _survey(tmp_path / "h.csv"), "--source", "hotline", "-w", workspace, "--format", "json")
    assert result.code == 0 and result.json()["inserted"] == 3
    assert cli("status", "-w", workspace, "--format", "json").json()["by_channel"] == {"hotline": 3}


def _big_csv(path: Path, rows: int) -> Path:
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT '138' || lpad(CAST(i % 50000 AS VARCHAR), 8, '0') AS phone,
        'text ' || i AS text, CAST(i % 11 AS VARCHAR) AS nps, '2026-10-01 10:00' AS at
        FROM range({rows}) t(i)) TO '{path}' (HEADER)""")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_ingest_leaves_workspace_unchanged(workspace, tmp_path, sig) -> None:
    """Kill an ingest mid-batch at several moments: the workspace holds all of the batch or none of it."""
    big = _big_csv(tmp_path / "big.csv", 300_000)
    args = [sys.executable, "-m", "cxloop.cli.main", "ingest", str(big), "--channel", "survey", "--map", "phone=phone",
            "--map", "text=text", "--map", "nps=nps", "--map", "occurred_at=at", "-w", str(workspace)]
    seen_partial = []
    for delay in (0.8, 1.6, 2.4):
        # a test run started in the background inherits SIGINT ignored: give the child the default back
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy(),
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        time.sleep(delay)
        proc.send_signal(sig)
        proc.wait(timeout=120)
        con = duckdb.connect(str(workspace / "cxloop.duckdb"))
        records, batches, customers = con.execute(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM ingest_batches), "
            "(SELECT count(*) FROM customers)").fetchall()[0]
        con.close()
        assert records in (0, 300_000)
        if records == 0:
            assert (batches, customers) == (0, 0)
        else:
            assert batches >= 1 and customers > 0
        seen_partial.append(records)
    assert 0 in seen_partial, "the ingest always finished before the kill; use a bigger file"
