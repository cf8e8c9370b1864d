"""The REST API: in-process through the ASGI app, and once through a real uvicorn server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
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
    client = TestClient(create_app(filled))
    assert client.get("/api/status").json() == cli("status", "-w", filled, "--format", "json").json()
    customer = client.get("/api/customers/13800000002").json()
    assert customer["records"] == 2 and customer["events"] == 2
    nps = client.get("/api/metrics/nps").json()
    assert nps["metric"] == "nps" and nps["rows"][0]["n"] == 2 and nps["rows"][0]["value"] == 0.0
    flows = client.get("/api/journeys/flows", params={"by": "event_type"}).json()
    assert {"from": "ivr_start", "to": "ivr_to_agent"}.items() <= flows["edges"][0].items()
    assert client.get("/openapi.json").json()["info"]["title"] == "cxloop"


def test_errors_are_problem_json(filled: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(filled))
    missing = client.get("/api/customers/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    bad = client.get("/api/metrics/happiness")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "usage"
    gone = TestClient(create_app(tmp_path / "nowhere")).get("/api/status")
    assert gone.status_code == 503 and gone.json()["error"]["code"] == "workspace"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_real_server(filled: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cxloop.cli.main", "serve", "--port", str(port), "-w", str(filled)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["records"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
