"""Integrity checks: the begging phrase model on wordings it was not written from, the tests' stated
false-positive rate by simulation, and the flags' evidence."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from cxloop.loop import integrity as ig
from cxloop.loop.begging import BeggingModel, agent_turns
from cxloop.loop.integrity_stats import betabinomial_excess, binomial_excess, bonferroni

BEGGING = [
    "客户：好的 | 客服：亲，待会儿短信回访麻烦您打个满分哦",
    "客服：服务还满意的话，记得给我一个五星呀",
    "坐席：评价环节请选非常满意，感谢支持",
    "客服：亲亲给个10分好评吧～",
    "客服：五星好评返现3元，截图给我就行",
    "agent: if I helped, please give me 5 stars in the survey",
    "agent: could you rate me a 10?",
    "客服：求求了，评价点个满意",
]
NOT_BEGGING = [
    "客户：你们服务非常满意，五星好评！ | 客服：感谢您的认可",       # the customer's own praise
    "客服：稍后会发送满意度评价短信，请您对本次服务进行评价",             # a neutral invitation
    "客服：十分抱歉让您久等了",                                           # 十分 as an adverb
    "客服：请问您对处理结果还满意吗？",                                   # a question
    "客服：已为您申请10元补偿，请注意查收",                               # money, not a score
    "客服：请您稍等5分钟，我去核实一下",                                  # minutes, not a score
    "【X5】客户反映电池续航短，已建议寄修。",                             # a call summary
    "agent: please take a moment to rate our service",                    # no particular score
]


@pytest.mark.parametrize("text", BEGGING)
def test_begging_wordings_are_recognised(text: str) -> None:
    assert BeggingModel().phrases(text), text


@pytest.mark.parametrize("text", NOT_BEGGING)
def test_praise_invitations_and_apologies_are_not_begging(text: str) -> None:
    assert BeggingModel().phrases(text) == [], text


def test_only_the_agents_turns_are_read_and_extra_cues_extend_the_grammar() -> None:
    assert agent_turns("客户：给个五星好评 | 客服：好的") == "好的"
    assert agent_turns("没有说话人标签的文本") == "没有说话人标签的文本"
    text = "客服：记得给个大拇指哦"
    assert BeggingModel().phrases(text) == []
    assert BeggingModel(extra_score=("大拇指",)).phrases(text) == ["记得给个大拇指"]


def test_binomial_excess_is_the_exact_one_sided_test_against_the_peers() -> None:
    k = np.array([9, 1, 0, 2])
    n = np.array([40, 50, 45, 60])
    p, rate = binomial_excess(k, n)
    peer = (k.sum() - 9 + 0.5) / (n.sum() - 40 + 1.0)
    assert rate[0] == pytest.approx(peer)
    assert p[0] == pytest.approx(sps.binomtest(9, 40, peer, alternative="greater").pvalue)
    assert p[2] == 1.0


def _family_wise_false_positives(test: str, runs: int, alpha: float) -> float:
    """Share of simulated months in which any of 60 honest units (same true rate, different n) is flagged."""
    rng = np.random.default_rng(2026)
    hits = 0
    for _ in range(runs):
        n = rng.integers(30, 200, 60)
        rates = np.clip(rng.normal(0.3, 0.05, 60), 0.01, 0.99) if test == "beta" else np.full(60, 0.02)
        k = rng.binomial(n, rates)
        p = betabinomial_excess(k, n)[0] if test == "beta" else binomial_excess(k, n)[0]
        hits += bool((bonferroni(p) < alpha).any())
    return hits / runs


def test_the_stated_false_positive_rate_holds_for_honest_units() -> None:
    """Bonferroni at alpha = 0.05: the chance of flagging any honest unit in a month stays near or below
    alpha (the beta-binomial null also absorbs honest units' spread between themselves)."""
    assert _family_wise_false_positives("binomial", 300, 0.05) <= 0.05 + 0.03
    assert _family_wise_false_positives("beta", 100, 0.05) <= 0.05 + 0.05


def test_a_spread_that_peers_share_is_not_flagged_but_a_gamed_unit_is() -> None:
    rng = np.random.default_rng(4)
    n = np.full(30, 120)
    k = rng.binomial(n, np.clip(rng.normal(0.3, 0.08, 30), 0.05, 0.9))
    k[0] = 110  # 92% top box against peers around 30%
    p, _, rho = betabinomial_excess(k, n)
    adj = bonferroni(p)
    assert adj[0] < 1e-6
    assert (adj[1:] >= 0.01).all()
    assert np.nanmax(rho) > 0


def test_begging_flags_carry_phrases_examples_and_the_test() -> None:
    may = date(2026, 5, 1)
    counts = pd.DataFrame({"agent_id": [f"C{i}" for i in range(10)], "channel": "chat", "team": "T1", "month": may,
                           "n": 120})
    hits = pd.DataFrame({"record_id": [f"r{i}" for i in range(40)] + ["x1"], "agent_id": ["C0"] * 40 + ["C5"],
                         "channel": "chat", "month": may, "occurred_at": pd.Timestamp("2026-05-03"),
                         "phrases": [["给个五星"]] * 40 + [["打10分"]], "snippet": "给个五星"})
    flags, tests = ig.begging_flags(counts, hits, alpha=0.01, min_chats=3)
    assert tests == 10
    assert [f.agent_id for f in flags] == ["C0"]
    f = flags[0]
    assert f.kind == "score_begging" and f.severity == "high" and f.team == "T1"
    assert f.evidence["begging_conversations"] == 40 and f.evidence["phrases"] == {"给个五星": 40}
    assert len(f.evidence["examples"]) == 5 and f.evidence["begging_records"][0] == "r0"
    assert f.as_dict()["month"] == "2026-05"
    assert f.flag_id == ig.begging_flags(counts, hits, 0.01, 3)[0][0].flag_id  # stable across runs


def test_duplicates_are_same_respondent_same_scores_same_text() -> None:
    pairs = pd.DataFrame({"record_id": ["b", "d", "f"], "prev_record_id": ["a", "c", "e"], "source": "nps",
                          "month": date(2026, 6, 1), "text": ["安装师傅一直没来！", "物流很快", None],
                          "prev_text": ["安装师傅一直没来", "屏幕有坏点", None],
                          "gap_hours": [0.5, 2.0, 3.0]})
    flags = ig.duplicate_flags(pairs, similarity=90)
    assert len(flags) == 1 and flags[0].records == ["b", "f"]  # two scores without any comment are copies too
    assert flags[0].evidence["examples"][1]["text"] == ""
    assert flags[0].evidence["examples"][0]["copy_of"] == "a"


def test_betabinomial_excess_equals_the_leave_one_out_fit_by_hand() -> None:
    k = np.array([30, 12, 18, 25, 9, 40])
    n = np.array([100, 90, 110, 95, 80, 120])
    p, rate, rho = betabinomial_excess(k, n)
    peers = np.arange(1, 6)
    r = (k[peers].sum() + 0.5) / (n[peers].sum() + 1.0)
    phi = np.sum((k[peers] - n[peers] * r) ** 2 / (n[peers] * r * (1 - r))) / (len(peers) - 1)
    h = (phi - 1) / (n[peers].mean() - 1)
    assert rate[0] == pytest.approx(r) and rho[0] == pytest.approx(h)
    assert p[0] == pytest.approx(sps.betabinom.sf(k[0] - 1, n[0], r * (1 - h) / h, (1 - r) * (1 - h) / h))
