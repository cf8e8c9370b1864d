"""`cxloop demo`: generate + ingest a small demo; counts, rejects and identity truths hold in the workspace."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

RECORDS = "3000"


@pytest.mark.slow
def test_demo_ingests_every_channel_with_rejects_and_identity_truths(cli, tmp_path: Path) -> None:
    ws = tmp_path / "demo-ws"
    result = cli("demo", ws, "--records", RECORDS, "--seed", "7", "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    truth_path = tmp_path / "ground_truth.json"
    assert data["ground_truth"] == str(truth_path)
    assert not (ws / "ground_truth.json").exists()
    truth = json.loads(truth_path.read_text(encoding="utf-8"))

    status = data["summary"]["status"]
    channels = {"hotline", "chat", "ecommerce_review", "wechat", "app", "survey", "social", "field_service"}
    assert set(status["by_channel"]) == channels
    assert all(n > 0 for n in status["by_channel"].values())
    assert status["events"] > status["records"] > 0
    assert status["rejects"] > 0
    assert sum(c["rejected"] for c in data["ingest"].values()) == sum(
        f["expected_rejects"] for f in truth["files"].values())
    for source, counts in data["ingest"].items():
        expected = truth["files"][source]
        assert counts["rows_read"] == expected["rows"], source
        assert counts["rejected"] == expected["expected_rejects"], source
        if not source.endswith("_events"):
            assert counts["unchanged"] == expected["duplicates"], source

    pair = truth["two_phone_customers"][0]
    shown = cli("customers", "show", pair["phones"][0], "--workspace", ws, "--format", "json")
    assert shown.code == 0, shown.stderr
    values = {i["value"] for i in shown.json()["identifiers"]}
    assert {pair["phones"][1], pair["email"]} <= values

    repeat = truth["repeat_contacts"][0]
    shown = cli("customers", "show", repeat["phone"], "--workspace", ws, "--format", "json").json()
    assert shown["records"] >= repeat["contacts"] >= 5

    con = duckdb.connect(str(ws / "cxloop.duckdb"), read_only=True)
    try:
        blocked = {v for (v,) in con.execute("SELECT value FROM identity_blocklist WHERE id_type = 'phone'").fetchall()}
    finally:
        con.close()
    assert truth["switchboard"]["normalized"] in blocked


def test_demo_without_ingest_writes_files_profiles_and_truth(cli, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    result = cli("demo", ws, "--records", "2000", "--seed", "3", "--no-ingest", "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["ingest"] == {}
    assert data["summary"]["status"]["records"] == 0
    assert len(list((ws / "imports").iterdir())) == 13
    config = (ws / "cxloop.toml").read_text(encoding="utf-8")
    assert "[sources.hotline]" in config and 'encoding = "gbk"' in config
    assert (tmp_path / "ground_truth.json").is_file()

    again = cli("demo", ws, "--records", "2000", "--no-ingest", "--format", "json")
    assert again.code == 4
    assert again.stdout == ""
    assert "already exists; pass --force" in json.loads(again.stderr)["error"]["message"]
    forced = cli("demo", ws, "--records", "2000", "--seed", "3", "--no-ingest", "--force", "--format", "json")
    assert forced.code == 0, forced.stderr


def test_demo_refuses_to_delete_a_folder_that_is_not_a_workspace(cli, tmp_path: Path) -> None:
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me", encoding="utf-8")
    result = cli("demo", folder, "--records", "2000", "--force")
    assert result.code == 4
    assert "not a cxloop workspace; refusing to delete it" in result.stderr
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_demo_rejects_too_few_records(cli, tmp_path: Path) -> None:
    result = cli("demo", tmp_path / "ws", "--records", "5", "--no-ingest")
    assert result.code == 2
    assert result.stderr.strip() == "error: --records must be at least 2000 (got 5)"
