"""The standard-question matcher with the shipped pair model."""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.errors import UsageError
from cxloop.text.matcher import QuestionMatcher

FAQ = [
    ("refund", ["怎么申请退款", "退款怎么办理", "如何退货退款"]),
    ("invoice", ["怎么开发票", "发票在哪里开"]),
    ("password", ["忘记密码怎么办", "如何重置登录密码"]),
]


def test_top_k_ranks_the_right_faq_first() -> None:
    matcher = QuestionMatcher().fit(FAQ)
    got = matcher.top_k(["我想退款怎么操作", "密码忘了怎么重置", "发票怎么开"], k=2)
    assert [r[0][0] for r in got] == ["refund", "password", "invoice"]
    assert all(len(r) == 2 and r[0][1] >= r[1][1] for r in got)
    assert all(0.0 <= s <= 1.0 for r in got for _, s in r)


def test_unrelated_text_falls_below_the_no_match_threshold() -> None:
    matcher = QuestionMatcher().fit(FAQ)
    (best,) = matcher.top_k(["今天北京的天气真好"], k=1)
    assert 0.0 < matcher.no_match_threshold < 1.0
    assert best[0][1] < matcher.no_match_threshold


def test_pair_scores() -> None:
    scores = QuestionMatcher().pair_scores(["花呗怎么还款", "花呗怎么还款"], ["花呗如何还款", "今天天气怎么样"])
    assert scores.shape == (2,) and scores[0] > 0.5 > scores[1]
    assert np.all((scores >= 0) & (scores <= 1))


def test_unfitted_and_bad_backend() -> None:
    with pytest.raises(UsageError):
        QuestionMatcher().top_k(["x"])
    with pytest.raises(UsageError):
        QuestionMatcher(backend="bert")
