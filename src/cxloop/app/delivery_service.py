"""Delivering stored alerts through their sinks: a transactional outbox.

`queue_deliveries` writes one delivery row per (alert, sink) — or per e-mail digest — in the same
transaction as the alerts. `deliver_pending` then sends every delivery without a final attempt (`sent` or
`dead`) and appends each attempt as it happens. A crash after the alerts were committed leaves the
deliveries pending, and the next run sends them; a delivery that has a `sent` attempt is never sent again.
`redeliver` gives dead letters a new round of tries.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from cxloop.app.clock import utc_now
from cxloop.app.workspace import Workspace
from cxloop.errors import ConfigError, UsageError
from cxloop.loop.alerts import stable_id
from cxloop.loop.sinks import build_sender, send_with_retries
from cxloop.settings.alerts import AlertSettings, EmailSink, WebhookSink

__all__ = ["check_sinks", "deliver_pending", "list_deliveries", "queue_deliveries", "redeliver"]

_ALERT_FIELDS = ("alert_id", "rule", "kind", "severity", "product", "topic", "department", "title", "message",
                 "customers", "records", "occurred_at", "created_at", "details")


def check_sinks(settings: AlertSettings) -> None:
    """Fail before evaluating anything when a sink's secret or credentials are not in the environment."""
    for name, sink in settings.sinks.items():
        needed = [sink.secret_env] if isinstance(sink, WebhookSink) else [sink.username_env, sink.password_env]
        for var in needed:
            if var and var not in os.environ:
                raise ConfigError(f"alerts.sinks.{name}: environment variable {var} is not set", field=var)


def queue_deliveries(ws: Workspace, alerts: list[tuple[str, list[str]]], settings: AlertSettings, run_id: str,
                     now: datetime) -> int:
    """Outbox rows for (alert_id, sink names) of alerts to deliver; e-mail digests group a run's alerts."""
    rows: list[tuple[str, list[str], str]] = []
    digests: dict[str, list[str]] = {}
    for alert_id, sinks in alerts:
        for name in sinks:
            sink = settings.sinks[name]
            if isinstance(sink, EmailSink) and sink.digest:
                digests.setdefault(name, []).append(alert_id)
            else:
                rows.append((stable_id("DL-", f"{name}|{alert_id}"), [alert_id], name))
    rows += [(stable_id("DL-", f"{name}|{run_id}"), ids, name) for name, ids in digests.items()]
    for delivery_id, ids, name in rows:
        ws.con.execute("INSERT INTO deliveries SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS "
                       "(SELECT 1 FROM deliveries WHERE delivery_id = ?)", [delivery_id, ids, name, now, run_id,
                                                                            delivery_id])
    return len(rows)


def _alert_payloads(ws: Workspace, ids: list[str]) -> list[dict[str, Any]]:
    result = ws.con.execute(f"SELECT {', '.join(_ALERT_FIELDS)} FROM alerts WHERE list_contains(?, alert_id) "
                            "ORDER BY occurred_at, alert_id", [ids])
    out = []
    for row in result.fetchall():
        item = dict(zip(_ALERT_FIELDS, row, strict=True))
        item["details"] = json.loads(item["details"]) if isinstance(item["details"], str) else item["details"]
        item["occurred_at"], item["created_at"] = item["occurred_at"].isoformat(), item["created_at"].isoformat()
        out.append(item)
    return out


def _pending(ws: Workspace, outcome: str) -> list[tuple[str, list[str], str, int]]:
    """Deliveries whose latest attempt is `outcome` ('none': no attempt yet or only failed ones)."""
    cond = "a.outcome IS NULL OR a.outcome = 'failed'" if outcome == "none" else "a.outcome = ?"
    params = [] if outcome == "none" else [outcome]
    return [(r[0], list(r[1]), r[2], int(r[3] or 0)) for r in ws.con.execute(
        "SELECT d.delivery_id, d.alert_ids, d.sink, a.attempt FROM deliveries d LEFT JOIN (SELECT * FROM "
        "delivery_attempts QUALIFY row_number() OVER (PARTITION BY delivery_id ORDER BY attempt DESC) = 1) a "
        f"USING (delivery_id) WHERE {cond} ORDER BY d.created_at, d.delivery_id", params).fetchall()]


def _send_all(ws: Workspace, todo: list[tuple[str, list[str], str, int]], settings: AlertSettings,
              sleep: Callable[[float], None] | None) -> tuple[int, int]:
    sent = dead = 0
    with httpx.Client() as client:
        for delivery_id, ids, name, last in todo:
            sink = settings.sinks.get(name)
            if sink is None:
                ws.con.execute("INSERT INTO delivery_attempts VALUES (?, ?, ?, 'dead', ?)",
                               [delivery_id, last + 1, utc_now(), f"sink {name!r} is no longer configured"])
                dead += 1
                continue
            send = functools.partial(build_sender(sink, client), delivery_id, _alert_payloads(ws, ids))
            kwargs: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
            for attempt in send_with_retries(send, retries=sink.retries, backoff_s=sink.backoff_s,
                                             first_attempt=last + 1, **kwargs):
                ws.con.execute("INSERT INTO delivery_attempts VALUES (?, ?, ?, ?, ?)",
                               [delivery_id, attempt.attempt, utc_now(), attempt.outcome, attempt.error])
                sent += attempt.outcome == "sent"
                dead += attempt.outcome == "dead"
    return sent, dead


def deliver_pending(ws: Workspace, settings: AlertSettings,
                    sleep: Callable[[float], None] | None = None) -> tuple[int, int]:
    """Send every pending delivery; (sent, dead letters) of this call."""
    return _send_all(ws, _pending(ws, "none"), settings, sleep)


def redeliver(ws: Workspace, settings: AlertSettings, sleep: Callable[[float], None] | None = None) -> dict[str, Any]:
    """Retry dead letters (and anything still pending): `{"delivered", "dead_letters", "tried"}`."""
    todo = _pending(ws, "dead") + _pending(ws, "none")
    sent, dead = _send_all(ws, todo, settings, sleep)
    return {"tried": len(todo), "delivered": sent, "dead_letters": dead}


def list_deliveries(ws: Workspace, *, status: str | None = None, limit: int = 100) -> dict[str, Any]:
    """`{"deliveries": [{delivery_id, sink, alert_ids, status, attempts, last_try_at, error}]}`; status is
    `pending` (no final attempt yet), `sent` or `dead`."""
    if status is not None and status not in ("pending", "sent", "dead"):
        raise UsageError(f"--status {status!r}: use pending, sent or dead", field="status")
    rows = ws.con.execute(
        "SELECT d.delivery_id, d.sink, d.alert_ids, coalesce(a.outcome, 'pending') AS outcome, a.attempt, a.tried_at, "
        "a.error, d.created_at FROM deliveries d LEFT JOIN (SELECT * FROM delivery_attempts QUALIFY row_number() "
        "OVER (PARTITION BY delivery_id ORDER BY attempt DESC) = 1) a USING (delivery_id) ORDER BY d.created_at DESC, "
        "d.delivery_id", []).fetchall()
    out = []
    for r in rows:
        state = "pending" if r[3] in ("pending", "failed") else r[3]
        if status is None or state == status:
            out.append({"delivery_id": r[0], "sink": r[1], "alert_ids": list(r[2]), "status": state,
                        "attempts": int(r[4] or 0), "last_try_at": r[5], "error": r[6], "created_at": r[7]})
    return {"deliveries": out[:limit]}
