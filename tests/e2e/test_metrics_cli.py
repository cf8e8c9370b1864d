"""The metrics CLI contracts: exact JSON shapes, grains, filters, errors and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

SURVEY = ["--channel", "survey", "--kind", "survey_response", "--map", "phone=phone", "--map", "nps=score",
          "--map", "occurred_at=time", "--map", "product=product", "--map", "text=comment"]


def _survey(path: Path) -> Path:
    rows = ["phone,score,time,product,comment"]
    scores = [10, 9, 3, 8, 10, 0, 9, 7]
    for i, s in enumerate(scores):  # Jan: first 4, Feb: last 4 (Asia/Shanghai local times)
        month = "01" if i < 4 else "02"
        rows.append(f"1500000{i:04d},{s},2026-{month}-1{i} 10:00,{'X1' if i % 2 else 'X2'},ok")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def loaded(cli, workspace, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    result = cli("ingest", _survey(tmp_path / "s.csv"), *SURVEY, "--workspace", workspace, "--format", "json")
    assert result.code == 0, result.stderr
    return workspace


def test_metrics_nps_json_contract(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "nps", "--by", "month,product", "--workspace", loaded, "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["metric"] == "nps"
    first = data["rows"][0]
    assert list(first)[:7] == ["month", "product", "value", "n", "ci_low", "ci_high", "low_n"]
    # January: X2 gets 10 and 3 -> 0; X1 gets 9 and 8 -> 50
    jan = {r["product"]: r for r in data["rows"] if r["month"] == "2026-01-01"}
    assert (jan["X1"]["n"], jan["X1"]["value"], jan["X2"]["value"]) == (2, 50.0, 0.0)
    assert all(r["low_n"] for r in data["rows"])


def test_metrics_where_since_compare(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "nps", "--where", "product=X1", "--since", "2026-02-01", "--asof", "2026-02-28",
                 "--compare", "previous",
                 "--workspace", loaded, "--format", "json")
    assert result.code == 0, result.stderr
    (row,) = result.json()["rows"]
    # February X1: 0 and 7 -> -50; previous window of equal length holds X1's 9 and 8 -> 50
    assert (row["n"], row["value"], row["prev_value"], row["delta"]) == (2, -50.0, 50.0, -100.0)
    assert set(row) >= {"p_value", "significant"}


def test_metrics_grain_option_and_csv(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "nps", "--grain", "quarter", "--workspace", loaded, "--format", "csv")
    assert result.code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("quarter,value,n,ci_low,ci_high,low_n")
    assert lines[1].startswith("2026-01-01,25,8,")


def test_metrics_usage_errors(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    result = cli("metrics", "happiness", "--workspace", loaded, "--format", "json")
    assert result.code == 2
    assert "unknown metric 'happiness'" in result.stderr
    result = cli("metrics", "nps", "--by", "colour", "--workspace", loaded)
    assert result.code == 2
    assert result.stderr.startswith("error: --by 'colour' is not a dimension; use one of: day, week")


def test_painpoints_without_enrichments_says_so(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    result = cli("painpoints", "--since", "30d", "--workspace", loaded, "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["painpoints"] == []
    assert any("no enrichments" in n for n in data["notes"])
    drivers = cli("drivers", "--target", "nps", "--workspace", loaded, "--format", "json").json()
    assert drivers["n"] == 8 and drivers["drivers"][0]["level"] == "(none)"
    emerging = cli("emerging", "--workspace", loaded, "--format", "json").json()
    assert emerging["issues"] == []


def test_export_parquet_is_reused_while_current(cli, loaded, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pq"
    first = cli("export", "parquet", out, "--workspace", loaded, "--format", "json").json()
    assert first["tables"]["records"] == {"rows": 8, "reused": False, "path": str(out / "records")}
    assert sorted(p.name for p in (out / "records").iterdir()) == ["month=2026-01", "month=2026-02"]
    again = cli("export", "parquet", out, "--workspace", loaded, "--format", "json").json()
    assert again["reused"] is True


def test_facts_refresh_json_and_reuse(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    first = cli("facts", "refresh", "--workspace", loaded, "--format", "json")
    assert first.code == 0, first.stderr
    data = first.json()
    assert (data["table"], data["rows"], data["reused"]) == ("metrics_topic_facts", 0, False)
    again = cli("facts", "refresh", "--workspace", loaded, "--format", "json")
    assert again.json()["reused"] is True
    forced = cli("facts", "refresh", "--force", "--workspace", loaded, "--format", "json")
    assert forced.json()["reused"] is False
    result = cli("painpoints", "--since", "30d", "--workspace", loaded, "--format", "json")
    assert result.code == 0 and result.json()["painpoints"] == []


def test_painpoints_over_all_data_with_the_nps_score_and_detractor_verbatims(cli, loaded) -> None:  # type: ignore[no-untyped-def]
    import duckdb

    con = duckdb.connect(str(loaded / "cxloop.duckdb"))
    try:  # two answers (scores 3 and 0) mention 'wait'; the other six have no topic
        con.execute("INSERT INTO taxonomy (topic_id, name_zh, name_en, owner_department) "
                    "VALUES ('wait', '等待', 'Waiting', 'Service')")
        con.execute("INSERT INTO enrichments (record_id, row_hash, model_version, topic_id, sentiment, "
                    "sentiment_score, text_redacted, enriched_at) SELECT record_id, row_hash, 't', "
                    "CASE WHEN nps IN (0, 3) THEN 'wait' END, 'neg', -0.5, 'slow ' || nps, now() FROM records")
    finally:
        con.close()
    data = cli("painpoints", "--since", "all", "--workspace", loaded, "--format", "json").json()
    assert data["baseline"] == {"respondents": 8, "detractors": 2, "detractor_share": 0.25}
    assert [(p["topic"], p["product"]) for p in data["painpoints"]] == [("wait", "X1"), ("wait", "X2")]
    top = data["painpoints"][0]
    assert (top["respondents"], top["detractors"], top["trend"], top["trend_p"]) == (1, 1, None, None)
    assert top["nps_at_stake"] == pytest.approx(100 * (1 - 0.25) / 8)
    assert top["nps_at_stake_low"] == 0.0  # Wilson lower bound of 1 of 1 is 0.21 < 0.25
    texts = cli("painpoints", "--since", "all", "--topic", "wait", "--product", "X1", "--verbatims", "3",
                "--detractors", "--workspace", loaded, "--format", "json").json()["verbatims"]
    assert [v["text"] for v in texts] == ["slow 0"]
    emerging = cli("emerging", "--since", "all", "--workspace", loaded, "--format", "json")
    assert emerging.code == 0, emerging.stderr
    # five weeks of data: shorter than window + baseline, so the replay is the last day alone
    assert emerging.json()["issues"] == [] and emerging.json()["since"] == emerging.json()["asof"] == "2026-02-17"
