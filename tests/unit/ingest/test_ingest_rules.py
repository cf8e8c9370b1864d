"""Reject reasons, time zones, idempotent re-ingest, updates by source key, routing to events."""

from __future__ import annotations

from pathlib import Path

from cxloop.app import Workspace
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile


def _csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SURVEY = SourceProfile(channel="survey", kind="survey_response",
                       map={"phone": "phone", "text": "text", "nps": "nps", "csat": "csat", "ces": "ces",
                            "rating": "rating", "occurred_at": "at", "duration_seconds": "dur"})


def test_every_reject_reason(tmp_path: Path, workspace: Path) -> None:
    path = _csv(tmp_path / "r.csv", [
        "phone,text,nps,csat,ces,rating,at,dur",
        "1,ok,9,,,,2026-10-01 10:00,",           # 1 fine
        "2,ok,11,,,,2026-10-01 10:00,",          # 2 nps out of scale
        "3,ok,7.5,,,,2026-10-01 10:00,",         # 3 nps not an integer
        "4,ok,x,,,,2026-10-01 10:00,",           # 4 nps not a number
        "5,ok,,0,,,2026-10-01 10:00,",           # 5 csat below 1
        "6,ok,,,8,,2026-10-01 10:00,",           # 6 ces above 7
        "7,ok,,,,6,2026-10-01 10:00,",           # 7 rating above 5
        "8,ok,5,,,,,",                           # 8 occurred_at missing
        "9,ok,5,,,,yesterday,",                  # 9 occurred_at unparseable
        "10,,,,,,2026-10-01 10:00,",             # 10 nothing to keep
        "11,ok,5,,,,2026-10-01 10:00,abc",       # 11 duration not a number
        "12,,12,,,,someday,",                    # 12 two bad fields, one reject
    ])
    with Workspace.open(workspace) as ws:
        result = ingest(ws, path, source="s", profile=SURVEY)
        rejects = ws.con.execute("SELECT row, field, reason FROM rejects ORDER BY row").fetchall()
    assert (result["inserted"], result["rejected"]) == (1, 11)
    fields = {row: field for row, field, _ in rejects}
    assert fields == {2: "nps", 3: "nps", 4: "nps", 5: "csat", 6: "ces", 7: "rating", 8: "occurred_at",
                      9: "occurred_at", 10: "text", 11: "duration_seconds", 12: "occurred_at,nps"}
    reasons = {row: reason for row, _, reason in rejects}
    assert reasons[2] == "nps: 11 is outside the scale 0–10"
    assert reasons[8] == "occurred_at: missing"
    assert reasons[9].startswith("occurred_at: cannot parse yesterday as a date/time")
    assert reasons[10] == "text: row has no text, score or event type"
    assert "nps: 12 is outside the scale 0–10" in reasons[12] and "occurred_at" in reasons[12]


def test_profile_scale_and_default_time(tmp_path: Path, workspace: Path) -> None:
    path = _csv(tmp_path / "s.csv", ["text,rating,at", "great,9,", "bad,11,2026-10-02"])
    profile = SourceProfile(channel="app", map={"text": "text", "rating": "rating", "occurred_at": "at"},
                            scales={"rating": (1, 10)}, defaults={"occurred_at": "2026-10-01"})
    with Workspace.open(workspace) as ws:
        result = ingest(ws, path, source="app", profile=profile)
        stored = ws.con.execute("SELECT rating, CAST(occurred_at AS VARCHAR) FROM records").fetchall()
    assert (result["inserted"], result["rejected"]) == (1, 1)
    assert stored == [(9.0, "2026-09-30 16:00:00")]


def test_times_respect_offsets_and_source_timezone(tmp_path: Path, workspace: Path) -> None:
    path = _csv(tmp_path / "t.csv", ["text,at", "a,2026-10-01T10:00:00+02:00", "b,2026-10-01T10:00:00Z",
                                     "c,20261003", "d,2026-10-01 10:00"])
    profile = SourceProfile(channel="chat", map={"text": "text", "occurred_at": "at"}, timezone="Europe/Berlin")
    with Workspace.open(workspace) as ws:
        ingest(ws, path, source="chat", profile=profile)
        got = [t for (t,) in ws.con.execute("SELECT CAST(occurred_at AS VARCHAR) FROM records ORDER BY seq").fetchall()]
    assert got == ["2026-10-01 08:00:00", "2026-10-01 10:00:00", "2026-10-02 22:00:00", "2026-10-01 08:00:00"]


def test_reingest_adds_nothing_and_keeps_rejects_once(tmp_path: Path, workspace: Path) -> None:
    path = _csv(tmp_path / "a.csv", ["phone,text,nps,at", "1,a,9,2026-10-01", "2,b,99,2026-10-01",
                                     "1,a,9,2026-10-01"])
    profile = SourceProfile(channel="survey", map={"phone": "phone", "text": "text", "nps": "nps", "occurred_at": "at"})
    with Workspace.open(workspace) as ws:
        first = ingest(ws, path, source="s", profile=profile)
        second = ingest(ws, path, source="s", profile=profile)
        n_rejects = ws.con.execute("SELECT count(*) FROM rejects").fetchall()[0][0]
        n_records = ws.con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    assert {k: first[k] for k in ("inserted", "unchanged", "rejected")} == {
        "inserted": 1, "unchanged": 1, "rejected": 1}
    assert {k: second[k] for k in ("inserted", "updated", "unchanged", "rejected")} == {
        "inserted": 0, "updated": 0, "unchanged": 2, "rejected": 1}
    assert (n_rejects, n_records) == (1, 1)


def test_source_key_updates_in_place(tmp_path: Path, workspace: Path) -> None:
    profile = SourceProfile(channel="hotline", map={"source_key": "id", "text": "text", "occurred_at": "at"})
    with Workspace.open(workspace) as ws:
        ingest(ws, _csv(tmp_path / "v1.csv", ["id,text,at", "T1,open,2026-10-01", "T2,x,2026-10-01"]),
               source="h", profile=profile)
        before = ws.con.execute("SELECT record_id FROM records WHERE source_key = 'T1'").fetchall()
        result = ingest(ws, _csv(tmp_path / "v2.csv", ["id,text,at", "T1,closed,2026-10-01", "T2,x,2026-10-01"]),
                        source="h", profile=profile)
        after = ws.con.execute("SELECT record_id, text FROM records WHERE source_key = 'T1'").fetchall()
    assert (result["inserted"], result["updated"], result["unchanged"]) == (0, 1, 1)
    assert after == [(before[0][0], "closed")]


def test_events_are_routed_and_keep_identical_rows(tmp_path: Path, workspace: Path) -> None:
    path = _csv(tmp_path / "log.csv", ["case,act,at,node", "c1,ivr_start,2026-10-01 10:00,",
                                       "c1,ivr_node,2026-10-01 10:01,N1", "c1,ivr_node,2026-10-01 10:01,N1"])
    profile = SourceProfile(channel="ivr", kind="event",
                            map={"session_id": "case", "event_type": "act", "occurred_at": "at"})
    with Workspace.open(workspace) as ws:
        first = ingest(ws, path, source="ivr", profile=profile)
        second = ingest(ws, path, source="ivr", profile=profile)
        events = ws.con.execute(
            "SELECT event_type, seq, attributes->>'node' FROM events ORDER BY seq").fetchall()
        records = ws.con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    assert first["inserted"] == 3 and second["unchanged"] == 3
    assert events == [("ivr_start", 0, None), ("ivr_node", 1, "N1"), ("ivr_node", 2, "N1")]
    assert records == 0


def test_hashed_identifiers_in_columns_and_raw(tmp_path: Path, workspace: Path) -> None:
    config = workspace / "cxloop.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("hash_identifiers = false", "hash_identifiers = true"),
                      encoding="utf-8")
    path = _csv(tmp_path / "h.csv", ["phone,text,at", "+86 138-0000-0001,hi,2026-10-01",
                                     "13800000001,again,2026-10-02"])
    profile = SourceProfile(channel="chat", map={"phone": "phone", "text": "text", "occurred_at": "at"})
    with Workspace.open(workspace) as ws:
        ingest(ws, path, source="chat", profile=profile)
        rows = ws.con.execute("SELECT phone, raw->>'phone', customer_id FROM records ORDER BY seq").fetchall()
        from cxloop.app.customers_service import show_customer

        shown = show_customer(ws, "138 0000 0001")
    assert rows[0][0].startswith("h:") and len(rows[0][0]) == 66
    assert rows[0][0] == rows[0][1] == rows[1][0]
    assert "13800000001" not in str(rows)
    assert rows[0][2] == rows[1][2] == shown["customer_id"] and shown["records"] == 2


def test_identical_bad_rows_are_each_a_reject_once(tmp_path: Path, workspace: Path) -> None:
    path = _csv(tmp_path / "dup.csv", ["phone,text,nps,at", "1,a,99,2026-10-01", "1,a,99,2026-10-01",
                                       ",,,", ",,,", "2,b,5,2026-10-01"])
    profile = SourceProfile(channel="survey", map={"phone": "phone", "text": "text", "nps": "nps", "occurred_at": "at"})
    with Workspace.open(workspace) as ws:
        first = ingest(ws, path, source="s", profile=profile)
        second = ingest(ws, path, source="s", profile=profile)
        rows = ws.con.execute("SELECT row FROM rejects ORDER BY row").fetchall()
    assert first["rejected"] == second["rejected"] == 4
    assert rows == [(1,), (2,), (3,), (4,)]


def test_xes_log_needs_no_profile(tmp_path: Path, workspace: Path) -> None:
    path = tmp_path / "mini.xes"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0"><trace><string key="concept:name" value="case1"/>
<event><string key="concept:name" value="Register"/><string key="lifecycle:transition" value="complete"/>
<date key="time:timestamp" value="2026-10-01T10:00:00.000+02:00"/><string key="org:resource" value="ann"/></event>
<event><string key="concept:name" value="Register"/><string key="lifecycle:transition" value="complete"/>
<date key="time:timestamp" value="2026-10-01T10:00:00.000+02:00"/><string key="org:resource" value="ann"/></event>
</trace></log>""", encoding="utf-8")
    with Workspace.open(workspace) as ws:
        first = ingest(ws, path)
        second = ingest(ws, path)
        rows = ws.con.execute("SELECT source, session_id, event_type, agent_id, CAST(occurred_at AS VARCHAR), "
                              "attributes->>'lifecycle:transition' FROM events ORDER BY seq").fetchall()
    assert first["inserted"] == 2 and second["unchanged"] == 2
    assert rows == [("mini", "case1", "Register", "ann", "2026-10-01 08:00:00", "complete")] * 2
