"""The REST API returns what the CLI prints (the same app functions), with a token."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxloop.api import create_app


@pytest.fixture
def filled(cli, workspace: Path, tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    path.write_text("手机,邮箱,内容,打分,时间,会话,事件\n"
                    "13800000001,a@x.cn,送货很快,9,2026-09-01 10:00,s1,\n"
                    "13800000002,a@x.cn,电话打不通,3,2026-09-02 08:30,s2,\n"
                    "13800000001,,,,2026-09-02 08:00,s2,ivr_start\n"
                    "13800000001,,,,2026-09-02 08:01,s2,ivr_to_agent\n", encoding="utf-8")
    maps = ["phone=手机", "email=邮箱", "text=内容", "nps=打分", "occurred_at=时间",
            "session_id=会话", "event_type=事件"]
    result = cli("ingest", path, "--channel", "hotline", *[a for m in maps for a in ("--map", m)], "-w", workspace)
    assert result.code == 0, result.stderr
    return workspace


def test_endpoints_return_what_the_cli_prints(cli, filled: Path) -> None:
    token = cli("users", "add", "li", "--role", "admin", "--pii", "-w", filled, "--format", "json").json()["token"]
    status = cli("status", "-w", filled, "--format", "json").json()
    customer_cli = cli("customers", "show", "13800000002", "-w", filled, "--format", "json").json()
    nps_cli = cli("metrics", "nps", "--by", "channel", "-w", filled, "--format", "json").json()
    client = TestClient(create_app(filled), headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/status").json() == status
    customer = client.get("/api/v1/customers/13800000002").json()
    assert customer == customer_cli and customer["records"] == 2 and customer["events"] == 2
    assert client.get("/api/v1/metrics/nps", params={"by": "channel"}).json() == nps_cli
    flows = client.get("/api/v1/journeys/flows", params={"by": "event_type"}).json()
    assert {"from": "ivr_start", "to": "ivr_to_agent"}.items() <= flows["edges"][0].items()
    assert client.get("/openapi.json").json()["info"]["title"] == "cxloop"
