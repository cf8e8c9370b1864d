"""A small workspace for the API tests: two partners, three departments, PII in fields and texts, users of
every role; and a real `cxloop serve` on a loopback port."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cxloop.access import OWNER
from cxloop.app import Workspace
from cxloop.app.ingest_upload import ingest_path
from cxloop.app.users_service import add_user
from serve_support import running_server as running_server  # re-exported: the API tests import it from here

ROWS = """手机,邮箱,内容,打分,时间,会话,承运商,部门,型号
13800000001,a@x.cn,送货很快 顺丰小哥很好,9,2026-09-01 10:00,s1,顺丰,logistics,X5
13800000002,b@x.cn,快递太慢了 电话13800000002打不通,3,2026-09-02 08:30,s2,京东物流,logistics,X5
13800000003,c@x.cn,Screen broke after a week,2,2026-09-03 09:00,s3,,quality,X5 Pro
13800000004,d@x.cn,屏幕坏了 寄到北京市朝阳区建国路88号,4,2026-09-04 09:00,s4,,quality,X5 Pro
13800000005,e@x.cn,客服态度好 SCREEN fine,10,2026-09-05 09:00,s5,顺丰,service,Vision 65
13800000006,f@x.cn,京东物流 送错了,1,2026-09-06 09:00,s6,京东物流,logistics,X5
13800000007,g@x.cn,还可以,12,2026-09-07 09:00,s7,,service,X5
13800000008,h@x.cn,不错,8,2026-13-45 99:00,s8,,service,X5
"""
MAPS = ["phone=手机", "email=邮箱", "text=内容", "nps=打分", "occurred_at=时间", "session_id=会话",
        "partner=承运商", "department=部门", "product=型号"]
PARTNER_A, PARTNER_B = "顺丰", "京东物流"
USERS = {  # name: (role, department, partner, pii)
    "root": ("admin", None, None, True),
    "ann": ("viewer", None, None, False),
    "pia": ("analyst", None, None, True),
    "ana": ("analyst", None, None, False),
    "qa": ("agent", "quality", None, False),
    "sf": ("partner", None, PARTNER_A, False),
    "jd": ("partner", None, PARTNER_B, False),
}


def write_rows(path: Path) -> Path:
    path.write_text(ROWS, encoding="utf-8")
    return path


def ingest_options() -> dict[str, object]:
    return {"channel": "hotline", "kind": "call", "map": dict(m.split("=", 1) for m in MAPS)}


@dataclass
class ApiWorkspace:
    root: Path
    tokens: dict[str, str]
    ingest: dict[str, object]


def build_workspace(root: Path, *, passwords: bool = False) -> ApiWorkspace:
    """A workspace with the rows above ingested and one user (and token) per entry of USERS."""
    ws = Workspace.init(root)
    ws.close()
    tokens = {}
    with Workspace.open(root) as ws:
        result = ingest_path(ws, write_rows(root.parent / f"{root.name}-rows.csv"), ingest_options())
        for name, (role, dept, partner, pii) in USERS.items():
            ws.principal = OWNER
            out = add_user(ws, name, role, department=dept, partner=partner, pii=pii,
                           password=f"pw-{name}-secret" if passwords else None)
            tokens[name] = out["token"]
    return ApiWorkspace(root, tokens, result)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


