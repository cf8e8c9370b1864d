"""The API through a real `cxloop serve` (uvicorn) on a loopback port, and beside a CLI ingest."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from api_support import PARTNER_B, ApiWorkspace, bearer, build_workspace, running_server, write_rows

CXLOOP = [sys.executable, "-m", "cxloop.cli.main"]


def _cx(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CXLOOP, *map(str, args)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_real_server(tmp_path: Path) -> None:
    api_ws: ApiWorkspace = build_workspace(tmp_path / "ws")
    with running_server(api_ws.root) as base, httpx.Client(base_url=base, timeout=30) as http:
        paths = http.get("/openapi.json").json()["paths"]
        for path, item in paths.items():
            if path.startswith("/api/v1"):
                for method in item:
                    response = http.request(method.upper(), re.sub(r"\{[^}]+\}", "x", path))
                    assert response.status_code == 401, (method, path)
        viewer = http.get("/api/v1/records", headers=bearer(api_ws.tokens["ann"]))
        assert viewer.status_code == 200 and "138****0002" in viewer.text and "13800000002" not in viewer.text
        pii = http.get("/api/v1/records", params={"customer": "13800000002"}, headers=bearer(api_ws.tokens["pia"]))
        assert pii.json()["records"][0]["phone"] == "13800000002"
        audit = http.get("/api/v1/audit", params={"action": "pii.view"}, headers=bearer(api_ws.tokens["root"]))
        assert [(a["actor"], a["client"]) for a in audit.json()["audit"]] == [("pia", "127.0.0.1")]
        theirs = [r for r in http.get("/api/v1/records", headers=bearer(api_ws.tokens["root"])).json()["records"]
                  if r["partner"] == PARTNER_B]
        sf = bearer(api_ws.tokens["sf"])
        assert all(http.get(f"/api/v1/records/{r['record_id']}", headers=sf).status_code == 404 for r in theirs)
        assert http.get("/api/v1/records", params={"q": "送错了"}, headers=sf).json()["records"] == []
        assert [r["partner"] for r in http.get("/api/v1/metrics/nps", params={"by": "partner"},
                                               headers=sf).json()["rows"]] == ["顺丰"]
        source = write_rows(tmp_path / "again.csv")
        by_cli = _cx("ingest", source, "--channel", "hotline", "--map", "text=内容", "--map", "occurred_at=时间",
                     "--map", "nps=打分", "-w", _fresh(tmp_path / "cli"), "--format", "json")
        with source.open("rb") as handle:
            by_api = http.post("/api/v1/ingest", files={"file": ("again.csv", handle)},
                               data={"channel": "hotline", "map": ["text=内容", "occurred_at=时间", "nps=打分"],
                                     "source": "again"}, headers=bearer(api_ws.tokens["root"]))
        import json

        counts = ("rows_read", "rejected")
        assert {k: by_api.json()[k] for k in counts} == {k: json.loads(by_cli.stdout)[k] for k in counts}


def _fresh(root: Path) -> Path:
    assert _cx("init", root).returncode == 0
    return root


def test_cli_ingest_while_serving_loses_nothing(tmp_path: Path) -> None:
    """Requests while `cxloop ingest` holds the workspace wait or answer 503 + Retry-After, never 500; the
    CLI gets its turn under continuous load; every write that answered 200 is there afterwards."""
    api_ws = build_workspace(tmp_path / "ws")
    config = api_ws.root / "cxloop.toml"
    config.write_text(config.read_text() + "\n[api]\nlock_wait_seconds = 0.5\n")
    big = tmp_path / "big.csv"
    lines = ["内容,时间,手机"] + [f"第{i}条反馈 送货慢,2026-08-{1 + i % 28:02d} 10:{i % 60:02d},139{i:08d}"
                                 for i in range(40_000)]
    big.write_text("\n".join(lines) + "\n", encoding="utf-8")
    statuses: list[tuple[str, int, str | None]] = []
    written: list[int] = []
    stop = threading.Event()
    with running_server(api_ws.root) as base:
        token = bearer(api_ws.tokens["root"])

        def reader() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                while not stop.is_set():
                    r = http.get("/api/v1/status", headers=token)
                    statuses.append(("GET", r.status_code, r.headers.get("retry-after")))

        def writer() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                i = 0
                while not stop.is_set():
                    body = {"channel": "chat", "map": {"text": "t", "occurred_at": "at"},
                            "rows": [{"t": f"api write {i}", "at": "2026-09-09 10:00"}]}
                    r = http.post("/api/v1/ingest/rows", json=body, headers=token)
                    statuses.append(("POST", r.status_code, r.headers.get("retry-after")))
                    if r.status_code == 200:
                        assert r.json()["inserted"] == 1
                        written.append(i)
                    i += 1

        threads = [threading.Thread(target=reader), threading.Thread(target=reader), threading.Thread(target=writer)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        started = time.monotonic()
        cli = _cx("ingest", big, "--channel", "hotline", "--map", "text=内容", "--map", "occurred_at=时间",
                  "--map", "phone=手机", "-w", api_ws.root, "--format", "json", env={"CXLOOP_LOCK_WAIT": "120"})
        cli_seconds = time.monotonic() - started
        time.sleep(0.5)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        with httpx.Client(base_url=base, timeout=30) as http:
            final = http.get("/api/v1/status", headers=token).json()
    assert cli.returncode == 0, cli.stderr
    assert '"inserted": 40000' in cli.stdout
    codes = {code for _, code, _ in statuses}
    assert codes <= {200, 503}, statuses
    assert all(retry == "2" for _, code, retry in statuses if code == 503)
    assert written and final["records"] == 6 + 40_000 + len(written), (final, len(written), cli_seconds)
