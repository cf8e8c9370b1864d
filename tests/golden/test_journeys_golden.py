"""Golden tests: a small hand-built multi-channel workspace whose journeys were worked out by hand.

Customer A (13800000001) contacts six times in three days about one problem (hotline, chat, hotline,
wecom, hotline, hotline; one transfer; resolved at the end), then answers a survey with NPS 2.
Customer B (...02) calls once (resolved), answers NPS 9 and abandons the IVR twice at node 2-1.
Customer C (...03) chats, then calls 19 days later (two episodes: the gap is 7 days), and has two IVR
calls (to agent; self-service). Customer D (...04): IVR to agent via 2-1, and one IVR call that hangs up
before any node. A also has an order and a delivery event.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from cxloop.app import Workspace
from cxloop.app import journeys_service as js
from cxloop.app.ingest_service import ingest
from cxloop.config import SourceProfile
from cxloop.errors import NotFound, UsageError

A, B, C, D = "13800000001", "13800000002", "13800000003", "13800000004"
CONTACTS = [
    (A, "2026-09-01 09:00", "hotline", "call", "屏幕闪烁", "unresolved", "c1"),
    (A, "2026-09-01 15:00", "chat", "message", "屏幕还是闪", "transferred", "c2"),
    (A, "2026-09-02 10:00", "hotline", "call", "屏幕闪烁没修好", "unresolved", "c3"),
    (A, "2026-09-02 18:00", "wecom", "message", "第四次了", "unresolved", "c4"),
    (A, "2026-09-03 09:00", "hotline", "call", "屏幕闪烁 投诉", "unresolved", "c5"),
    (A, "2026-09-04 09:00", "hotline", "call", "终于修好", "resolved", "c6"),
    (B, "2026-09-01 11:00", "hotline", "call", "怎么开发票", "resolved", "c7"),
    (C, "2026-09-01 08:00", "chat", "message", "物流慢", "resolved", "c8"),
    (C, "2026-09-20 08:00", "hotline", "call", "物流又慢", "resolved", "c9"),
]


def _ivr_events() -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []

    def call(sid: str, phone: str, minute: int, nodes: list[str], end: str) -> None:
        rows.append((sid, phone, f"2026-09-01 10:{minute:02d}:00", "ivr_start", ""))
        for i, node in enumerate(nodes):
            rows.append((sid, phone, f"2026-09-01 10:{minute:02d}:{10 * (i + 1):02d}", "ivr_node", node))
        rows.append((sid, phone, f"2026-09-01 10:{minute:02d}:50", end, ""))

    call("i1", B, 1, ["2", "2-1"], "ivr_abandon")
    call("i2", B, 2, ["2", "2-1"], "ivr_abandon")
    call("i3", C, 3, ["2", "2-2"], "ivr_to_agent")
    call("i4", C, 4, ["3", "3-1"], "ivr_selfservice_success")
    call("i5", D, 5, ["2", "2-1"], "ivr_to_agent")
    call("i6", D, 6, [], "ivr_abandon")
    return rows


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def build_workspace(folder: Path) -> Path:
    root = folder / "ws"
    with Workspace.init(root) as ws:
        ingest(ws, _write(folder / "contacts.csv", ["phone", "time", "channel", "kind", "text", "outcome",
                                                     "session"], CONTACTS),
               source="contacts", profile=SourceProfile(map={
                   "phone": "phone", "occurred_at": "time", "channel": "channel", "kind": "kind", "text": "text",
                   "outcome": "outcome", "session_id": "session"}))
        ingest(ws, _write(folder / "surveys.csv", ["phone", "time", "nps", "comment"],
                          [(B, "2026-09-02 12:00", "9", "很好"), (A, "2026-09-05 12:00", "2", "太差了")]),
               source="survey", profile=SourceProfile(channel="survey", kind="survey_response", map={
                   "phone": "phone", "occurred_at": "time", "nps": "nps", "text": "comment"}))
        events = [*_ivr_events(), ("o1", A, "2026-08-20 10:00:00", "order", ""),
                  ("o1", A, "2026-08-22 10:00:00", "delivery", "")]
        ingest(ws, _write(folder / "events.csv", ["session", "phone", "time", "event", "node"], events),
               source="ivr", profile=SourceProfile(channel="ivr", kind="event", map={
                   "phone": "phone", "occurred_at": "time", "event_type": "event", "session_id": "session"}))
    return root


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    root = build_workspace(tmp_path_factory.mktemp("journeys_golden"))
    with Workspace.open(root, read_only=True) as workspace:
        yield workspace


def test_event_flows_per_session(ws: Workspace) -> None:
    data = js.flows(ws, by="event_type")
    assert data["per"] == "session"
    edges = {(e["from"], e["to"]): (e["count"], e["median_seconds"]) for e in data["edges"]}
    assert edges == {
        ("ivr_start", "ivr_node"): (5, 10.0),
        ("ivr_node", "ivr_node"): (5, 10.0),
        ("ivr_node", "ivr_abandon"): (2, 30.0),
        ("ivr_node", "ivr_to_agent"): (2, 30.0),
        ("ivr_node", "ivr_selfservice_success"): (1, 30.0),
        ("ivr_start", "ivr_abandon"): (1, 50.0),
        ("order", "delivery"): (1, 172800.0),
    }
    counts = [e["count"] for e in data["edges"]]
    assert counts == sorted(counts, reverse=True)


def test_channel_flows_per_customer_include_records(ws: Workspace) -> None:
    edges = {(e["from"], e["to"]): e["count"] for e in js.flows(ws, by="channel", per="customer")["edges"]}
    # A: ivr(order), ivr(delivery), hotline, chat, hotline, wecom, hotline, hotline, survey
    assert edges[("hotline", "wecom")] == 1
    assert edges[("wecom", "hotline")] == 1
    assert edges[("hotline", "survey")] == 2  # A and B answer the survey after a call
    assert sum(edges.values()) == 35 - 4  # 35 rows, 4 customers: one fewer edge than steps per customer


def test_variants_share_and_order(ws: Workspace) -> None:
    data = js.variants(ws, by="event_type", top=3)
    assert data["sequences"] == 7 and data["distinct_variants"] == 5
    assert [v["path"] for v in data["variants"]] == [
        ["ivr_start", "ivr_node", "ivr_node", "ivr_abandon"],
        ["ivr_start", "ivr_node", "ivr_node", "ivr_to_agent"],  # tie on count: ordered by path
        ["ivr_start", "ivr_abandon"],
    ]
    assert [v["share"] for v in data["variants"]] == [28.5714, 28.5714, 14.2857]


@pytest.mark.parametrize(("by", "per"), [("event_type", None), ("channel", "customer"), ("stage", "episode")])
def test_one_sequence_log_serves_flows_and_variants(ws: Workspace, by: str, per: str | None) -> None:
    log = js.sequence_log(ws, by=by, per=per)
    assert js.flows_from(log) == js.flows(ws, by=by, per=per)
    assert js.variants_from(log, top=4) == js.variants(ws, by=by, per=per, top=4)
    with pytest.raises(UsageError):
        js.variants_from(log, top=0)


def test_episodes_split_by_gap_and_health(ws: Workspace) -> None:
    data = js.episodes(ws)
    assert data["count"] == 4  # A: 1, B: 1, C: 2 (19 days apart); surveys are not contacts
    worst = data["episodes"][0]
    assert (worst["contacts"], worst["channel_switches"], worst["transfers"]) == (6, 4, 1)
    assert worst["channels"] == ["chat", "hotline", "wecom"]
    assert worst["elapsed_seconds"] == 3 * 86400 and worst["outcome"] == "resolved"
    # effort 1/(1+5+0.5*4+0.5*1), time 1/(1+72/24), outcome 1/6 (resolved at the 6th contact), emotion 0.5
    expected = 100 * (0.4 / 8.5 + 0.15 * 0.25 + 0.25 / 6 + 0.2 * 0.5)
    assert worst["health"] == round(expected, 1) == 22.6
    assert all(e["health"] == 90.0 for e in data["episodes"][1:])
    assert data["notes"], "no enrichments: the output says so"
    stages = {r["stage"]: r for r in data["health_by"]["stage"]}
    assert stages["service"]["episodes"] == 4


def test_worst_journey_has_full_timeline(ws: Workspace) -> None:
    journeys = js.worst_journeys(ws, top=1)["journeys"]
    assert len(journeys) == 1
    texts = [item["text"] for item in journeys[0]["timeline"]]
    assert texts == ["屏幕闪烁", "屏幕还是闪", "屏幕闪烁没修好", "第四次了", "屏幕闪烁 投诉", "终于修好"]


def test_ivr_lost_rate_per_node(ws: Workspace) -> None:
    data = js.ivr_paths(ws)
    assert (data["calls"], data["lost"], data["lost_rate"]) == (6, 3, 50.0)
    nodes = {n["node"]: n for n in data["nodes"]}
    assert (nodes["2-1"]["visits"], nodes["2-1"]["lost"], nodes["2-1"]["lost_rate"]) == (3, 2, 66.67)
    assert (nodes["(start)"]["visits"], nodes["(start)"]["lost"]) == (1, 1)
    assert nodes["2"]["visits"] == 4 and nodes["2"]["lost"] == 0
    assert data["paths"][0] == {"path": ["2", "2-1"], "calls": 3, "lost": 2, "lost_rate": 66.67}


def test_channel_switching_matrix(ws: Workspace) -> None:
    data = js.channel_switching(ws)
    matrix = {(m["from"], m["to"]): m["count"] for m in data["matrix"]}
    assert matrix == {("hotline", "chat"): 1, ("chat", "hotline"): 2, ("hotline", "wecom"): 1,
                      ("wecom", "hotline"): 1, ("hotline", "hotline"): 1}
    assert (data["transitions"], data["switches"], data["switch_pct"]) == (6, 5, 83.33)


def test_journey_map_cells(ws: Workspace) -> None:
    data = js.journey_map(ws)
    cells = {(c["stage"], c["touchpoint"]): c for c in data["cells"]}
    assert cells[("service", "hotline")]["records"] == 6
    assert cells[("purchase", "ivr")]["events"] == 1 and cells[("deliver", "ivr")]["events"] == 1
    survey = cells[("(none)", "survey")]
    assert (survey["nps_n"], survey["nps"]) == (2, 0.0)  # one promoter, one detractor
    assert data["stages"][:3] == ["purchase", "deliver", "service"]  # the configured stage order


def test_timeline_by_any_identifier(ws: Workspace) -> None:
    data = js.timeline(ws, C)
    items = data["items"]
    assert [i["text"] for i in items if i["text"]] == ["物流慢", "物流又慢"]
    assert len(items) == 2 + 8  # two contacts, two IVR calls of 4 events
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert js.timeline(ws, data["customer_id"])["items"] == items
    assert set(items[0]) == {"at", "channel", "kind", "event_type", "stage", "text", "topic", "sentiment"}
    with pytest.raises(NotFound):
        js.timeline(ws, "19999999999")


def test_bad_dimension_is_a_usage_error(ws: Workspace) -> None:
    with pytest.raises(UsageError, match="use one of: event_type, channel, touchpoint, stage"):
        js.flows(ws, by="agent")


def test_topics_from_enrichments_split_episodes(tmp_path: Path) -> None:
    root = build_workspace(tmp_path)
    with Workspace.open(root) as ws:
        rows = ws.con.execute("SELECT record_id, row_hash, text FROM records WHERE kind <> 'survey_response'"
                              ).fetchall()
        for record_id, row_hash, text in rows:
            topic = "screen" if "屏幕" in text else "other"
            ws.con.execute(
                "INSERT INTO enrichments (record_id, row_hash, model_version, sentiment, sentiment_score, "
                "topic_id, enriched_at) VALUES (?, ?, 't', 'neg', -0.8, ?, now())", [record_id, row_hash, topic])
        ws.con.execute("INSERT INTO taxonomy (topic_id, name_zh, name_en) VALUES ('screen', '屏幕', 'Screen')")
        data = js.episodes(ws)
        a_topics = sorted(e["topic"] for e in data["episodes"] if e["contacts"] > 1)
        assert a_topics == ["other", "screen"]  # A's 4 screen contacts and 2 others: two episodes
        screen = next(e for e in data["episodes"] if e["topic"] == "screen")
        assert screen["contacts"] == 4 and screen["sentiment_path"] == ["neg"] * 4
        assert screen["emotion"] == pytest.approx(0.1)
        cells = {(c["stage"], c["touchpoint"]): c for c in js.journey_map(ws)["cells"]}
        pains = cells[("service", "hotline")]["pain_points"]
        # hotline: 3 screen (A) and 3 other (A, B, C); a tie is ordered by topic id
        assert [(p["topic_id"], p["count"], p["name_en"]) for p in pains] == [("other", 3, None),
                                                                             ("screen", 3, "Screen")]
        assert not data["notes"]
