"""The journeys CLI end to end: ingest an event log through `cxloop ingest`, then query it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

CXLOOP = [sys.executable, "-c", "from cxloop.cli.main import main; main()"]


def cx(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CXLOOP, *args], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("journeys_cli")
    log = folder / "log.csv"
    rows = [  # case, activity, time, lifecycle, phone
        ("k1", "register", "2026-09-01 10:00:00", "complete", "13900000001"),
        ("k1", "check", "2026-09-01 10:05:00", "start", "13900000001"),
        ("k1", "check", "2026-09-01 10:10:00", "complete", "13900000001"),
        ("k1", "close", "2026-09-01 10:10:00", "complete", "13900000001"),  # tie: file order
        ("k2", "register", "2026-09-01 11:00:00", "complete", "13900000002"),
        ("k2", "close", "2026-09-01 11:30:00", "complete", "13900000002"),
    ]
    with log.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case", "activity", "time", "lifecycle:transition", "phone"])
        writer.writerows(rows)
    root = folder / "ws"
    assert cx("init", str(root)).returncode == 0
    done = cx("ingest", str(log), "--source", "log", "--kind", "event", "--channel", "web",
              "--map", "session_id=case", "--map", "event_type=activity", "--map", "occurred_at=time",
              "--map", "phone=phone", "--workspace", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["inserted"] == 6
    return root


def test_flows_json(ws: Path) -> None:
    out = cx("journeys", "flows", "--by", "event_type", "--workspace", str(ws), "--format", "json")
    assert out.returncode == 0, out.stderr
    edges = {(e["from"], e["to"]): (e["count"], e["median_seconds"]) for e in json.loads(out.stdout)["edges"]}
    assert edges == {("register", "check"): (1, 300.0), ("check", "check"): (1, 300.0),
                     ("check", "close"): (1, 0.0), ("register", "close"): (1, 1800.0)}


def test_flows_lifecycle_filter(ws: Path) -> None:
    out = cx("journeys", "flows", "--lifecycle", "complete", "--workspace", str(ws), "--format", "json")
    edges = {(e["from"], e["to"]): e["count"] for e in json.loads(out.stdout)["edges"]}
    assert edges == {("register", "check"): 1, ("check", "close"): 1, ("register", "close"): 1}


def test_variants_json(ws: Path) -> None:
    out = cx("journeys", "variants", "--top", "20", "--workspace", str(ws), "--format", "json")
    data = json.loads(out.stdout)
    assert data["variants"] == [
        {"path": ["register", "check", "check", "close"], "count": 1, "share": 50.0},
        {"path": ["register", "close"], "count": 1, "share": 50.0},
    ]


def test_timeline_json(ws: Path) -> None:
    out = cx("customers", "timeline", "139 0000 0002", "--workspace", str(ws), "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [i["event_type"] for i in data["items"]] == ["register", "close"]
    assert data["items"][0]["channel"] == "web"


def test_other_commands_print_one_json_document(ws: Path) -> None:
    for command in ("map", "episodes", "worst", "ivr", "switching"):
        out = cx("journeys", command, "--workspace", str(ws), "--format", "json")
        assert out.returncode == 0, (command, out.stderr)
        assert isinstance(json.loads(out.stdout), dict)


def test_errors_exit_codes(ws: Path) -> None:
    bad = cx("journeys", "flows", "--by", "agent", "--workspace", str(ws), "--format", "json")
    assert bad.returncode == 2 and bad.stdout == ""
    assert "unknown flow dimension 'agent'" in json.loads(bad.stderr)["error"]["message"]
    missing = cx("customers", "timeline", "nobody@example.com", "--workspace", str(ws), "--format", "json")
    assert missing.returncode == 3 and json.loads(missing.stderr)["error"]["code"] == "not_found"
    nows = cx("journeys", "flows", "--workspace", str(ws.parent / "nope"))
    assert nows.returncode == 4


def test_log_file_directly_equals_workspace(ws: Path) -> None:
    """`--log FILE` reads the same log without a workspace and gives the workspace's flows and variants."""
    log = ws.parent / "log.csv"
    renamed = ws.parent / "renamed.csv"
    lines = log.read_text(encoding="utf-8").splitlines()
    renamed.write_text("\n".join(["case,act,ts,lifecycle:transition,phone", *lines[1:]]) + "\n", encoding="utf-8")
    for command in ("flows", "variants"):
        base = ("journeys", command, "--lifecycle", "complete", "--format", "json")
        want = json.loads(cx(*base, "--workspace", str(ws)).stdout)
        got = cx(*base, "--log", str(renamed), "--case", "case", "--activity", "act", "--timestamp", "ts")
        assert got.returncode == 0, got.stderr
        data = json.loads(got.stdout)
        assert data["per"] == "case"
        key = "edges" if command == "flows" else "variants"
        assert data[key] == want[key] and data[key]


def test_log_file_errors(ws: Path) -> None:
    missing = cx("journeys", "flows", "--log", str(ws.parent / "log.csv"), "--case", "nope", "--format", "json")
    assert missing.returncode == 3 and missing.stdout == ""
    error = json.loads(missing.stderr)["error"]
    assert error["field"] == "nope" and "no column 'nope'" in error["message"]
    by = cx("journeys", "flows", "--log", str(ws.parent / "log.csv"), "--by", "channel")
    assert by.returncode == 2
    absent = cx("journeys", "variants", "--log", str(ws.parent / "absent.csv"), "--format", "json")
    assert absent.returncode == 3 and json.loads(absent.stderr)["error"]["code"] == "input"


def test_closed_pipe_is_quiet(tmp_path: Path) -> None:
    """`cxloop ... | head`: when the reader goes away, no error line and the shell's SIGPIPE status 141."""
    log = tmp_path / "many.csv"
    with log.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["case:concept:name", "concept:name", "time:timestamp"])
        writer.writerows((f"c{i // 400}", f"activity {i * 7919 % 400:03d}", f"2026-09-01 10:{i % 60:02d}:00")
                         for i in range(40_000))
    proc = subprocess.Popen([*CXLOOP, "journeys", "flows", "--log", str(log), "--format", "csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"from,to,count")
    proc.stdout.close()  # the reader goes away with most of the output unread
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "error" not in err.lower()
