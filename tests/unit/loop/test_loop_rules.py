"""Initiative statuses and key-result progress, card rules, and the typed settings of the loop."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from cxloop.config import load_settings
from cxloop.errors import ConfigError, Conflict, UsageError
from cxloop.loop.cards import CardRules, card_color, cards_from_incidents, cx_kpi
from cxloop.loop.initiatives import (
    attainment,
    check_transition,
    default_direction,
    elapsed_share,
    kr_status,
    next_review,
    parse_month,
)
from cxloop.loop.key_results import KeyResultQuery, comparison_for

RULES = CardRules(3, 5, 1, ("complaint",), ("escalation",), ("escalated",), (), 0.2, 10.0, 30.0)


def test_statuses_only_move_forward() -> None:
    check_transition("proposed", "active")
    check_transition("active", "done")
    check_transition("proposed", "dropped")
    with pytest.raises(Conflict, match="an initiative that is done cannot become active"):
        check_transition("done", "active")
    with pytest.raises(Conflict, match="next statuses: active, dropped"):
        check_transition("proposed", "done")
    with pytest.raises(UsageError, match="use one of proposed, active, done, dropped"):
        check_transition("proposed", "paused")


def test_progress_is_measured_against_baseline_target_and_elapsed_time() -> None:
    assert attainment(-37.5, -10.0, 0.0) == pytest.approx(27.5 / 37.5)
    assert attainment(0.49, 0.20, 0.10) == pytest.approx(0.29 / 0.39)  # a share going down
    assert kr_status(-37.5, 5.0, 0.0, "higher", 0.5) == "achieved"
    assert kr_status(0.49, 0.08, 0.10, "lower", 0.5) == "achieved"
    assert kr_status(-37.5, -10.0, 0.0, "higher", 0.5) == "on_track"
    assert kr_status(-37.5, -30.0, 0.0, "higher", 0.5) == "behind"
    assert kr_status(-37.5, None, 0.0, "higher", 0.5) == "no_data"
    assert kr_status(-37.5, -30.0, None, "higher", 0.5) == "no_target"
    assert elapsed_share(date(2026, 7, 1), date(2026, 12, 31), date(2026, 9, 30)) == pytest.approx(91 / 183)
    assert default_direction("mention_share") == "lower" and default_direction("nps") == "higher"


def test_months_and_reviews_are_calendar_months() -> None:
    assert parse_month("2026-10") == date(2026, 10, 1)
    assert next_review(date(2026, 12, 1), 5) == date(2027, 1, 5)
    with pytest.raises(UsageError, match="use a month like 2026-10"):
        parse_month("October")


def test_cards_turn_yellow_then_red_and_red_on_one_andon() -> None:
    assert card_color(2, 0, RULES) is None
    assert card_color(3, 0, RULES) == "yellow"
    assert card_color(5, 0, RULES) == "red"
    assert card_color(1, 1, RULES) == "red"
    incidents = pd.DataFrame({"incident_id": ["r1", "r2", "r3", "r4"], "kind": ["complaint"] * 3 + ["escalation"],
                              "team": ["A", "A", "A", "B"], "occurred_at": pd.Timestamp("2026-10-03"),
                              "channel": "hotline", "text": ["太差了", None, "投诉", "升级"]})
    cards = cards_from_incidents(incidents, "2026-10", RULES)
    assert [(c["team"], c["color"], c["incidents"]) for c in cards] == [("A", "yellow", 3)]
    assert [e["incident_id"] for e in cards[0]["evidence"]] == ["r1", "r2", "r3"]
    assert cx_kpi(70.0, "yellow", RULES)["performance_points"] == pytest.approx(0.2 * 60.0)
    assert cx_kpi(20.0, "red", RULES)["cx_score"] == 0.0


def _settings(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "cxloop.toml").write_text(text, encoding="utf-8")
    return load_settings(tmp_path)


def test_loop_settings_are_typed_and_unknown_keys_are_errors(tmp_path: Path) -> None:
    s = _settings(tmp_path, "[cards]\nyellow_at = 2\ncx_weight = 0.3\n[stars]\nmin_n = 10\n"
                            "[integrity]\nexclude_flagged = true\n")
    assert (s.cards.yellow_at, s.cards.cx_weight, s.stars.min_n, s.integrity.exclude_flagged) == (2, 0.3, 10, True)
    with pytest.raises(ConfigError, match=r"cards\.yelow_at: Extra inputs are not permitted"):
        _settings(tmp_path, "[cards]\nyelow_at = 2\n")
    with pytest.raises(ConfigError, match=r"stars\.metric"):
        _settings(tmp_path, "[stars]\nmetric = 'fcr'\n")


def test_the_kpi_tree_needs_one_root_known_parents_and_no_cycles(tmp_path: Path) -> None:
    ok = _settings(tmp_path, "[[kpis.nodes]]\nid='nps'\nname='NPS'\nmetric='nps'\ntarget=30\n"
                             "[[kpis.nodes]]\nid='csat'\nname='CSAT'\nmetric='csat'\nparent='nps'\nweight=0.4\n")
    assert [n.id for n in ok.kpis.nodes] == ["nps", "csat"]
    with pytest.raises(ConfigError, match="unknown parent"):
        _settings(tmp_path, "[[kpis.nodes]]\nid='nps'\nname='NPS'\nmetric='nps'\n"
                            "[[kpis.nodes]]\nid='x'\nname='X'\nmetric='csat'\nparent='nope'\n")
    with pytest.raises(ConfigError, match="exactly one root"):
        _settings(tmp_path, "[[kpis.nodes]]\nid='a'\nname='A'\nmetric='nps'\n"
                            "[[kpis.nodes]]\nid='b'\nname='B'\nmetric='nps'\n")


def test_the_default_comparison_group_is_the_other_untreated_products() -> None:
    q = KeyResultQuery("nps", None, {"product": ("V65",), "source": ("nps_survey",)})
    comp, desc = comparison_for(q, None, treated=("X5", "V65"))
    assert comp is not None and desc is not None
    assert comp.filters == {"source": ("nps_survey",)} and comp.exclude == {"product": ("V65", "X5")}
    assert desc["label"] == "other products" and desc["treated_elsewhere"] == ["X5"]
    stated, stated_desc = comparison_for(q, {"region": ("华东",)})
    assert stated is not None and stated.filters["region"] == ("华东",) and stated.exclude is None
    assert stated_desc is not None and stated_desc["label"] == "stated comparison group"
    assert comparison_for(KeyResultQuery("nps", None, {"source": ("s",)}), None) == (None, None)
