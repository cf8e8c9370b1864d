"""Alerts, holds and cases through the API: department scoping, masking, the acting user, the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_support import ApiWorkspace, bearer, build_workspace
from fastapi.testclient import TestClient

from cxloop.api import create_app
from cxloop.app import Workspace
from cxloop.app.alerts_service import run_alerts


@pytest.fixture
def looped(tmp_path: Path) -> tuple[ApiWorkspace, TestClient]:
    api_ws = build_workspace(tmp_path / "ws")
    with Workspace.open(api_ws.root) as ws:  # the default rules: a detractor alert per NPS <= 6
        assert len(run_alerts(ws, actor="owner", deliver=False)["alerts"]) == 4
    return api_ws, TestClient(create_app(api_ws.root))


def test_alerts_scoped_masked_and_acked_by_the_user(looped: tuple[ApiWorkspace, TestClient]) -> None:
    api_ws, client = looped

    def h(user: str) -> dict[str, str]:
        return bearer(api_ws.tokens[user])

    everything = client.get("/api/v1/alerts", headers=h("root")).json()["alerts"]
    assert sorted(a["department"] for a in everything) == ["logistics", "logistics", "quality", "quality"]
    mine = client.get("/api/v1/alerts", params={"department": "logistics"}, headers=h("qa")).json()["alerts"]
    assert {a["department"] for a in mine} == {"quality"} and len(mine) == 2  # their own, whatever they ask
    viewer = client.get("/api/v1/alerts", headers=h("ann"))
    assert viewer.status_code == 200 and "13800000002" not in viewer.text
    assert client.get("/api/v1/alerts", headers=h("sf")).status_code == 403
    other = next(a["alert_id"] for a in everything if a["department"] == "logistics")
    own = next(a["alert_id"] for a in everything if a["department"] == "quality")
    assert client.post(f"/api/v1/alerts/{other}/ack", headers=h("qa")).status_code == 404
    assert client.post(f"/api/v1/alerts/{own}/ack", headers=h("ann")).status_code == 403
    acked = client.post(f"/api/v1/alerts/{own}/ack", json={"note": "on it"}, headers=h("qa"))
    assert acked.status_code == 200 and acked.json()["status"] == "acked"
    assert client.post(f"/api/v1/alerts/{own}/ack", headers=h("qa")).status_code == 409
    closed = client.post(f"/api/v1/alerts/{own}/close", headers=h("root")).json()
    assert closed["status"] == "closed"
    audit = client.get("/api/v1/audit", params={"action": "alerts"}, headers=h("root")).json()["audit"]
    assert [(a["actor"], a["action"], a["target"]) for a in audit] == [("qa", "alerts.acked", own),
                                                                        ("root", "alerts.closed", own)]
    assert client.get("/api/v1/holds", headers=h("ann")).json() == {"holds": []}
    missing = client.post("/api/v1/holds/H-none/release", json={"reason": "fixed"}, headers=h("root"))
    assert missing.status_code == 404


def test_cases_opened_and_worked_within_the_department(looped: tuple[ApiWorkspace, TestClient]) -> None:
    api_ws, client = looped

    def h(user: str) -> dict[str, str]:
        return bearer(api_ws.tokens[user])

    theirs = client.post("/api/v1/cases", json={"title": "送错货 13800000006", "department": "logistics",
                                                "priority": "high"}, headers=h("root"))
    assert theirs.status_code == 201 and theirs.json()["department"] == "logistics"
    ours = client.post("/api/v1/cases", json={"title": "屏幕批次问题", "department": "logistics"}, headers=h("qa"))
    assert ours.status_code == 201 and ours.json()["department"] == "quality"  # opened for their own department
    listed = client.get("/api/v1/cases", headers=h("qa")).json()["cases"]
    assert [c["case_id"] for c in listed] == [ours.json()["case_id"]]
    assert client.get(f"/api/v1/cases/{theirs.json()['case_id']}", headers=h("qa")).status_code == 404
    noted = client.post(f"/api/v1/cases/{ours.json()['case_id']}/note", json={"note": "联系了供应商"}, headers=h("qa"))
    assert noted.status_code == 200 and noted.json()["history"][-1]["actor"] == "qa"
    assigned = client.post(f"/api/v1/cases/{ours.json()['case_id']}/assign", json={"owner": "qa"}, headers=h("qa"))
    assert assigned.json()["owner"] == "qa"
    masked = client.get(f"/api/v1/cases/{theirs.json()['case_id']}", headers=h("ann")).json()
    assert "13800000006" not in masked["title"] and "[PHONE]" in masked["title"]
    assert client.post("/api/v1/cases", json={"title": "x"}, headers=h("ann")).status_code == 403
    bad = client.post(f"/api/v1/cases/{ours.json()['case_id']}/explode", json={}, headers=h("qa"))
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "action"
