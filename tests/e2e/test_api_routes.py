"""The API in-process: search and pages, ingest (same counts as the CLI), catalogues, error families,
browser login with CSRF and throttling."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from api_support import ApiWorkspace, bearer, build_workspace, ingest_options, write_rows
from fastapi.testclient import TestClient

from cxloop.api import create_app


@pytest.fixture
def api_ws(tmp_path: Path) -> ApiWorkspace:
    return build_workspace(tmp_path / "ws", passwords=True)


@pytest.fixture
def client(api_ws: ApiWorkspace) -> TestClient:
    return TestClient(create_app(api_ws.root))


def _h(api_ws: ApiWorkspace, user: str = "root") -> dict[str, str]:
    return bearer(api_ws.tokens[user])


def test_search_filters_sorting_and_cursor_pages(client: TestClient, api_ws: ApiWorkspace) -> None:
    def get(**params: object) -> dict:
        response = client.get("/api/v1/records", params=params, headers=_h(api_ws))
        assert response.status_code == 200, response.text
        return response.json()

    everything = get(limit=1000)["records"]
    assert len(everything) == 6 and everything[0]["occurred_at"] > everything[-1]["occurred_at"]
    seen, cursor = [], None
    while True:
        page = get(limit=4, sort="occurred_at", **({"cursor": cursor} if cursor else {}))
        seen += [r["record_id"] for r in page["records"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["record_id"] for r in reversed(everything)]  # no row twice, none skipped
    assert [r["text"] for r in get(q="screen")["records"]] == ["客服态度好 SCREEN fine", "Screen broke after a week"]
    assert len(get(q="screen broke")["records"]) == 1  # every word must occur
    assert [r["product"] for r in get(q="屏幕")["records"]] == ["X5 Pro"]
    assert {r["product"] for r in get(product="X5")["records"]} == {"X5"}
    assert len(get(since="2026-09-05", until="2026-09-06")["records"]) == 1
    assert len(get(since="2d")["records"]) == 3  # 48 h back from the latest record (09-06), inclusive
    assert [r["phone"] for r in get(customer="b@x.cn")["records"]] == ["13800000002"]
    bad = client.get("/api/v1/records", params={"cursor": "nonsense"}, headers=_h(api_ws))
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "cursor"
    wrong = client.get("/api/v1/records", params={"limit": 0}, headers=_h(api_ws))
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "limit"


def test_upload_answers_the_cli_counts(client: TestClient, api_ws: ApiWorkspace, cli, tmp_path: Path) -> None:
    source = write_rows(tmp_path / "upload.csv")
    maps = ["=".join(m) for m in ingest_options()["map"].items()]  # type: ignore[union-attr]
    by_cli_ws, by_api_ws = tmp_path / "by-cli", tmp_path / "by-api"
    assert cli("init", by_cli_ws).code == 0 and cli("init", by_api_ws).code == 0
    token = cli("users", "add", "loader", "--role", "analyst", "-w", by_api_ws, "--format", "json").json()["token"]
    args = ["--channel", "hotline", "--kind", "call", *[a for m in maps for a in ("--map", m)]]
    by_cli = cli("ingest", source, *args, "-w", by_cli_ws, "--format", "json").json()
    api = TestClient(create_app(by_api_ws))

    def upload() -> dict:
        with source.open("rb") as handle:
            response = api.post("/api/v1/ingest", files={"file": ("upload.csv", handle, "text/csv")},
                                data={"channel": "hotline", "kind": "call", "map": maps}, headers=bearer(token))
        assert response.status_code == 200, response.text
        return response.json()

    counts = ("rows_read", "inserted", "updated", "unchanged", "rejected")
    first = upload()
    assert {k: first[k] for k in counts} == {k: by_cli[k] for k in counts} == {
        "rows_read": 8, "inserted": 6, "updated": 0, "unchanged": 0, "rejected": 2}
    rejects = api.get("/api/v1/rejects", params={"batch": "last"}, headers=bearer(token)).json()["rejects"]
    cli_rejects = cli("rejects", "--batch", "last", "-w", by_cli_ws, "--format", "json").json()["rejects"]
    assert [(r["row"], r["field"], r["reason"]) for r in rejects] == [
        (r["row"], r["field"], r["reason"]) for r in cli_rejects]
    again = upload()  # idempotent, as a second `cxloop ingest` of the same file
    assert (again["inserted"], again["unchanged"]) == (0, 6)
    batches = api.get("/api/v1/batches", headers=bearer(token)).json()["batches"]
    assert len(batches) == 2 and batches[0]["file"].endswith("-upload.csv") and Path(batches[0]["file"]).is_file()
    assert api.get("/api/v1/sources", headers=bearer(token)).json()["sources"][0]["batches"] == 2


def test_json_rows_ingest_and_idempotence(client: TestClient, api_ws: ApiWorkspace) -> None:
    body = {"channel": "chat", "kind": "message", "map": {"text": "t", "occurred_at": "at", "phone": "p"},
            "rows": [{"t": "在线客服半小时没人回", "at": "2026-09-08 10:00", "p": "13900000009"},
                     {"t": "bad time", "at": "yesterday-ish", "p": "13900000010"}]}
    first = client.post("/api/v1/ingest/rows", json=body, headers=_h(api_ws, "pia"))
    assert first.status_code == 200, first.text
    assert (first.json()["inserted"], first.json()["rejected"]) == (1, 1)
    again = client.post("/api/v1/ingest/rows", json=body, headers=_h(api_ws, "pia")).json()
    assert (again["inserted"], again["unchanged"]) == (0, 1)
    unknown = client.post("/api/v1/ingest/rows", json={**body, "map": {"colour": "t"}}, headers=_h(api_ws))
    assert unknown.status_code == 400 and "unknown field 'colour'" in unknown.json()["error"]["message"]
    empty = client.post("/api/v1/ingest/rows", json={"rows": []}, headers=_h(api_ws))
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "rows"
    audit = client.get("/api/v1/audit", params={"action": "ingest"}, headers=_h(api_ws)).json()["audit"]
    assert [a["actor"] for a in audit] == ["owner", "pia", "pia"]


def test_taxonomy_and_faq_management(client: TestClient, api_ws: ApiWorkspace) -> None:
    topics = client.get("/api/v1/taxonomy", headers=_h(api_ws, "ann")).json()["topics"]
    parent = topics[0]["topic_id"]
    new = {"topic_id": "delivery.wrong", "name_zh": "送错", "name_en": "Wrong delivery", "parent_id": parent,
           "keywords": ["送错"], "owner_department": "logistics"}
    created = client.post("/api/v1/taxonomy", json=new, headers=_h(api_ws, "ana"))
    assert created.status_code == 201 and created.json()["topic_id"] == "delivery.wrong"
    assert client.post("/api/v1/taxonomy", json=new, headers=_h(api_ws)).status_code == 409
    changed = client.patch("/api/v1/taxonomy/delivery.wrong", json={"keywords": ["送错", "发错"]}, headers=_h(api_ws))
    assert changed.json()["keywords"] == ["送错", "发错"] and changed.json()["name_zh"] == "送错"
    orphan = client.patch("/api/v1/taxonomy/delivery.wrong", json={"parent_id": "no.such"}, headers=_h(api_ws))
    assert orphan.status_code == 422 and orphan.json()["error"]["field"] == "parent_id"
    assert client.patch("/api/v1/taxonomy/none", json={}, headers=_h(api_ws)).status_code == 404
    bad_id = client.post("/api/v1/taxonomy", json={**new, "topic_id": "has space"}, headers=_h(api_ws))
    assert bad_id.status_code == 422 and bad_id.json()["error"]["field"] == "topic_id"
    faq = {"faq_id": "F1", "question": "怎么退款", "variants": ["如何退款"], "answer": "在订单页申请"}
    assert client.post("/api/v1/faq", json=faq, headers=_h(api_ws)).status_code == 201
    assert client.post("/api/v1/faq", json=faq, headers=_h(api_ws)).status_code == 409
    updated = client.patch("/api/v1/faq/F1", json={"answer": "七天内可退"}, headers=_h(api_ws)).json()
    assert updated["answer"] == "七天内可退" and updated["variants"] == ["如何退款"]
    assert client.get("/api/v1/faq", headers=_h(api_ws, "qa")).json()["faq"][0]["faq_id"] == "F1"
    assert client.patch("/api/v1/faq/F9", json={"answer": "x"}, headers=_h(api_ws)).status_code == 404


def test_error_families(client: TestClient, api_ws: ApiWorkspace, tmp_path: Path) -> None:
    bad = client.get("/api/v1/metrics/happiness", headers=_h(api_ws))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "usage"
    assert client.get("/api/v1/records/nope", headers=_h(api_ws)).status_code == 404
    gone = TestClient(create_app(tmp_path / "nowhere")).get("/api/v1/status", headers=_h(api_ws))
    assert gone.status_code == 503 and gone.json()["error"]["code"] == "workspace"
    body = {"faq_id": "F1", "question": "x" * 2_000_000}  # over max_body_bytes (1 MiB)
    big = client.post("/api/v1/faq", json=body, headers=_h(api_ws))
    assert big.status_code == 413 and big.json()["error"]["code"] == "too_large"
    assert set(big.json()["error"]) == {"code", "message", "file", "row", "field"}


def test_rate_limit_429_and_busy_503(api_ws: ApiWorkspace) -> None:
    config = api_ws.root / "cxloop.toml"
    config.write_text(config.read_text() + '\n[api]\nrate_limit = "3/minute"\nlock_wait_seconds = 0.3\n'
                      'max_upload_bytes = 2048\n')
    client = TestClient(create_app(api_ws.root))
    upload = client.post("/api/v1/ingest", files={"file": ("big.csv", b"a,b\n" + b"1,2\n" * 1000, "text/csv")},
                         data={"channel": "c"}, headers=_h(api_ws, "root"))
    assert upload.status_code == 413 and upload.json()["error"]["code"] == "too_large"
    codes = [client.get("/api/v1/session", headers=_h(api_ws, "ann")).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]  # root's token spent one on the upload, ann's are its own
    limited = client.get("/api/v1/session", headers=_h(api_ws, "ann"))
    assert int(limited.headers["retry-after"]) >= 1 and limited.json()["error"]["code"] == "rate_limited"
    assert client.get("/api/v1/session", headers=_h(api_ws, "sf")).status_code == 200  # per token
    client.app.state.cx.gate.close()  # type: ignore[attr-defined]
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ok', flush=True); "
         "time.sleep(30)", str(api_ws.root / "cxloop.duckdb")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        busy = client.get("/api/v1/session", headers=_h(api_ws, "jd"))
        assert busy.status_code == 503 and busy.json()["error"]["code"] == "busy"
        assert busy.headers["retry-after"] == "2"
    finally:
        holder.kill()
        holder.wait()
    assert client.get("/api/v1/session", headers=_h(api_ws, "jd")).status_code == 200


def _login(client: TestClient, user: str, password: str) -> object:
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post("/login", data={"user": user, "password": password, "csrf_token": csrf, "next": "/"},
                       follow_redirects=False)


def test_browser_login_session_and_csrf(client: TestClient, api_ws: ApiWorkspace) -> None:
    no_csrf = client.post("/login", data={"user": "ana", "password": "pw-ana-secret"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    wrong = _login(client, "ana", "not-it")
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text  # type: ignore[attr-defined]
    ok = _login(client, "ana", "pw-ana-secret")
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # type: ignore[attr-defined]
    cookie = ok.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    me = client.get("/api/v1/session").json()
    assert me["user"] == "ana" and me["via"] == "session" and me["csrf_token"]
    assert client.get("/api/v1/records").status_code == 200
    faq = {"faq_id": "F2", "question": "发票怎么开"}
    forged = client.post("/api/v1/faq", json=faq)
    assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["error"]["message"]
    assert client.post("/api/v1/faq", json=faq, headers={"X-CSRF-Token": me["csrf_token"]}).status_code == 201
    assert client.post("/logout", data={"csrf_token": me["csrf_token"]}, follow_redirects=False).status_code == 303
    assert client.get("/api/v1/records").status_code == 401
    audit = client.get("/api/v1/audit", params={"actor": "ana"}, headers=_h(api_ws)).json()["audit"]
    assert [a["action"] for a in audit] == ["login.failed", "login", "api.write", "faq.create", "logout"]


def test_login_throttling(client: TestClient, api_ws: ApiWorkspace) -> None:
    for _ in range(5):
        assert _login(client, "ann", "wrong password").status_code == 401  # type: ignore[attr-defined]
    blocked = _login(client, "ann", "pw-ann-secret")  # even the right password, for a while
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0  # type: ignore[attr-defined]
    assert _login(client, "pia", "pw-pia-secret").status_code == 429  # type: ignore[attr-defined]  # same client


def test_search_index_answers_as_the_records_table(api_ws: ApiWorkspace) -> None:
    """The time-sorted copy (records_index) and the direct scan of records give the same pages."""
    from cxloop.access import OWNER, Principal, Role
    from cxloop.app import Workspace
    from cxloop.app.records_index import index_current, refresh_records_index
    from cxloop.app.records_service import RecordQuery, search_records

    queries = [RecordQuery(), RecordQuery(q="screen"), RecordQuery(limit=2), RecordQuery(sort="occurred_at", limit=3),
               RecordQuery(filters={"product": "X5"}), RecordQuery(since="3d"), RecordQuery(customer="13800000005"),
               RecordQuery(q="送", filters={"channel": "hotline"}, limit=1)]
    principals = [OWNER, Principal("sf", Role.partner, partner="顺丰", via="token"),
                  Principal("qa", Role.agent, department="quality", via="token")]

    def pages(ws: Workspace) -> list[list[dict]]:
        out = []
        for principal in principals:
            ws.principal = principal
            for query in queries:
                page = search_records(ws, query)
                out.append(page["records"])
                if page["next_cursor"]:
                    nxt = RecordQuery(**{**query.__dict__, "cursor": page["next_cursor"]})
                    out.append(search_records(ws, nxt)["records"])
        return out

    with Workspace.open(api_ws.root) as ws:
        assert not index_current(ws)
        direct = pages(ws)
        ws.principal = OWNER
        assert refresh_records_index(ws)["rows"] == 6 and index_current(ws)
        assert pages(ws) == direct
        assert any(len(p) for p in direct) and refresh_records_index(ws)["reused"] is True


def test_aggregate_cache_follows_every_write(client: TestClient, api_ws: ApiWorkspace, cli, tmp_path: Path) -> None:
    def n() -> int:
        return int(client.get("/api/v1/metrics/nps", headers=_h(api_ws)).json()["rows"][0]["n"])

    assert n() == n() == 6
    body = {"channel": "survey", "map": {"text": "t", "occurred_at": "at", "nps": "s"},
            "rows": [{"t": "还行", "at": "2026-09-10 10:00", "s": "7"}]}
    assert client.post("/api/v1/ingest/rows", json=body, headers=_h(api_ws)).status_code == 200
    assert n() == 7  # a write through the API
    client.app.state.cx.gate.close()  # type: ignore[attr-defined]  # the file is free: the CLI writes
    rows = tmp_path / "more.csv"
    rows.write_text("t,at,s\n一般,2026-09-11 10:00,6\n", encoding="utf-8")
    added = cli("ingest", rows, "--channel", "survey", "--map", "text=t", "--map", "occurred_at=at", "--map", "nps=s",
                "-w", api_ws.root)
    assert added.code == 0, added.stderr
    assert n() == 8  # a write by another process while the server had let go of the file
