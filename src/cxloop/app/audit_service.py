"""The audit log: every change, login, token write and unmasked PII view; appended, never updated.

Each row's `row_hash` is the SHA-256 of the previous row's hash and the row's own content, so
`verify_audit` finds a row that was edited or deleted after the fact. Times are wall-clock UTC (the
audit is about people acting now, unlike the data time of `occurred_at`).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from cxloop.app.workspace import Workspace
from cxloop.errors import UsageError
from cxloop.store import first_row, transaction

__all__ = ["list_audit", "parse_since", "record", "verify_audit"]

_LOCK = threading.Lock()  # one appender at a time in this process (the chain reads the last hash)
_COLUMNS = ("audit_id", "logged_at", "actor", "via", "client", "action", "target", "outcome", "detail")
_SPAN = re.compile(r"^(\d+)\s*([mhdw])$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _digest(prev: str, at: datetime, fields: tuple[Any, ...]) -> str:
    body = json.dumps([prev, at.isoformat(), *fields], ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def record(ws: Workspace, action: str, *, target: str | None = None, outcome: str = "ok",
           detail: dict[str, Any] | None = None, actor: str | None = None, via: str | None = None) -> None:
    """Append one audit row for `ws.principal` (or the `actor`/`via` given, e.g. a failed login)."""
    p = ws.principal
    fields = (actor or p.name, via or p.via, p.client, action, target, outcome,
              json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None)
    at = _now()
    with _LOCK, transaction(ws.con):
        last = first_row(ws.con.execute("SELECT row_hash FROM audit_log ORDER BY audit_id DESC LIMIT 1"))
        digest = _digest(last[0] if last else "", at, fields)
        ws.con.execute(
            "INSERT INTO audit_log (logged_at, actor, via, client, action, target, outcome, detail, row_hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [at, *fields, digest],
        )


def parse_since(since: str, now: datetime | None = None) -> datetime:
    """`7d`, `24h`, `30m`, `2w` before now, or an ISO date/time (UTC)."""
    now = now or _now()
    text = since.strip()
    match = _SPAN.match(text)
    if match:
        return now - timedelta(**{_UNIT[match.group(2)]: int(match.group(1))})
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        raise UsageError(f"--since {since!r}: use a span such as 7d, 24h, 30m, or an ISO date", field="since") from None


def list_audit(ws: Workspace, *, since: str = "7d", actor: str | None = None, action: str | None = None,
               limit: int = 1000) -> list[dict[str, Any]]:
    """Audit rows since `since`, oldest first, optionally of one actor or action (prefix, e.g. 'users')."""
    sql = f"SELECT {', '.join(_COLUMNS)} FROM audit_log WHERE logged_at >= ?"
    params: list[Any] = [parse_since(since)]
    if actor:
        sql += " AND actor = ?"
        params.append(actor)
    if action:
        sql += " AND (action = ? OR starts_with(action, ?))"
        params += [action, action + "."]
    rows = ws.con.execute(sql + " ORDER BY audit_id LIMIT ?", [*params, limit]).fetchall()
    out = []
    for r in rows:
        row = dict(zip(("audit_id", "at", *_COLUMNS[2:]), r, strict=True))
        row["detail"] = json.loads(row["detail"]) if row["detail"] else None
        out.append(row)
    return out


def verify_audit(ws: Workspace) -> dict[str, Any]:
    """Recompute the hash chain: `{"rows", "ok", "first_bad"}` (first_bad: the first row that differs)."""
    prev, n = "", 0
    cols = "logged_at, actor, via, client, action, target, outcome, detail, row_hash, audit_id"
    for at, *fields, digest, audit_id in ws.con.execute(f"SELECT {cols} FROM audit_log ORDER BY audit_id").fetchall():
        n += 1
        if _digest(prev, at, tuple(fields)) != digest:
            return {"rows": n, "ok": False, "first_bad": audit_id}
        prev = digest
    return {"rows": n, "ok": True, "first_bad": None}
