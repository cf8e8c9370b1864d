"""`cxloop alerts|holds|cases` on small workspaces: the Andon contract, incremental runs, the case
workflow, and clear errors for bad rules and illegal moves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

MAP = ["--channel", "ecommerce_review", "--kind", "complaint", "--map", "source_key=id", "--map", "phone=phone",
       "--map", "email=email", "--map", "occurred_at=when", "--map", "product=product", "--map", "text=text"]
HEAD = "id,phone,email,when,product,text\n"
ANDON = HEAD + """1,15100000001,,2025-05-10 09:00,Pad Air,充电口接触不良，充不进电
2,15100000002,,2025-05-11 10:00,Pad Air,充电口松了，插上线也充不了电
3,15100000003,,2025-05-12 11:00,Pad Air,刚买一周充电口就坏了，根本充不进去
4,15100000004,,2025-05-10 09:00,Watch S,表带断了，质量太差
5,15100000005,,2025-05-11 09:00,Watch S,表带用了三天就断，失望
"""


def _load(cli: Callable[..., Any], ws: Path, tmp_path: Path, text: str, name: str = "in.csv") -> dict[str, Any]:
    (tmp_path / name).write_text(text, encoding="utf-8")
    done = cli("ingest", tmp_path / name, *MAP, "-w", ws, "--format", "json")
    assert done.code == 0, done.stderr
    assert cli("enrich", "-w", ws).code == 0
    return dict(done.json())


def _run(cli: Callable[..., Any], ws: Path) -> dict[str, Any]:
    out = cli("alerts", "run", "-w", ws, "--format", "json")
    assert out.code == 0, out.stderr
    return dict(out.json())


def _on_hold(cli: Callable[..., Any], ws: Path) -> list[dict[str, Any]]:
    holds = cli("holds", "list", "-w", ws, "--format", "json").json()["holds"]
    return [h for h in holds if h["status"] == "on_hold"]


def test_three_customers_hold_the_product_two_do_not_and_a_second_run_is_empty(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    _load(cli, workspace, tmp_path, ANDON)
    first = _run(cli, workspace)
    andon = [a for a in first["alerts"] if a["kind"] == "andon"]
    assert [(a["product"], a["customers"], len(a["records"])) for a in andon] == [("Pad Air", 3, 3)]
    assert set(andon[0]) >= {"alert_id", "rule", "kind", "severity", "product", "topic", "customers", "records",
                             "occurred_at", "created_at", "status"}
    holds = _on_hold(cli, workspace)
    assert [(h["product"], h["customers"], len(h["evidence"])) for h in holds] == [("Pad Air", 3, 3)]
    assert "3" in holds[0]["reason"] and holds[0]["issue"].startswith("充电")
    comp = cli("cases", "list", "--origin", "andon", "-w", workspace, "--format", "json").json()["cases"]
    assert len(comp) == 3 and {c["product"] for c in comp} == {"Pad Air"} and all(c["priority"] == "high" for c in comp)
    assert _run(cli, workspace) | {"run_id": None} == {"alerts": [], "delivered": 0, "dead_letters": 0,
                                                       "holds": 0, "cases": 0, "run_id": None}


def test_two_customers_one_with_two_phones_on_three_records_are_not_held(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    rows = HEAD + """1,15100000001,same@x.cn,2025-05-10 09:00,Pad Air,充电口接触不良，充不进电
2,15100000009,same@x.cn,2025-05-11 10:00,Pad Air,充电口又松了，插上线也充不了电
3,15100000003,,2025-05-12 11:00,Pad Air,刚买一周充电口就坏了，根本充不进去
"""
    _load(cli, workspace, tmp_path, rows)
    _run(cli, workspace)
    assert _on_hold(cli, workspace) == []


def test_three_customers_more_than_a_window_apart_or_on_three_issues_are_not_held(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    rows = HEAD + """1,15100000001,,2025-05-01 09:00,Pad Air,充电口接触不良，充不进电
2,15100000002,,2025-05-05 10:00,Pad Air,充电口松了，插上线也充不了电
3,15100000003,,2025-05-12 11:00,Pad Air,刚买一周充电口就坏了，根本充不进去
4,15100000004,,2025-05-10 09:00,Watch S,表带断了，质量太差
5,15100000005,,2025-05-10 10:00,Watch S,屏幕碎了，质量太差
6,15100000006,,2025-05-10 11:00,Watch S,电池鼓包了，质量太差
"""
    _load(cli, workspace, tmp_path, rows)
    _run(cli, workspace)
    assert _on_hold(cli, workspace) == []


def test_later_reports_join_the_hold_and_a_release_needs_a_reason(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    _load(cli, workspace, tmp_path, ANDON)
    _run(cli, workspace)
    later = HEAD + "9,15100000008,,2025-05-13 08:00,Pad Air,充电口还是充不进电，第三次了\n"
    _load(cli, workspace, tmp_path, later, "later.csv")
    second = _run(cli, workspace)
    assert [a for a in second["alerts"] if a["kind"] == "andon"] == []
    hold = _on_hold(cli, workspace)[0]
    assert (hold["customers"], len(hold["evidence"])) == (4, 4)
    no_reason = cli("holds", "release", hold["hold_id"], "--reason", " ", "-w", workspace)
    assert no_reason.code == 2 and "requires --reason" in no_reason.stderr
    done = cli("holds", "release", hold["hold_id"], "--reason", "充电口供应商已更换", "--initiative", "INI-1",
               "-w", workspace, "--format", "json")
    assert done.code == 0 and done.json()["status"] == "released" and done.json()["initiative_id"] == "INI-1"
    twice = cli("holds", "release", hold["hold_id"], "--reason", "again", "-w", workspace)
    assert twice.code == 4 and "already released" in twice.stderr
    assert cli("holds", "list", "--status", "released", "-w", workspace, "--format", "json").json()["holds"]


def test_the_case_workflow_keeps_a_history_and_refuses_illegal_moves(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    _load(cli, workspace, tmp_path, ANDON)
    made = cli("cases", "create", "--title", "客户要求赔偿 <b>", "--customer", "15100000001", "--priority", "urgent",
               "--owner", "li", "-w", workspace, "--format", "json")
    assert made.code == 0, made.stderr
    case = made.json()
    assert (case["status"], case["priority"], case["owner"], case["origin"]) == ("new", "urgent", "li", "manual")
    assert case["customer_id"] and case["due_at"] > case["opened_at"]
    cid = case["case_id"]
    bad = cli("cases", "move", cid, "reopened", "-w", workspace, "--format", "json")
    assert bad.code == 2 and "allowed: in_progress, waiting_customer, resolved, closed" in bad.stderr
    assert cli("cases", "move", cid, "in_progress", "-w", workspace).code == 0
    assert cli("cases", "note", cid, "已致电客户", "-w", workspace).code == 0
    unclosed = cli("cases", "close", cid, "-w", workspace)
    assert unclosed.code == 2 and "requires root_cause_department and resolution_code" in unclosed.stderr
    closed = cli("cases", "close", cid, "--root-cause", "Logistics", "--resolution", "compensated", "-w", workspace,
                 "--format", "json").json()
    assert closed["status"] == "closed" and closed["root_cause_department"] == "Logistics"
    changes = [h["change"] for h in closed["history"]]
    assert changes[0] == "opened (manual)" and changes[-1].startswith("status in_progress -> closed")
    assert [h["status"] for h in closed["history"]] == ["new", "new", "in_progress", "in_progress", "closed"]
    assert all(h["actor"] for h in closed["history"])
    listed = cli("cases", "list", "--status", "closed", "-w", workspace, "--format", "json").json()["cases"]
    assert [c["case_id"] for c in listed] == [cid]
    assert cli("cases", "show", "CS-nope", "-w", workspace).code == 3


def test_a_bad_rule_is_a_clear_error_naming_the_key(cli: Callable[..., Any], workspace: Path) -> None:
    config = workspace / "cxloop.toml"
    base = config.read_text(encoding="utf-8")
    cut = base[: base.index("# Alert rules")]
    for rule, expect in (
        ('kind = "telepathy"', "alerts.rules.0"),
        ('kind = "threshold"\nmetric = "nps"\nbelow = 0\ncolour = "red"', "colour"),
        ('kind = "threshold"\nmetric = "happiness"\nbelow = 0', "unknown metric 'happiness'"),
        ('kind = "andon"\nsinks = ["pager"]', "unknown sink(s) pager"),
    ):
        config.write_text(cut + f'[alerts]\n[[alerts.rules]]\nname = "r"\n{rule}\n', encoding="utf-8")
        out = cli("alerts", "run", "-w", workspace)
        assert out.code == 4 and expect in out.stderr, (rule, out.stderr)
    config.write_text(cut + '[alerts.sinks.hook]\nkind = "webhook"\nurl = "http://127.0.0.1:9/x"\n'
                      'secret_env = "CX_NOT_SET_ANYWHERE"\n', encoding="utf-8")
    out = cli("alerts", "run", "-w", workspace)
    assert out.code == 4 and "CX_NOT_SET_ANYWHERE is not set" in out.stderr


def test_alerts_can_be_listed_acked_and_closed(cli: Callable[..., Any], workspace: Path, tmp_path: Path) -> None:
    _load(cli, workspace, tmp_path, ANDON)
    _run(cli, workspace)
    listed = cli("alerts", "list", "--rule", "andon", "-w", workspace, "--format", "json").json()["alerts"]
    assert len(listed) == 1 and listed[0]["status"] == "open"
    aid = listed[0]["alert_id"]
    assert cli("alerts", "ack", aid, "-w", workspace, "--format", "json").json()["status"] == "acked"
    assert cli("alerts", "list", "--status", "acked", "-w", workspace, "--format", "json").json()["alerts"]
    assert cli("alerts", "close", aid, "-w", workspace, "--format", "json").json()["status"] == "closed"
    again = cli("alerts", "ack", aid, "-w", workspace)
    assert again.code == 4 and "already closed" in again.stderr


def test_cases_open_from_an_alert_or_a_complaint_record_take_their_facts(
    cli: Callable[..., Any], workspace: Path, tmp_path: Path,
) -> None:
    _load(cli, workspace, tmp_path, ANDON)
    _run(cli, workspace)
    alert = cli("alerts", "list", "--rule", "andon", "-w", workspace, "--format", "json").json()["alerts"][0]
    case = cli("cases", "create", "--from-alert", alert["alert_id"], "-w", workspace, "--format", "json").json()
    assert (case["origin"], case["origin_ref"], case["product"]) == ("alert", alert["alert_id"], "Pad Air")
    assert case["title"] == alert["title"] and sorted(case["records"]) == sorted(alert["records"])
    record = alert["records"][0]
    from_record = cli("cases", "create", "--from-record", record, "-w", workspace, "--format", "json").json()
    assert (from_record["origin"], from_record["records"], from_record["product"]) == ("complaint", [record], "Pad Air")
    assert from_record["customer_id"] and "充" in from_record["title"]
    missing = cli("cases", "create", "--from-alert", "AL-nope", "-w", workspace)
    assert missing.code == 3 and "alert 'AL-nope' not found" in missing.stderr
