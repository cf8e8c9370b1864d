"""The scoring rules of the evaluation contract."""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.errors import InputError
from cxloop.text.evaluation import (
    best_threshold,
    check_labels,
    classify_metrics,
    match_metrics,
    sentiment_metrics,
    wilson_interval,
)


def test_neutral_counts_as_nearer_pole_with_two_class_gold() -> None:
    gold = np.array(["pos", "neg", "pos"], dtype=object)
    labels = np.array(["neu", "neu", "neg"], dtype=object)
    got = sentiment_metrics(gold, labels, np.array([0.1, -0.1, -0.9]))
    assert got["accuracy"] == pytest.approx(2 / 3)


def test_neutral_is_its_own_class_with_three_class_gold() -> None:
    gold = np.array(["pos", "neu", "neg"], dtype=object)
    labels = np.array(["neu", "neu", "neg"], dtype=object)
    assert sentiment_metrics(gold, labels, np.array([0.1, 0.0, -0.9]))["accuracy"] == pytest.approx(2 / 3)


def test_oos_figures() -> None:
    gold = np.array(["a", "b", "oos", "oos"], dtype=object)
    pred = np.array(["a", "none", "none", "b"], dtype=object)
    got = classify_metrics(gold, pred, oos_label="oos")
    assert got["in_scope_accuracy"] == 0.5 and got["oos_recall"] == 0.5 and got["accuracy"] == 0.5


def test_best_threshold_separates_when_possible() -> None:
    scores = np.array([0.1, 0.2, 0.6, 0.7])
    gold = np.array([0, 0, 1, 1])
    t = best_threshold(scores, gold)
    assert 0.2 < t < 0.6
    assert match_metrics(gold, scores, t) == {"accuracy": 1.0, "f1": 1.0}


def test_wilson_interval_contains_the_proportion() -> None:
    lo, hi = wilson_interval(90, 100)
    assert lo < 0.9 < hi
    assert lo > 0.82 and hi < 0.95


def test_labels_outside_the_allowed_set_name_the_column() -> None:
    with pytest.raises(InputError, match="column 'y'") as info:
        check_labels(np.array(["0", "1"], dtype=object), ("neg", "pos"), file="f.csv", column="y")
    assert info.value.field == "y"
