"""Managing by the loop through the CLI on a small constructed workspace: integrity flags, CX stars,
`--exclude-flagged`, red/yellow cards, initiatives with their effect, the KPI tree — exact JSON shapes,
values checked against hand computations, and the errors' exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

MONTHS = ("2026-08", "2026-09", "2026-10")
AGENTS = [f"C{i}" for i in range(1, 11)]
STAFF_PHONE = "13900000001"  # agent C1's own phone
CHAT = ["--source", "chat", "--channel", "chat", "--kind", "chat", "--map", "occurred_at=time",
        "--map", "agent_id=agent", "--map", "team=team", "--map", "csat=csat", "--map", "text=text",
        "--map", "phone=phone"]
SURVEY = ["--source", "survey", "--channel", "survey", "--kind", "survey_response", "--map", "occurred_at=time",
          "--map", "phone=phone", "--map", "nps=score", "--map", "product=product", "--map", "text=comment"]
COMPLAINTS = ["--source", "complaints", "--channel", "hotline", "--kind", "complaint", "--map", "occurred_at=time",
              "--map", "team=team", "--map", "text=text", "--map", "phone=phone"]


def _chats(path: Path) -> Path:
    """40 chats per agent and month; C9 asks for a top score in 24 of them (and gets 5s)."""
    rows = ["time,agent,team,csat,text,phone"]
    i = 0
    for month in MONTHS:
        for a, agent in enumerate(AGENTS):
            team = "在线一组" if a < 5 else "在线二组"
            for j in range(40):
                i += 1
                day = 1 + j % 28
                begs = agent == "C9" and j % 5 < 3
                line = "客服：亲，麻烦稍后给个五星呀" if begs else "客服：好的，已为您登记"
                csat = 5 if begs else 1 + (i * 7 + a) % 5
                rows.append(f"{month}-{day:02d} 10:{j:02d},{agent},{team},{csat},客户：还没到 | {line},1380000{i:04d}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _survey(path: Path) -> Path:
    """NPS on products A and B; A improves from 2026-09-15 (the change date), B does not."""
    rows = ["time,phone,score,product,comment"]
    before_a, after_a, b_scores = [0, 3, 6, 9, 10, 2], [9, 10, 8, 10, 6, 9], [9, 3, 7, 10, 5, 8]
    n = 0
    for day in range(1, 29):
        for month, a_scores in (("2026-08", before_a), ("2026-09", before_a if day < 15 else after_a),
                                ("2026-10", after_a)):
            n += 1
            rows.append(f"{month}-{day:02d} 09:00,1500000{n:04d},{a_scores[day % 6]},A,ok")
            n += 1
            rows.append(f"{month}-{day:02d} 09:30,1500000{n:04d},{b_scores[day % 6]},B,ok")
    rows.append(f"2026-09-20 11:00,{STAFF_PHONE},10,A,很好")  # the agent answering its own survey
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _complaints(path: Path) -> Path:
    rows = ["time,team,text,phone"]
    rows += [f"2026-10-{d:02d} 15:00,热线二组,投诉{d}：态度差,1370000{d:04d}" for d in range(1, 7)]
    rows += [f"2026-10-{d:02d} 16:00,热线一组,投诉：等太久,1360000{d:04d}" for d in range(1, 3)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def ws(cli, workspace, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    config = workspace / "cxloop.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[stars]\nmin_n = 20\nmetric = "csat"\n'
                      f'\n[integrity]\nstaff_identifiers = {{ C1 = ["{STAFF_PHONE}"] }}\n'
                      '\n[[kpis.nodes]]\nid = "nps"\nname = "NPS"\nmetric = "nps"\ntarget = 20\nowner = "CX"\n'
                      '\n[[kpis.nodes]]\nid = "csat"\nname = "CSAT"\nmetric = "csat"\nparent = "nps"\nweight = 0.5\n'
                      'target = 10\nowner = "Service"\n', encoding="utf-8")
    for maker, args in ((_chats, CHAT), (_survey, SURVEY), (_complaints, COMPLAINTS)):
        result = cli("ingest", maker(tmp_path / f"{maker.__name__}.csv"), *args, "-w", workspace, "-f", "json")
        assert result.code == 0, result.stderr
    return workspace


def _json(cli, *args: Any) -> Any:  # type: ignore[no-untyped-def]
    result = cli(*args, "-f", "json")
    assert result.code == 0, result.stderr
    return result.json()


def test_integrity_flags_the_begging_agent_and_the_staff_response(cli, ws) -> None:  # type: ignore[no-untyped-def]
    run = _json(cli, "integrity", "run", "-w", ws)
    assert run["by_kind"]["score_begging"] == 3
    assert run["false_positive_rate"]["family_wise_alpha"] == 0.01
    flags = _json(cli, "integrity", "list", "--kind", "score_begging", "-w", ws)["flags"]
    assert {f["agent_id"] for f in flags} == {"C9"} and [f["month"] for f in flags] == list(MONTHS)
    f = flags[0]
    assert list(f)[:4] == ["flag_id", "kind", "agent_id", "team"]
    assert set(f) >= {"flag_id", "kind", "agent_id", "team", "records", "evidence", "severity"}
    assert f["team"] == "在线二组" and f["severity"] == "high"
    assert f["evidence"]["begging_conversations"] == 24 and f["evidence"]["conversations"] == 40
    assert f["evidence"]["phrases"] == {"麻烦稍后给个五星": 24}
    assert len(f["records"]) == 40  # the agent's scored responses that month
    own = _json(cli, "integrity", "list", "--kind", "own_identifier", "-w", ws)["flags"]
    assert [(o["agent_id"], o["month"], len(o["records"])) for o in own] == [("C1", "2026-09", 1)]


def test_stars_rank_on_shrunk_scores_and_exclude_the_flagged_agent(cli, ws) -> None:  # type: ignore[no-untyped-def]
    cli("integrity", "run", "-w", ws)
    data = _json(cli, "stars", "--month", "2026-09", "--level", "agent", "-w", ws)
    rows = data["stars"]
    assert set(rows[0]) == {"rank", "agent_id", "team", "score", "n", "shrunk", "ci_low", "ci_high", "eligible",
                            "excluded_reason"}
    by = {r["agent_id"]: r for r in rows}
    assert by["C9"]["eligible"] is False and by["C9"]["excluded_reason"] == "integrity" and by["C9"]["rank"] is None
    assert by["C1"]["excluded_reason"] == "integrity"  # answered its own survey that month
    ranked = [r for r in rows if r["rank"] is not None]
    assert [r["rank"] for r in ranked] == list(range(1, 9))
    assert all(r["n"] == 40 for r in ranked)
    team = _json(cli, "stars", "--month", "2026-09", "--level", "team", "-w", ws)["stars"]
    assert {r["team"] for r in team} == {"在线一组", "在线二组"} and "agent_id" not in team[0]


def test_exclude_flagged_reports_what_it_left_out(cli, ws) -> None:  # type: ignore[no-untyped-def]
    cli("integrity", "run", "-w", ws)
    plain = _json(cli, "metrics", "csat", "--where", "source=chat", "-w", ws)
    excl = _json(cli, "metrics", "csat", "--where", "source=chat", "--exclude-flagged", "-w", ws)
    assert plain["excluded_flagged"] == 0 and plain["exclude_flagged"] is False
    assert excl["exclude_flagged"] is True
    assert excl["excluded_flagged"] == 120  # C9's chats of three months (C1's flag covers a survey answer)
    assert plain["rows"][0]["n"] - excl["rows"][0]["n"] == excl["excluded_flagged"]
    assert any("left out" in n for n in excl["notes"])


def test_a_team_over_the_threshold_gets_a_card_listing_its_incidents(cli, ws) -> None:  # type: ignore[no-untyped-def]
    data = _json(cli, "cards", "run", "--month", "2026-10", "-w", ws)
    assert [(c["team"], c["color"], c["incidents"]) for c in data["cards"]] == [("热线二组", "red", 6)]
    card = data["cards"][0]
    assert [e["text"] for e in card["evidence"]] == [f"投诉{d}：态度差" for d in range(1, 7)]
    assert {e["kind"] for e in card["evidence"]} == {"complaint"}
    teams = {t["team"]: t for t in data["teams"]}
    assert teams["热线一组"]["incidents"] == 2 and teams["热线一组"]["card"] is None
    assert teams["在线一组"]["cx_weight"] == 0.2 and teams["在线一组"]["performance_points"] is not None
    listed = _json(cli, "cards", "list", "--team", "热线二组", "-w", ws)["cards"]
    assert [c["card_id"] for c in listed] == [card["card_id"]] and len(listed[0]["evidence"]) == 6


def _nps(scores: list[int]) -> float:
    return 100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_an_initiative_measures_its_key_result_before_and_after(cli, ws) -> None:  # type: ignore[no-untyped-def]
    init = _json(cli, "initiatives", "create", "--title", "A 产品改进", "--owner-dept", "Quality", "--dept", "Service",
                 "--change-date", "2026-09-15", "--product", "A", "-w", ws)
    iid = init["initiative_id"]
    assert iid == "INI-0001" and init["status"] == "proposed" and init["departments"] == ["Quality", "Service"]
    kr = _json(cli, "initiatives", "kr", "add", iid, "--metric", "nps", "--where", "product=A", "--where",
               "source=survey", "--target", "40", "--due", "2026-12-31", "-w", ws)
    assert kr["kr_id"] == "KR-0001" and kr["baseline_window"] == {"from": "2026-06-17", "to": "2026-09-14"}
    before = [[0, 3, 6, 9, 10, 2][d % 6] for d in range(1, 29)] + [[0, 3, 6, 9, 10, 2][d % 6] for d in range(1, 15)]
    a_after = [9, 10, 8, 10, 6, 9]
    after = [a_after[d % 6] for d in range(15, 29)] + [10] + [a_after[d % 6] for d in range(1, 29)]
    assert kr["baseline"] == pytest.approx(_nps(before)) and kr["baseline_n"] == len(before)
    shown = _json(cli, "initiatives", "show", iid, "-w", ws)
    assert set(shown) >= {"initiative_id", "status", "change_date", "key_results"}
    k = shown["key_results"][0]
    assert set(k) >= {"kr_id", "metric", "topic", "where", "baseline", "current", "target", "effect"}
    eff = k["effect"]
    assert set(eff) >= {"before", "after", "difference", "ci_low", "ci_high", "p_value", "significant", "did"}
    assert (eff["before"]["value"], eff["before"]["n"]) == (pytest.approx(_nps(before)), len(before))
    assert (eff["after"]["value"], eff["after"]["n"]) == (pytest.approx(_nps(after)), len(after))
    assert eff["difference"] == pytest.approx(_nps(after) - _nps(before)) and eff["significant"] is True
    b = [9, 3, 7, 10, 5, 8]
    b_before = [b[d % 6] for d in range(1, 29)] + [b[d % 6] for d in range(1, 15)]
    b_after = [b[d % 6] for d in range(15, 29)] + [b[d % 6] for d in range(1, 29)]
    did = eff["did"]
    assert did["comparison"]["label"] == "other products"
    assert did["comparison_before"]["value"] == pytest.approx(_nps(b_before))
    assert did["comparison_change"] == pytest.approx(_nps(b_after) - _nps(b_before))
    assert did["estimate"] == pytest.approx(eff["difference"] - did["comparison_change"])
    assert k["current_month"] == "2026-10" and k["status"] == "achieved"
    progress = _json(cli, "initiatives", "progress", iid, "--month", "2026-10", "-w", ws)
    assert progress["initiatives"][0]["next_review"] == "2026-11-01"
    listed = _json(cli, "initiatives", "list", "-w", ws)["initiatives"]
    assert [(i["initiative_id"], i["key_results"]) for i in listed] == [(iid, 1)]
    _json(cli, "initiatives", "update", iid, "--status", "active", "-w", ws)
    closed = _json(cli, "initiatives", "close", iid, "--reason", "fixed", "-w", ws)
    assert closed["status"] == "done" and closed["released_holds"] == []


def test_initiative_errors_are_one_line_with_their_exit_code(cli, ws) -> None:  # type: ignore[no-untyped-def]
    made = _json(cli, "initiatives", "create", "--title", "t", "--owner-dept", "d", "-w", ws)
    bad = cli("initiatives", "kr", "add", made["initiative_id"], "--metric", "happiness", "-w", ws)
    assert bad.code == 2 and bad.stderr.startswith("error: --metric 'happiness': use one of nps, csat")
    topicless = cli("initiatives", "kr", "add", made["initiative_id"], "--metric", "mention_share", "-w", ws)
    assert topicless.code == 2 and "needs --topic" in topicless.stderr
    missing = cli("initiatives", "show", "INI-9999", "-w", ws)
    assert missing.code == 3 and missing.stderr.strip() == (
        "error: initiative 'INI-9999' not found; list them with 'cxloop initiatives list'")
    done = cli("initiatives", "close", made["initiative_id"], "-w", ws)
    assert done.code == 4 and "cannot become done" in done.stderr
    assert len(cli("initiatives", "close", made["initiative_id"], "--status", "dropped", "-w", ws).stderr) == 0


def test_the_kpi_tree_reports_values_targets_and_status(cli, ws) -> None:  # type: ignore[no-untyped-def]
    data = _json(cli, "kpis", "tree", "--month", "2026-10", "-w", ws)
    root = data["tree"]
    assert data["declared"] is True and root["id"] == "nps" and root["target"] == 20
    a, b = [9, 10, 8, 10, 6, 9], [9, 3, 7, 10, 5, 8]
    october = [a[d % 6] for d in range(1, 29)] + [b[d % 6] for d in range(1, 29)]
    assert root["value"] == pytest.approx(_nps(october)) and root["n"] == 56
    assert root["status"] in ("on_target", "at_risk", "off_target")
    (child,) = root["children"]
    assert child["id"] == "csat" and child["weight"] == 0.5 and child["owner"] == "Service"
    assert set(root["trend"]) == {"previous", "previous_n", "difference", "p_value", "direction"}


def test_every_command_prints_a_table_for_people(cli, ws) -> None:  # type: ignore[no-untyped-def]
    iid = _json(cli, "initiatives", "create", "--title", "A", "--owner-dept", "Q", "--change-date", "2026-09-15",
                "--product", "A", "-w", ws)["initiative_id"]
    _json(cli, "initiatives", "kr", "add", iid, "--metric", "nps", "--where", "product=A", "-w", ws)
    for args in (("integrity", "run"), ("integrity", "list"), ("stars", "--month", "2026-09"),
                 ("cards", "run", "--month", "2026-10"), ("cards", "list"), ("kpis", "tree"),
                 ("initiatives", "list"), ("initiatives", "show", iid), ("initiatives", "progress")):
        result = cli(*args, "-w", ws)
        assert result.code == 0, (args, result.stderr)
        assert result.stdout.strip(), args
