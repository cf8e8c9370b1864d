"""The demo's planted truths through the management loop (read from ground_truth.json):

- an initiative on the planted pain point with the planted fix date reproduces the planted before/after
  mention share and NPS exactly, with n; the mention share falls significantly while the NPS change, at
  these sample sizes, is reported as not significant; its difference-in-differences uses the other
  products' planted NPS; a product without a fix shows no significant effect;
- the planted gamed agent is flagged for begging with chat evidence in every month it begged, is not
  eligible in `stars` in those months, and no more than one other agent is flagged for begging;
- `--exclude-flagged` reports how many responses it left out.

The pain point's topic is declared by its wording (a workspace topic with a pattern for installation
waiting, as an analyst does when opening an initiative on one pain point); the shipped taxonomy alone
files these texts under several topics or none. 10,000 records keep the NPS samples small (26 and 24
answers for seed 7): that is the size at which the planted NPS change cannot be told from chance.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cxloop.app import Workspace
from cxloop.app import initiatives_service as ini
from cxloop.app import integrity_service as integ
from cxloop.app import metrics_service as metrics
from cxloop.app.alerts_service import run_alerts
from cxloop.app.andon_service import list_holds
from cxloop.app.cards_service import list_cards, run_cards
from cxloop.app.cases_service import close_case, list_cases
from cxloop.app.demo_service import SummarySection, build_demo
from cxloop.app.stars_service import compute_stars
from cxloop.app.text_catalog_service import import_topics
from cxloop.app.text_service import enrich

pytestmark = pytest.mark.slow

RECORDS = 10_000
SEED = 7
TOPIC = """[[topics]]
topic_id = "installation.wait"
parent_id = "installation"
name_zh = "安装等待"
name_en = "Waiting for installation"
owner_department = "Installation Service"
pattern = "PATTERN"
"""
# installation waiting in any word order: installing ... waiting / no-show / rescheduled, waiting ... install,
# chasing or booking an installation
PATTERN = ("(装|安装).{0,12}(等|没人|没来|排期|排队|干等|改.{0,2}次)|(等|没人来|排期|排队).{0,10}装(?!修)"
           "|(催|约|预约).{0,4}安装|安装预约")


@dataclass
class Demo:
    ws: Workspace
    truth: dict[str, Any]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    root = tmp_path_factory.mktemp("manage")
    topic = root / "topic.toml"
    topic.write_text(TOPIC.replace("PATTERN", PATTERN), encoding="utf-8")
    out = build_demo(root / "ws", records=RECORDS, seed=SEED, sections=[
        SummarySection("topic", lambda ws: import_topics(ws, topic)),
        SummarySection("enrichment", lambda ws: enrich(ws, jobs=2)),
    ])
    assert "error" not in out["summary"]["enrichment"], out["summary"]
    truth = json.loads(Path(out["ground_truth"]).read_text(encoding="utf-8"))
    ws = Workspace.open(root / "ws")
    integ.run_integrity(ws)
    run_alerts(ws, actor="test", deliver=False)
    yield Demo(ws, truth)
    ws.close()


def _initiative(d: Demo, product: str) -> dict[str, Any]:
    fix = d.truth["pain_point_fix"]
    made = ini.create_initiative(d.ws, title=f"安装等待 · {product}", owner_department="Installation Service",
                                 product=product, topic="installation.wait", change_date=fix["fix_date"])
    where = [f"source={fix['source']}", f"product={product}"]
    ini.add_key_result(d.ws, made["initiative_id"], metric="mention_share", topic="installation.wait", where=where,
                       target=0.1)
    ini.add_key_result(d.ws, made["initiative_id"], metric="nps", where=where, target=0)
    shown = ini.show_initiative(d.ws, made["initiative_id"])
    return {k["metric"]: k for k in shown["key_results"]}


def _last_initiative(d: Demo) -> str:
    return str(ini.list_initiatives(d.ws)["initiatives"][-1]["initiative_id"])


def test_the_planted_fix_reproduces_the_planted_figures(demo: Demo) -> None:
    fix = demo.truth["pain_point_fix"]
    krs = _initiative(demo, fix["product"])
    share, nps = krs["mention_share"]["effect"], krs["nps"]["effect"]
    assert round(share["before"]["value"], 4) == fix["mention_share_before"]
    assert round(share["after"]["value"], 4) == fix["mention_share_after"]
    assert round(nps["before"]["value"], 2) == fix["nps_before"]
    assert round(nps["after"]["value"], 2) == fix["nps_after"]
    assert (nps["before"]["n"], nps["after"]["n"]) == (fix["responses_before"], fix["responses_after"])
    assert nps["before"]["ci_low"] < nps["before"]["value"] < nps["before"]["ci_high"]
    # the topic's share falls significantly; the NPS change is not significant at these sizes, and says so
    assert share["significant"] is True and share["difference"] < 0 and share["p_value"] < 0.05
    assert nps["significant"] is False and nps["p_value"] >= 0.05
    assert nps["verdict"].startswith("not significant increase")
    assert "cannot tell this change from chance" in nps["verdict"]
    # difference-in-differences against the other products, whose before/after NPS are the planted ones
    did = nps["did"]
    assert round(did["comparison_before"]["value"], 2) == fix["other_products_nps_before"]
    assert round(did["comparison_after"]["value"], 2) == fix["other_products_nps_after"]
    assert did["estimate"] == pytest.approx(
        (nps["after"]["value"] - nps["before"]["value"]) - (did["comparison_after"]["value"]
                                                            - did["comparison_before"]["value"]))
    worth = share["nps_worth"]
    assert round(worth["nps_mentioners_before"], 2) == fix["nps_mentioners_before"]
    assert round(worth["nps_others_before"], 2) == fix["nps_non_mentioners_before"]


def test_a_product_without_a_fix_shows_no_significant_effect(demo: Demo) -> None:
    fix = demo.truth["pain_point_fix"]
    rows = demo.ws.con.execute(
        "SELECT product FROM records WHERE source = ? AND product <> ? AND nps IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1", [fix["source"], fix["product"]]).fetchall()
    krs, made = _initiative(demo, rows[0][0]), _last_initiative(demo)
    for metric in ("nps", "mention_share"):
        effect = krs[metric]["effect"]
        assert effect["significant"] is False, (metric, effect["verdict"])
        assert effect["verdict"].startswith(("not significant", "no effect measured"))
        # the planted product, changed by its own initiative, is no control for this one
        did = effect["did"]
        assert did["comparison"]["treated_elsewhere"] == [fix["product"]]
        assert did["significant"] is False, did
    ini.close_initiative(demo.ws, made, status="dropped")  # no longer a treated product for the others


def test_the_gamed_agent_is_flagged_with_chat_evidence_and_not_a_star(demo: Demo) -> None:
    gamed = demo.truth["gamed_agent"]
    flags = integ.list_flags(demo.ws, kind="score_begging")["flags"]
    mine = [f for f in flags if f["agent_id"] == gamed["agent_id"]]
    months = sorted(f["month"] for f in mine)
    assert months == [f"2026-{m:02d}" for m in range(5, 11)]  # it begged in every month of the demo
    others = {f["agent_id"] for f in flags} - {gamed["agent_id"]}
    assert len(others) <= 1
    for f in mine:
        assert f["team"] == gamed["team"] and f["evidence"]["channel"] == "chat"
        said = " ".join(f["evidence"]["phrases"])
        assert any(p in said for p in gamed["begging_phrases_family"]), said
        assert f["evidence"]["rate"] > 20 * f["evidence"]["peer_rate"]
        stars = compute_stars(demo.ws, month=f["month"], level="agent")["stars"]
        (row,) = [r for r in stars if r["agent_id"] == gamed["agent_id"]]
        assert row["eligible"] is False and row["excluded_reason"] == "integrity" and row["rank"] is None


def test_metrics_report_how_many_flagged_responses_they_left_out(demo: Demo) -> None:
    gamed = demo.truth["gamed_agent"]
    plain = metrics.compute_metric(demo.ws, {"metric": "csat", "where": ["source=chat"]})
    excl = metrics.compute_metric(demo.ws, {"metric": "csat", "where": ["source=chat"]}, exclude_flagged=True)
    assert excl["excluded_flagged"] > 0
    assert plain["rows"][0]["n"] - excl["rows"][0]["n"] == excl["excluded_flagged"]
    where = ["source=chat", f"agent_id={gamed['agent_id']}"]
    mine = metrics.compute_metric(demo.ws, {"metric": "csat", "where": where}, exclude_flagged=True)
    assert [r["n"] for r in mine["rows"]] in ([0], [])  # every chat answer of the begging months is left out


def test_an_andon_hold_carded_to_its_root_cause_and_released_by_its_initiative(demo: Demo) -> None:
    """The planted defect's hold: its cases closed with a root-cause department give that department a
    red card (one Andon incident), and an initiative linked to the hold releases it when done."""
    product = demo.truth["andon"]["product"]
    (hold,) = [h for h in list_holds(demo.ws, status="on_hold", product=product)["holds"]
               if any(s in h["issue"] for s in demo.truth["andon"]["issue_stems"])][:1]
    cases = [c for c in list_cases(demo.ws, origin="andon", limit=1000)["cases"]
             if c.get("origin_ref") == hold["hold_id"]]
    assert cases
    for c in cases:
        close_case(demo.ws, c["case_id"], root_cause_department="Supplier Quality", resolution_code="fixed",
                   actor="test")
    opened = hold["opened_at"].replace(tzinfo=UTC).astimezone(ZoneInfo(demo.ws.settings.timezone))  # naive UTC
    month = opened.strftime("%Y-%m")
    out = run_cards(demo.ws, month=month)
    (card,) = [c for c in out["cards"] if c["team"] == "Supplier Quality"]
    assert card["color"] == "red" and card["andon"] == 1 and card["incidents"] == 1
    assert card["evidence"][0]["incident_id"] == hold["hold_id"] and card["evidence"][0]["kind"] == "andon"
    assert list_cards(demo.ws, team="Supplier Quality")["cards"][0]["card_id"] == card["card_id"]
    made = ini.create_initiative(demo.ws, title="触点氧化", owner_department="Supplier Quality", product=product)
    ini.link_initiative(demo.ws, made["initiative_id"], holds=[hold["hold_id"]])
    ini.update_initiative(demo.ws, made["initiative_id"], status="active")
    closed = ini.close_initiative(demo.ws, made["initiative_id"], reason="new supplier")
    assert closed["released_holds"] == [hold["hold_id"]]
    (after,) = [h for h in list_holds(demo.ws, product=product)["holds"] if h["hold_id"] == hold["hold_id"]]
    assert after["status"] == "released" and after["initiative_id"] == made["initiative_id"]
