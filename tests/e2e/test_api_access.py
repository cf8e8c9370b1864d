"""The API in-process: credentials on every route, roles, partner and department scoping, PII masking, audit."""

from __future__ import annotations

import json
import re

import pytest
from api_support import PARTNER_A, PARTNER_B, ApiWorkspace, bearer, build_workspace
from fastapi.testclient import TestClient

from cxloop.api import create_app

PUBLIC = {"/health", "/openapi.json", "/docs", "/login", "/logout", "/", "/docs/oauth2-redirect"}


@pytest.fixture(scope="module")
def api_ws(tmp_path_factory: pytest.TempPathFactory) -> ApiWorkspace:
    return build_workspace(tmp_path_factory.mktemp("api") / "ws")


@pytest.fixture(scope="module")
def client(api_ws: ApiWorkspace) -> TestClient:
    return TestClient(create_app(api_ws.root))


def _get(client: TestClient, api_ws: ApiWorkspace, user: str, path: str, **params: object):
    return client.get(path, params=params, headers=bearer(api_ws.tokens[user]))


def _data_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI schema under /api/v1, path parameters filled with 'x'."""
    paths = client.get("/openapi.json").json()["paths"]
    return [(method.upper(), re.sub(r"\{[^}]+\}", "x", path))
            for path, item in paths.items() if path.startswith("/api/v1") for method in item]


def test_every_data_route_answers_401_without_a_credential(client: TestClient) -> None:
    routes = _data_routes(client)
    assert len(routes) >= 28
    for method, path in routes:
        response = client.request(method, path)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")
    bad = client.get("/api/v1/records", headers=bearer("cxl_000000000000_" + "x" * 43))
    assert bad.status_code == 401
    assert client.get("/health").json()["status"] == "ok"


def test_viewer_sees_masked_phones_and_texts(client: TestClient, api_ws: ApiWorkspace) -> None:
    response = _get(client, api_ws, "ann", "/api/v1/records", limit=100)
    assert response.status_code == 200
    records = response.json()["records"]
    assert len(records) == 6 and {"record_id", "occurred_at", "channel", "kind", "product", "customer_id",
                                  "text"} <= set(records[0])
    assert "13800000002" not in response.text and "b@x.cn" not in response.text
    by_phone = {r["phone"] for r in records}
    assert "138****0002" in by_phone
    slow = next(r for r in records if r["phone"] == "138****0002")
    assert slow["text"] == "快递太慢了 电话[PHONE]打不通"
    one = _get(client, api_ws, "ann", f"/api/v1/records/{slow['record_id']}").json()
    assert "13800000002" not in json.dumps(one, ensure_ascii=False) and one["raw"]["手机"] == "[PHONE]"
    addr = _get(client, api_ws, "ann", "/api/v1/records", q="屏幕").json()["records"][0]
    assert "建国路88号" not in addr["text"] and "[ADDRESS]" in addr["text"]
    customer = _get(client, api_ws, "ann", "/api/v1/customers/13800000002").json()
    assert {"type": "phone", "value": "138****0002"} in customer["identifiers"]
    timeline = _get(client, api_ws, "ann", "/api/v1/customers/13800000002/timeline").json()
    assert "13800000002" not in json.dumps(timeline)


def test_pii_privilege_unmasks_and_is_audited(client: TestClient, api_ws: ApiWorkspace) -> None:
    response = _get(client, api_ws, "pia", "/api/v1/records", q="打不通")
    assert response.status_code == 200
    assert response.json()["records"][0]["phone"] == "13800000002"
    assert "13800000002" in response.json()["records"][0]["text"]
    masked = _get(client, api_ws, "ana", "/api/v1/records", q="打不通").json()["records"][0]
    assert masked["phone"] == "138****0002"  # the same role without the privilege
    views = _get(client, api_ws, "root", "/api/v1/audit", action="pii.view", actor="pia").json()["audit"]
    assert views and views[-1]["target"] == "records" and views[-1]["detail"] == {"rows": 1}
    assert views[-1]["via"] == "token" and views[-1]["client"] == "testclient"


def test_roles_lacking_a_right_get_403(client: TestClient, api_ws: ApiWorkspace) -> None:
    for user, method, path in [("ann", "POST", "/api/v1/ingest/rows"), ("ann", "GET", "/api/v1/users"),
                               ("sf", "GET", "/api/v1/rejects"), ("sf", "GET", "/api/v1/taxonomy"),
                               ("qa", "POST", "/api/v1/faq"), ("pia", "GET", "/api/v1/audit")]:
        response = client.request(method, path, headers=bearer(api_ws.tokens[user]), json={"rows": [{"a": 1}]})
        assert response.status_code == 403, (user, path, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    assert _get(client, api_ws, "root", "/api/v1/users").status_code == 200


def test_partner_sees_only_its_rows_by_id_search_aggregate_or_guess(client: TestClient, api_ws: ApiWorkspace) -> None:
    mine = _get(client, api_ws, "sf", "/api/v1/records", limit=100).json()["records"]
    assert {r["partner"] for r in mine} == {PARTNER_A} and len(mine) == 2
    everyone = _get(client, api_ws, "root", "/api/v1/records", limit=100).json()["records"]
    theirs = [r for r in everyone if r["partner"] == PARTNER_B]
    assert theirs
    for r in theirs:  # by id
        response = _get(client, api_ws, "sf", f"/api/v1/records/{r['record_id']}")
        assert response.status_code == 404 and PARTNER_B not in response.text
    assert _get(client, api_ws, "sf", "/api/v1/records", q="送错了").json()["records"] == []  # by search
    assert _get(client, api_ws, "sf", "/api/v1/records", partner=PARTNER_B).json()["records"] == []  # by filter
    assert _get(client, api_ws, "sf", "/api/v1/customers/13800000002").status_code == 404  # by guessing
    assert _get(client, api_ws, "sf", "/api/v1/customers/13800000002/timeline").status_code == 404
    nps = _get(client, api_ws, "sf", "/api/v1/metrics/nps", by="partner").json()  # by aggregate
    assert [(r["partner"], r["n"]) for r in nps["rows"]] == [(PARTNER_A, 2)]
    status = _get(client, api_ws, "sf", "/api/v1/status").json()
    assert status["records"] == 2 and status["batches"] is None and status["rejects"] is None
    for path in ("/api/v1/status", "/api/v1/metrics/nps?by=channel", "/api/v1/painpoints", "/api/v1/drivers",
                 "/api/v1/journeys/flows", "/api/v1/journeys/variants", "/api/v1/journeys/map",
                 "/api/v1/journeys/worst", "/api/v1/journeys/episodes", "/api/v1/journeys/switching",
                 "/api/v1/journeys/ivr", "/api/v1/session", "/api/v1/emerging"):
        response = client.get(path, headers=bearer(api_ws.tokens["sf"]))
        assert response.status_code == 200, (path, response.text)
        assert PARTNER_B not in response.text, path


def test_department_scope(client: TestClient, api_ws: ApiWorkspace) -> None:
    rows = _get(client, api_ws, "qa", "/api/v1/records").json()["records"]
    assert {r["department"] for r in rows} == {"quality"} and len(rows) == 2
    nps = _get(client, api_ws, "qa", "/api/v1/metrics/nps").json()["rows"][0]
    assert nps["n"] == 2
    assert _get(client, api_ws, "qa", "/api/v1/customers/13800000001").status_code == 404


def test_openapi_docs_and_security_headers(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["paths"]["/api/v1/records"]["get"]["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    assert "security" not in schema["paths"]["/health"]["get"]
    assert set(schema["paths"]["/api/v1/records"]["get"]["responses"]) >= {"200", "401", "403", "422", "429", "503"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert not re.search(r"(src|href)=\"https?://", docs.text)  # vendored assets, no CDN
    for asset in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", docs.text):
        assert client.get(asset).status_code == 200, asset
    headers = client.get("/health").headers
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in headers["content-security-policy"] and headers["cache-control"] == "no-store"
