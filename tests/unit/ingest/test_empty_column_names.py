"""A blank header cell or an empty JSON key names its column `column_<position>` instead of failing."""

from __future__ import annotations

from pathlib import Path


def test_blank_column_names_are_named_by_position(cli, workspace: Path, tmp_path: Path) -> None:
    csv_file = tmp_path / "blank.csv"
    csv_file.write_text("text,,at\nhello,x,2026-09-01\n", encoding="utf-8")
    jsonl = tmp_path / "blank.jsonl"
    jsonl.write_text('{"text": "hi", "": "y", "at": "2026-09-02"}\n', encoding="utf-8")
    for path in (csv_file, jsonl):
        out = cli("ingest", path, "--channel", "c", "--map", "text=text", "--map", "occurred_at=at",
                  "--map", "region=column_2", "-w", workspace, "--format", "json")
        assert out.code == 0, out.stderr
        assert out.json()["inserted"] == 1
    status = cli("status", "-w", workspace, "--format", "json").json()
    assert status["records"] == 2


def test_empty_json_objects_are_rejected_rows(cli, workspace: Path, tmp_path: Path) -> None:
    mixed = tmp_path / "empty.jsonl"
    mixed.write_text('{}\n{"text": "ok", "at": "2026-09-01", "a\\u0000b": 1}\n', encoding="utf-8")
    out = cli("ingest", mixed, "--channel", "c", "--map", "text=text", "--map", "occurred_at=at", "-w", workspace,
              "--format", "json")
    assert out.code == 0, out.stderr
    assert (out.json()["rows_read"], out.json()["inserted"], out.json()["rejected"]) == (2, 1, 1)
    reasons = {r["reason"] for r in cli("rejects", "-w", workspace, "--format", "json").json()["rejects"]}
    assert any("empty JSON object" in r for r in reasons)
