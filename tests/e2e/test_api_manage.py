"""Initiatives, cards, stars, integrity and the KPI tree through the API (docs/api.md, docs/loop_manage.md):
rights (`manage.read`, `manage.write`), department scoping, masking, keyset pages, the acting user and the
audit log — and `CXLOOP_USER` giving the CLI the same answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_support import bearer
from fastapi.testclient import TestClient

from cxloop.access import OWNER
from cxloop.api import create_app
from cxloop.app import Workspace
from cxloop.app.ingest_upload import ingest_path
from cxloop.app.users_service import add_user

AGENTS = [f"C{i}" for i in range(1, 11)]
USERS = {  # name: (role, department, pii)
    "root": ("admin", None, True),
    "ann": ("viewer", None, False),
    "ana": ("analyst", None, False),
    "qa": ("agent", "quality", False),
    "qan": ("analyst", "quality", False),
    "svc": ("viewer", "service", False),
    "sf": ("partner", None, False),
}


def _chats() -> str:
    """40 chats per agent in 2026-10 (service department); C9 begs for five stars in 24 of them."""
    rows = ["time,agent,team,csat,text,dept"]
    for a, agent in enumerate(AGENTS):
        team = "在线一组" if a < 5 else "在线二组"
        for j in range(40):
            begs = agent == "C9" and j % 5 < 3
            line = "客服：亲，麻烦稍后给个五星呀" if begs else "客服：好的，已为您登记"
            csat = 5 if begs else 1 + (j * 7 + a) % 5
            rows.append(f"2026-10-{1 + j % 28:02d} 10:{j:02d},{agent},{team},{csat},客户：还没到 | {line},service")
    return "\n".join(rows) + "\n"


def _complaints() -> str:
    """Six complaints on 热线二组 (quality: a red card), two on 热线一组 (logistics)."""
    rows = ["time,team,text,dept"]
    rows += [f"2026-10-{d:02d} 15:00,热线二组,投诉{d}：态度差 电话1370000{d:04d},quality" for d in range(1, 7)]
    rows += [f"2026-10-{d:02d} 16:00,热线一组,投诉：等太久,logistics" for d in range(1, 3)]
    return "\n".join(rows) + "\n"


def _load(ws: Workspace, path: Path, text: str, source: str, kind: str, mapping: dict[str, str]) -> None:
    path.write_text(text, encoding="utf-8")
    ingest_path(ws, path, {"source": source, "channel": source, "kind": kind, "map": mapping})


@pytest.fixture(scope="module")
def managed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], TestClient, Path]:
    root = tmp_path_factory.mktemp("manage") / "ws"
    Workspace.init(root).close()
    config = root / "cxloop.toml"
    config.write_text(config.read_text() + '\n[stars]\nmin_n = 20\nmetric = "csat"\n'
                      '\n[api]\nrate_limit = "100000/minute"\n', encoding="utf-8")
    tokens = {}
    with Workspace.open(root) as ws:
        _load(ws, root.parent / "chats.csv", _chats(), "chat", "chat",
              {"occurred_at": "time", "agent_id": "agent", "team": "team", "csat": "csat", "text": "text",
               "department": "dept"})
        _load(ws, root.parent / "complaints.csv", _complaints(), "complaints", "complaint",
              {"occurred_at": "time", "team": "team", "text": "text", "department": "dept"})
        for name, (role, dept, pii) in USERS.items():
            ws.principal = OWNER
            partner = "顺丰" if role == "partner" else None
            tokens[name] = add_user(ws, name, role, department=dept, partner=partner, pii=pii)["token"]
    return tokens, TestClient(create_app(root)), root


def _h(tokens: dict[str, str], user: str) -> dict[str, str]:
    return bearer(tokens[user])


def _new(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/initiatives", json=body, headers=headers)


def test_initiatives_rights_scope_masking_and_audit(managed: tuple[dict[str, str], TestClient, Path]) -> None:
    tokens, client, _ = managed
    h = lambda u: _h(tokens, u)  # noqa: E731
    mine = _new(client, h("root"), title="回访客户 13800000009", owner_department="logistics",
                departments=["service"], product="X5")
    assert mine.status_code == 201 and mine.json()["owner_department"] == "logistics"
    iid = mine.json()["initiative_id"]
    assert _new(client, h("ann"), title="x", owner_department="cx").status_code == 403   # viewer
    assert _new(client, h("qa"), title="x", owner_department="cx").status_code == 403    # agent: no manage.write
    assert client.get("/api/v1/initiatives", headers=h("sf")).status_code == 403        # partner
    theirs = _new(client, h("qan"), title="热线态度", owner_department="logistics")
    assert theirs.status_code == 201 and theirs.json()["owner_department"] == "quality"  # their own department
    qid = theirs.json()["initiative_id"]
    listed = client.get("/api/v1/initiatives", headers=h("qan")).json()
    assert [i["initiative_id"] for i in listed["initiatives"]] == [qid] and listed["next_cursor"] is None
    assert client.get(f"/api/v1/initiatives/{iid}", headers=h("qan")).status_code == 404
    assert client.get(f"/api/v1/initiatives/{iid}", headers=h("svc")).status_code == 200  # takes part in it
    masked = client.get(f"/api/v1/initiatives/{iid}", headers=h("ann")).json()
    assert "13800000009" not in masked["title"] and "[PHONE]" in masked["title"]
    assert client.get(f"/api/v1/initiatives/{iid}", headers=h("root")).json()["title"] == "回访客户 13800000009"
    assert client.post(f"/api/v1/initiatives/{iid}/close", json={}, headers=h("qan")).status_code == 404
    assert _new(client, h("root"), from_painpoint=999, owner_department="x").status_code == 404
    assert _new(client, h("root"), title="x", owner_department="cx", bogus=1).status_code == 422
    audit = client.get("/api/v1/audit", params={"action": "initiatives"}, headers=h("root")).json()["audit"]
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [("root", "initiatives.create", iid),
                                                                        ("qan", "initiatives.create", qid)]


def test_key_results_progress_and_closing(managed: tuple[dict[str, str], TestClient, Path]) -> None:
    tokens, client, _ = managed
    h = lambda u: _h(tokens, u)  # noqa: E731
    iid = _new(client, h("ana"), title="在线满意度", owner_department="service",
               change_date="2026-10-15").json()["initiative_id"]
    kr = client.post(f"/api/v1/initiatives/{iid}/key_results", headers=h("ana"),
                     json={"metric": "csat", "where": ["source=chat"], "target": 80, "due": "2026-12-31"})
    assert kr.status_code == 201
    body = kr.json()
    assert body["kr_id"].startswith("KR-") and body["metric"] == "csat" and body["where"] == {"source": ["chat"]}
    assert body["baseline_n"] == 260  # chats of the 14 local days before the change date (26 per agent)
    bad = client.post(f"/api/v1/initiatives/{iid}/key_results", json={"metric": "happiness"}, headers=h("ana"))
    assert bad.status_code in (400, 422) and bad.json()["error"]["field"] in ("metric", "--metric")
    shown = client.get(f"/api/v1/initiatives/{iid}", headers=h("ana")).json()
    effect = shown["key_results"][0]["effect"]
    assert {"before", "after", "difference", "ci_low", "ci_high", "p_value", "significant"} <= set(effect)
    assert effect["before"]["n"] + effect["after"]["n"] == 400  # every chat, split at the change date
    one = client.get(f"/api/v1/initiatives/{iid}/progress", headers=h("ana")).json()
    assert [i["initiative_id"] for i in one["initiatives"]] == [iid]
    everyone = client.get("/api/v1/initiatives/progress", headers=h("ana")).json()
    assert iid in [i["initiative_id"] for i in everyone["initiatives"]]
    scoped = client.get("/api/v1/initiatives/progress", headers=h("qan")).json()
    assert iid not in [i["initiative_id"] for i in scoped["initiatives"]]
    active = client.patch(f"/api/v1/initiatives/{iid}", json={"status": "active"}, headers=h("ana"))
    assert active.status_code == 200 and active.json()["status"] == "active"
    assert client.patch(f"/api/v1/initiatives/{iid}", json={"status": "done"}, headers=h("ana")).status_code == 422
    case = client.post("/api/v1/cases", json={"title": "质量问题", "department": "quality"}, headers=h("root")).json()
    linked = client.post(f"/api/v1/initiatives/{iid}/links", json={"cases": [case["case_id"]]}, headers=h("ana"))
    assert linked.status_code == 200 and linked.json()["links"]["cases"] == [case["case_id"]]
    assert client.post(f"/api/v1/initiatives/{iid}/links", json={"holds": ["H-none"]},
                       headers=h("ana")).status_code == 404
    closed = client.post(f"/api/v1/initiatives/{iid}/close", json={"status": "dropped", "reason": "重新规划"},
                         headers=h("ana"))
    assert closed.status_code == 200 and closed.json()["status"] == "dropped"
    again = client.post(f"/api/v1/initiatives/{iid}/close", json={}, headers=h("ana"))
    assert again.status_code in (400, 409)


def test_initiative_pages_never_repeat_or_skip(managed: tuple[dict[str, str], TestClient, Path]) -> None:
    tokens, client, _ = managed
    for n in range(3):
        assert _new(client, _h(tokens, "root"), title=f"页 {n}", owner_department="cx").status_code == 201
    everything = [i["initiative_id"] for i in
                  client.get("/api/v1/initiatives", headers=_h(tokens, "root")).json()["initiatives"]]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        got = client.get("/api/v1/initiatives", params=params, headers=_h(tokens, "root")).json()
        seen += [i["initiative_id"] for i in got["initiatives"]]
        cursor = got["next_cursor"]
        if cursor is None:
            break
    assert seen == everything and len(everything) >= 3
    bad = client.get("/api/v1/initiatives", params={"cursor": "not-a-cursor!"}, headers=_h(tokens, "root"))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "cursor"


def test_cards_are_run_for_everyone_and_listed_per_department(
        managed: tuple[dict[str, str], TestClient, Path]) -> None:
    tokens, client, _ = managed
    h = lambda u: _h(tokens, u)  # noqa: E731
    assert client.post("/api/v1/cards/runs", json={"month": "2026-10"}, headers=h("qan")).status_code == 403
    assert client.post("/api/v1/cards/runs", json={"month": "2026-10"}, headers=h("ann")).status_code == 403
    run = client.post("/api/v1/cards/runs", json={"month": "2026-10"}, headers=h("ana"))
    assert run.status_code == 201
    assert [(c["team"], c["color"], c["incidents"]) for c in run.json()["cards"]] == [("热线二组", "red", 6)]
    assert "13700000001" not in run.text  # an analyst without pii: evidence texts masked
    full = client.get("/api/v1/cards", params={"month": "2026-10"}, headers=h("root")).json()["cards"]
    assert "电话13700000001" in full[0]["evidence"][0]["text"]
    assert [c["team"] for c in client.get("/api/v1/cards", headers=h("qa")).json()["cards"]] == ["热线二组"]
    assert client.get("/api/v1/cards", headers=h("svc")).json() == {"cards": [], "next_cursor": None}
    assert client.get("/api/v1/cards", headers=h("sf")).status_code == 403


def test_integrity_stars_and_kpis(managed: tuple[dict[str, str], TestClient, Path]) -> None:
    tokens, client, _ = managed
    h = lambda u: _h(tokens, u)  # noqa: E731
    assert client.post("/api/v1/integrity/runs", headers=h("svc")).status_code == 403
    run = client.post("/api/v1/integrity/runs", headers=h("root"))
    assert run.status_code == 201 and run.json()["by_kind"].get("score_begging") == 1
    flags = client.get("/api/v1/integrity/flags", params={"kind": "score_begging"}, headers=h("svc")).json()
    assert [(f["agent_id"], f["month"], len(f["records"])) for f in flags["flags"]] == [("C9", "2026-10", 40)]
    assert client.get("/api/v1/integrity/flags", headers=h("qa")).json()["flags"] == []  # not their agents
    assert client.get("/api/v1/integrity/flags", params={"kind": "nope"}, headers=h("root")).status_code == 400
    stars = client.get("/api/v1/stars", params={"month": "2026-10"}, headers=h("ann")).json()
    by = {s["agent_id"]: s for s in stars["stars"]}
    assert by["C9"]["eligible"] is False and by["C9"]["excluded_reason"] == "integrity"
    assert sorted(s["rank"] for s in stars["stars"] if s["rank"]) == list(range(1, 10))
    assert client.get("/api/v1/stars", params={"month": "2026-10"}, headers=h("qa")).json()["stars"] == []
    assert client.get("/api/v1/stars", headers=h("ann")).status_code == 422
    assert client.get("/api/v1/stars", params={"month": "2026-10", "level": "x"}, headers=h("ann")).status_code == 422
    tree = client.get("/api/v1/kpis/tree", params={"month": "2026-10"}, headers=h("ann")).json()
    assert tree["month"] == "2026-10" and tree["nodes"]
    csat = next(n for n in tree["nodes"] if n["metric"] == "csat")
    assert csat["n"] == 400
    scoped = client.get("/api/v1/kpis/tree", params={"month": "2026-10"}, headers=h("qa")).json()
    assert next(n for n in scoped["nodes"] if n["metric"] == "csat")["n"] == 0  # no chats of quality
    assert client.get("/api/v1/kpis/tree", headers=h("sf")).status_code == 403


def test_cli_as_a_user_gives_the_api_answers(managed: tuple[dict[str, str], TestClient, Path], cli: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    tokens, client, root = managed
    api = client.get("/api/v1/initiatives", params={"limit": 1000}, headers=_h(tokens, "qan")).json()
    client.app.state.cx.gate.close()  # type: ignore[attr-defined]  # let the CLI in (same process)
    monkeypatch.setenv("CXLOOP_USER", "qan")
    out = cli("initiatives", "list", "-w", root, "--format", "json")
    assert out.code == 0, out.stderr
    assert out.json()["initiatives"] == api["initiatives"]
    monkeypatch.setenv("CXLOOP_USER", "ann")
    denied = cli("initiatives", "create", "--title", "x", "--owner-dept", "cx", "-w", root, "--format", "json")
    assert denied.code != 0 and "manage.write" in denied.stderr
