"""Alert delivery against real receivers on loopback: a webhook that fails twice then succeeds (delivered
once), one that always fails (a dead letter until it is back), one that hangs (timeout), an SMTP server
(zh e-mail, hostile text escaped, digests) and one that is down. The receivers check the HMAC themselves."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CSV = """id,phone,when,product,text
1,15100000001,2026-10-10 09:00,Pad Air,充电口接触不良，充不进电
2,15100000002,2026-10-11 10:00,Pad Air,充电口松了，插上线也充不了电
3,15100000003,2026-10-12 11:00,Pad Air,刚买一周充电口就坏了，根本充不进去
"""
HOSTILE = ("7,15100000007,2026-10-12 12:00,Watch S,"
           "<script>alert(1)</script>'; DROP TABLE records; -- 垃圾，退货！12315\n")
MAP = ["--channel", "ecommerce_review", "--kind", "complaint", "--map", "source_key=id", "--map", "phone=phone",
       "--map", "occurred_at=when", "--map", "product=product", "--map", "text=text"]


def _configure(ws: Path, alerts_toml: str) -> None:
    config = ws / "cxloop.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[: text.index("# Alert rules")] + alerts_toml, encoding="utf-8")


def _load(cli: Callable[..., Any], ws: Path, tmp_path: Path, rows: str = CSV) -> None:
    (tmp_path / "in.csv").write_text(rows, encoding="utf-8")
    assert cli("ingest", tmp_path / "in.csv", *MAP, "-w", ws, "--format", "json").code == 0
    assert cli("enrich", "-w", ws).code == 0


def _andon(sinks: str, sinks_toml: str) -> str:
    return f"""[alerts]
deliver_recent_days = 7
[[alerts.rules]]
name = "andon"
kind = "andon"
compensation_cases = false
sinks = [{sinks}]
{sinks_toml}"""


def _hook(name: str, url: str, retries: int, timeout: float = 5.0) -> str:
    return (f'[alerts.sinks.{name}]\nkind = "webhook"\nurl = "{url}"\nsecret_env = "CX_HOOK_SECRET"\n'
            f"retries = {retries}\nbackoff_s = 0.01\ntimeout_s = {timeout}\n")


def test_webhooks_retry_then_deliver_once_and_dead_letters_wait_for_redeliver(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path, http_receiver: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CX_HOOK_SECRET", "s3cret")
    with http_receiver() as flaky, http_receiver() as down:
        flaky.fail_first = 2
        down.mode = "fail"
        _configure(workspace, _andon('"flaky", "down"', _hook("flaky", flaky.url, 3) + _hook("down", down.url, 1)))
        _load(cli, workspace, tmp_path)
        first = cli("alerts", "run", "-w", workspace, "--format", "json")
        assert first.code == 0, first.stderr
        out = first.json()
        assert [a["product"] for a in out["alerts"]] == ["Pad Air"] and out["alerts"][0]["status"] == "open"
        assert (out["delivered"], out["dead_letters"]) == (1, 1)
        assert flaky.attempts == 3 and len(flaky.received) == 1 and flaky.received[0].signature_ok
        body = json.loads(flaky.received[0].body)
        assert body["alert"]["alert_id"] == out["alerts"][0]["alert_id"] and body["alert"]["customers"] == 3
        assert flaky.received[0].headers["X-Cxloop-Delivery"] == body["delivery_id"]
        assert down.attempts == 2 and down.received == []

        dead = cli("alerts", "deliveries", "--status", "dead", "-w", workspace, "--format", "json").json()
        assert [d["sink"] for d in dead["deliveries"]] == ["down"] and "HTTP 503" in dead["deliveries"][0]["error"]

        again = cli("alerts", "run", "-w", workspace, "--format", "json").json()
        assert (again["alerts"], again["delivered"], again["dead_letters"]) == ([], 0, 0)
        assert down.attempts == 2  # a run does not retry dead letters by itself

        down.mode = "ok"
        redo = cli("alerts", "redeliver", "-w", workspace, "--format", "json").json()
        assert (redo["tried"], redo["delivered"], redo["dead_letters"]) == (1, 1, 0)
        assert len(down.received) == 1 and down.received[0].signature_ok
        assert cli("alerts", "redeliver", "-w", workspace, "--format", "json").json()["tried"] == 0
        assert len(flaky.received) == 1 and len(down.received) == 1  # nothing was sent twice


def test_a_hanging_receiver_times_out_into_a_dead_letter(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path, http_receiver: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CX_HOOK_SECRET", "s3cret")
    with http_receiver() as slow:
        slow.mode, slow.hang_s = "hang", 2.0
        _configure(workspace, _andon('"slow"', _hook("slow", slow.url, 0, timeout=0.3)))
        _load(cli, workspace, tmp_path)
        out = cli("alerts", "run", "-w", workspace, "--format", "json").json()
        assert (out["delivered"], out["dead_letters"]) == (0, 1)
        dead = cli("alerts", "deliveries", "--status", "dead", "-w", workspace, "--format", "json").json()
        assert "no answer within 0.3 s" in dead["deliveries"][0]["error"]


def test_committed_alerts_are_delivered_by_the_next_run_when_delivery_did_not_happen(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path, http_receiver: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--no-deliver` leaves the state a crash after the commit would: the next run sends it, once."""
    monkeypatch.setenv("CX_HOOK_SECRET", "s3cret")
    with http_receiver() as hook:
        _configure(workspace, _andon('"hook"', _hook("hook", hook.url, 0)))
        _load(cli, workspace, tmp_path)
        stored = cli("alerts", "run", "--no-deliver", "-w", workspace, "--format", "json").json()
        assert len(stored["alerts"]) == 1 and stored["delivered"] == 0 and hook.attempts == 0
        later = cli("alerts", "run", "-w", workspace, "--format", "json").json()
        assert (later["alerts"], later["delivered"]) == ([], 1) and len(hook.received) == 1
        assert cli("alerts", "run", "-w", workspace, "--format", "json").json()["delivered"] == 0
        assert len(hook.received) == 1


def _mail(port: int, digest: bool = False) -> str:
    return (f'[alerts.sinks.mail]\nkind = "email"\nhost = "127.0.0.1"\nport = {port}\nsender = "cx@example.com"\n'
            f'to = ["cx@example.com"]\ndepartments = {{ Quality = ["quality@example.com"] }}\nlanguage = "zh"\n'
            f"digest = {'true' if digest else 'false'}\nretries = 1\nbackoff_s = 0.01\ntimeout_s = 2\n")


def test_email_in_chinese_with_hostile_text_escaped(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path, smtp_server: Any,
) -> None:
    port, messages = smtp_server
    rules = _andon('"mail"', _mail(port)) + '[[alerts.rules]]\nname = "churn"\nkind = "churn_risk"\nsinks = ["mail"]\n'
    _configure(workspace, rules)
    _load(cli, workspace, tmp_path, CSV + HOSTILE)
    out = cli("alerts", "run", "-w", workspace, "--format", "json").json()
    assert out["delivered"] == 2 and out["dead_letters"] == 0 and len(messages) == 2
    by_rule = {m["Subject"]: m for m in messages}
    andon = next(m for s, m in by_rule.items() if "Andon" in s)
    assert "Andon 停售：Pad Air" in andon["Subject"] and "quality@example.com" in andon["To"]
    churn = next(m for s, m in by_rule.items() if "流失" in s)
    html = next(p for p in churn.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    plain = next(p for p in churn.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "<script>" not in html and "&lt;script&gt;" in html and "DROP TABLE" in html
    assert "<script>alert(1)</script>" in plain


def test_a_digest_sends_one_message_per_run(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path, smtp_server: Any,
) -> None:
    port, messages = smtp_server
    rules = _andon('"mail"', _mail(port, digest=True))
    rules += '[[alerts.rules]]\nname = "churn"\nkind = "churn_risk"\nsinks = ["mail"]\n'
    _configure(workspace, rules)
    _load(cli, workspace, tmp_path, CSV + HOSTILE)
    out = cli("alerts", "run", "-w", workspace, "--format", "json").json()
    assert len(out["alerts"]) == 2 and out["delivered"] == 1 and len(messages) == 1
    assert messages[0]["Subject"] == "[cxloop] cxloop 告警汇总 (2)"


def test_an_smtp_server_that_is_down_leaves_a_dead_letter_with_the_reason(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _configure(workspace, _andon('"mail"', _mail(port)))
    _load(cli, workspace, tmp_path)
    out = cli("alerts", "run", "-w", workspace, "--format", "json")
    assert out.code == 0 and (out.json()["delivered"], out.json()["dead_letters"]) == (0, 1)
    dead = cli("alerts", "deliveries", "--status", "dead", "-w", workspace, "--format", "json").json()
    assert f"SMTP 127.0.0.1:{port}" in dead["deliveries"][0]["error"]
    assert len(cli("alerts", "list", "-w", workspace, "--format", "json").json()["alerts"]) == 1  # kept in-app
