"""The Spark ingest task's batch function (`stage_file`) stages a file exactly as the embedded ingest writes
it: the same ids, hashes, values, raw rows and rejects (no Spark needed: it is plain Arrow and DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from cxloop.app import Workspace
from cxloop.app.ingest_service import ingest, plan_context
from cxloop.config import SourceProfile
from cxloop.ingest.staging import STAGED_SCHEMA, StageRecipe, local_name, stage_file, stage_mapper

PROFILE = SourceProfile(channel="survey", kind="survey_response", timezone="Europe/Berlin",
                        map={"phone": "tel", "email": "mail", "text": "text", "nps": "nps", "occurred_at": "at"})
LINES = [
    "tel,mail,text,nps,at,extra",
    "+86 138 0013 8000,A@X.com,很好,9,2026-10-01 10:00,x",
    "13800138000,,差 \x07,2,2026年10月2日 10:00,",
    "1,bad,,11,someday,y",                          # two problems: one reject
    "13900000000,b@x.com,ok,７,2026/10/03 08:00,z",  # full-width digit
    "13900000000,b@x.com,ok,７,2026/10/03 08:00,z",  # the same row again
    "13700000000,c@x.com,third,5,2026-10-04,w,surplus",  # too many fields: a connector reject
]


def test_stage_file_matches_the_embedded_ingest(tmp_path: Path, workspace: Path) -> None:
    export = tmp_path / "s.csv"
    export.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    with Workspace.open(workspace) as ws:
        counts = ingest(ws, export, source="s", profile=PROFILE)
        recipe = StageRecipe(plan_context(ws, "s", PROFILE), PROFILE, counts["batch_id"])
        stored = ws.con.execute(
            "SELECT record_id, row_hash, occurred_at, phone, email, text, nps, CAST(attributes AS VARCHAR), "
            "CAST(raw AS VARCHAR) FROM records ORDER BY seq").fetchall()
        rejects = ws.con.execute("SELECT reject_id, row, field, reason, CAST(raw AS VARCHAR) FROM rejects "
                                 "ORDER BY row").fetchall()
    staged = stage_file(export, str(export), 0, recipe)
    assert staged.schema == STAGED_SCHEMA
    parts = staged.column("part").to_pylist()
    assert parts.count("file") == 1 and "error" not in parts
    rows = staged.filter(pa.compute.equal(staged.column("part"), "row")).to_pylist()
    last = {r["id"]: r for r in rows}  # the last row of an id is the one written
    got = sorted((r["id"], r["row_hash"], r["occurred_at"], r["phone"], r["email"], r["text"], r["nps"],
                  r["attributes"], r["raw"]) for r in last.values())
    assert got == sorted(stored) and len(stored) == 3
    bad = staged.filter(pa.compute.equal(staged.column("part"), "reject")).to_pylist()
    got_rejects = [(r["reject_id"], r["row_number"], r["field"], r["reason"], r["raw"]) for r in bad]
    assert sorted(got_rejects, key=lambda r: r[1]) == rejects and len(rejects) == 2
    summary = staged.filter(pa.compute.equal(staged.column("part"), "file")).to_pylist()[0]
    assert summary["rows_read"] == counts["rows_read"] == 6


def test_a_file_that_cannot_be_mapped_is_one_error_row(tmp_path: Path, workspace: Path) -> None:
    export = tmp_path / "x.csv"
    export.write_text("a,b\n1,2\n", encoding="utf-8")
    with Workspace.open(workspace) as ws:
        recipe = StageRecipe(plan_context(ws, "s", PROFILE), PROFILE, "b1")
    staged = stage_file(export, "x.csv", 3, recipe)
    assert staged.column("part").to_pylist() == ["error"]
    assert "column 'tel' (mapped to phone) not found" in staged.column("reason")[0].as_py()
    assert staged.column("file_no").to_pylist() == [3]


def test_the_mapper_stages_binary_file_rows(tmp_path: Path, workspace: Path) -> None:
    export = tmp_path / "s.csv"
    export.write_text("\n".join(LINES[:3]) + "\n", encoding="utf-8")
    with Workspace.open(workspace) as ws:
        recipe = StageRecipe(plan_context(ws, "s", PROFILE), PROFILE, "b1")
    uri = f"file:{export}"
    batch = pa.record_batch({"path": [uri], "content": [export.read_bytes()]})
    out = pa.Table.from_batches(list(stage_mapper(recipe, {uri: 7}, chunk=1)([batch])))
    assert out.num_rows == 3 and set(out.column("file_no").to_pylist()) == {7}
    assert set(out.column("file").to_pylist()) == {str(export)} == {local_name(uri)}
