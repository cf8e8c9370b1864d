"""`cxloop users`, `cxloop tokens`, `cxloop audit`: the exact JSON shapes and their effect on the API."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient

from cxloop.api import create_app


def test_users_tokens_and_audit(cli, workspace: Path, monkeypatch) -> None:
    added = cli("users", "add", "li", "--role", "admin", "--dept", "cx", "-w", workspace, "--format", "json")
    assert added.code == 0, added.stderr
    assert set(added.json()) == {"user", "role", "token"} and added.json()["role"] == "admin"
    assert re.fullmatch(r"cxl_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", added.json()["token"])
    sf = cli("users", "add", "sf-express", "--role", "partner", "--partner", "顺丰", "-w", workspace,
             "--format", "json")
    assert sf.json()["user"] == "sf-express"
    created = cli("tokens", "create", "li", "-w", workspace, "--format", "json").json()
    assert set(created) == {"user", "token"} and created["user"] == "li" and created["token"] != added.json()["token"]
    users = cli("users", "list", "-w", workspace, "--format", "json").json()["users"]
    assert [(u["user"], u["role"], u["partner"], u["tokens"]) for u in users] == [
        ("li", "admin", None, 2), ("sf-express", "partner", "顺丰", 1)]
    with duckdb.connect(str(workspace / "cxloop.duckdb"), read_only=True) as con:  # secrets are never stored
        stored = con.execute("SELECT string_agg(token_hash, ',') FROM tokens").fetchall()[0][0]
    assert created["token"] not in stored and created["token"].split("_")[2] not in stored

    client = TestClient(create_app(workspace))
    auth = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/status", headers=auth).status_code == 200
    client.app.state.cx.gate.close()  # type: ignore[attr-defined]  # let the CLI in (same process)
    token_id = created["token"].split("_")[1]
    assert cli("tokens", "revoke", token_id, "-w", workspace, "--format", "json").json()["revoked"] is True
    assert client.get("/api/v1/status", headers=auth).status_code == 401
    client.app.state.cx.gate.close()  # type: ignore[attr-defined]

    monkeypatch.setenv("CXLOOP_PASSWORD", "correct horse")
    assert cli("users", "set-password", "li", "-w", workspace, "--format", "json").json()["password_set"] is True
    monkeypatch.setenv("CXLOOP_PASSWORD", "short")
    short = cli("users", "set-password", "li", "-w", workspace, "--format", "json")
    assert short.code == 3 and "at least 8 characters" in short.stderr
    first = {"Authorization": f"Bearer {added.json()['token']}"}
    assert cli("users", "disable", "li", "-w", workspace).code == 0
    assert client.get("/api/v1/status", headers=first).status_code == 401
    client.app.state.cx.gate.close()  # type: ignore[attr-defined]

    bad = cli("users", "add", "x", "--role", "boss", "-w", workspace, "--format", "json")
    assert bad.code == 2 and "roles are: admin, analyst, agent, viewer, partner" in bad.stderr
    partnerless = cli("users", "add", "p", "--role", "partner", "-w", workspace)
    assert partnerless.code == 2 and "--partner" in partnerless.stderr
    assert cli("users", "add", "li", "--role", "viewer", "-w", workspace).code == 4  # exists: conflict

    log = cli("audit", "--since", "7d", "-w", workspace, "--format", "json").json()["audit"]
    actions = [(a["actor"], a["action"], a["target"]) for a in log]
    assert ("owner", "users.add", "li") in actions and ("owner", "tokens.revoke", "li") in actions
    assert ("owner", "users.disable", "li") in actions and ("owner", "users.set-password", "li") in actions
    assert all(a["via"] == "cli" for a in log)
    assert cli("audit", "--verify", "-w", workspace, "--format", "json").json()["ok"] is True
    with duckdb.connect(str(workspace / "cxloop.duckdb")) as con:  # someone edits history behind our back
        con.execute("UPDATE audit_log SET target = 'someone' WHERE action = 'users.disable'")
    tampered = cli("audit", "--verify", "-w", workspace, "--format", "json")
    assert tampered.code == 4 and tampered.json()["ok"] is False
    old = cli("audit", "--since", "yesterday-ish", "-w", workspace)
    assert old.code == 2 and "7d, 24h, 30m" in old.stderr


def test_cli_as_a_user_masks_and_scopes_alike(cli, tmp_path: Path, monkeypatch) -> None:
    """$CXLOOP_USER makes the CLI act as that user: the app layer masks and scopes as for the API."""
    from api_support import build_workspace

    root = build_workspace(tmp_path / "ws").root
    owner = cli("customers", "show", "13800000002", "-w", root, "--format", "json").json()
    assert {"type": "phone", "value": "13800000002"} in owner["identifiers"]
    monkeypatch.setenv("CXLOOP_USER", "ann")
    viewer = cli("customers", "show", "13800000002", "-w", root, "--format", "json")
    assert {"type": "phone", "value": "138****0002"} in viewer.json()["identifiers"]
    assert "13800000002" not in viewer.stdout
    denied = cli("users", "list", "-w", root, "--format", "json")
    assert denied.code == 6 and "users.manage" in denied.stderr
    monkeypatch.setenv("CXLOOP_USER", "sf")
    rows = cli("metrics", "nps", "--by", "partner", "-w", root, "--format", "json").json()["rows"]
    assert [r["partner"] for r in rows] == ["顺丰"]
    assert cli("customers", "show", "13800000002", "-w", root).code == 3  # not in the partner's scope
    monkeypatch.setenv("CXLOOP_USER", "pia")
    assert "13800000002" in cli("customers", "show", "13800000002", "-w", root, "--format", "json").stdout
    monkeypatch.setenv("CXLOOP_USER", "nobody")
    assert cli("status", "-w", root).code == 6
    monkeypatch.delenv("CXLOOP_USER")
    views = cli("audit", "--action", "pii.view", "-w", root, "--format", "json").json()["audit"]
    assert [(v["actor"], v["via"]) for v in views] == [("pia", "cli")]
