"""The trainable topic/intent classifier: fit, predict, calibrated 'none', persistence, backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cxloop.errors import UsageError
from cxloop.text import classifier as classifier_module
from cxloop.text.classifier import NONE_LABEL, TextClassifier
from cxloop.text.embeddings import embeddings_available

DATA = {
    "billing": ["why was I charged twice", "refund my payment", "wrong amount on my bill", "billing error",
                "I was overcharged", "charge on my card is wrong", "invoice amount is wrong", "double charge"],
    "delivery": ["where is my parcel", "package has not arrived", "delivery is late", "track my shipment",
                 "courier lost my package", "when will my order arrive", "parcel delayed", "order not delivered"],
    "oos": ["tell me a joke", "what is the capital of france", "play some music", "how tall is everest",
            "sing a song", "who won the football game", "what is the weather on mars", "recommend a movie"],
}


def _xy(with_oos: bool) -> tuple[list[str], list[str]]:
    pairs = [(t, k) for k, ts in DATA.items() for t in ts if with_oos or k != "oos"]
    return [t for t, _ in pairs], [k for _, k in pairs]


def test_fit_predict_confidences() -> None:
    texts, labels = _xy(False)
    model = TextClassifier(backend="tfidf").fit(texts, labels)
    pred, conf = model.predict(["my parcel is late", "I was charged twice on my card"])
    assert list(pred) == ["delivery", "billing"]
    assert np.all((conf > 0.5) & (conf <= 1.0))
    assert model.version.startswith("svm-tfidf-")


def test_out_of_scope_is_none() -> None:
    texts, labels = _xy(True)
    model = TextClassifier(backend="tfidf").fit(texts, labels, oos_label="oos")
    pred, _ = model.predict(["tell me a funny joke", "refund my double charge", "where is my parcel"])
    assert pred[0] == NONE_LABEL and list(pred[1:]) == ["billing", "delivery"]
    assert -1.0 <= model.threshold <= 1.0  # tfidf backend: P(oos) - best in-scope P


def test_save_load_round_trip(tmp_path: Path) -> None:
    texts, labels = _xy(False)
    model = TextClassifier(backend="tfidf").fit(texts, labels)
    loaded = TextClassifier.load(model.save(tmp_path / "clf"))
    probe = ["parcel delayed again", "wrong bill"]
    assert list(loaded.predict(probe)[0]) == list(model.predict(probe)[0])
    assert loaded.version == model.version


def test_missing_extra_is_a_usage_error_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier_module, "embeddings_available", lambda: False)
    with pytest.raises(UsageError, match=r"pip install 'cxloop\[embeddings\]'"):
        TextClassifier(backend="embeddings")
    assert TextClassifier(backend="auto").backend == "tfidf"


@pytest.mark.skipif(not embeddings_available(), reason="the embeddings extra is not installed")
def test_embeddings_backend() -> None:
    texts, labels = _xy(False)
    model = TextClassifier(backend="embeddings").fit(texts, labels)
    assert model.backend == "embeddings"
    assert list(model.predict(["my package never came"])[0]) == ["delivery"]


def test_class_similarity_matches_a_naive_maximum() -> None:
    from cxloop.text.neighbours import EMPTY, ClassSimilarity

    rng = np.random.default_rng(0)
    ref = rng.normal(size=(40, 8))
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    codes = rng.choice([0, 1, 3], size=40)  # class 2 has no reference rows
    query = rng.normal(size=(7, 8))
    got = ClassSimilarity(ref, codes, 4, dtype=np.float64).scores(query, chunk=3)
    sims = query @ ref.T
    for c in (0, 1, 3):
        np.testing.assert_allclose(got[:, c], sims[:, codes == c].max(axis=1), rtol=1e-5)
    assert np.all(got[:, 2] == EMPTY)


def test_none_threshold_meets_the_out_of_fold_recall_target() -> None:
    texts, labels = _xy(True)
    model = TextClassifier(backend="tfidf", oos_recall_target=1.0).fit(texts, labels, oos_label="oos")
    strict = TextClassifier(backend="tfidf", oos_recall_target=0.5).fit(texts, labels, oos_label="oos")
    assert strict.threshold >= model.threshold  # a lower recall target never lowers the bar for "none"
    with pytest.raises(UsageError):
        TextClassifier(backend="tfidf", oos_recall_target=0.0)


@pytest.mark.skipif(not embeddings_available(), reason="the embeddings extra is not installed")
def test_embeddings_backend_out_of_scope_and_round_trip(tmp_path: Path) -> None:
    texts, labels = _xy(True)
    model = TextClassifier(backend="embeddings").fit(texts, labels, oos_label="oos")
    probe = ["tell me a funny joke", "refund my double charge", "where is my parcel"]
    pred, conf = model.predict(probe)
    assert list(pred) == [NONE_LABEL, "billing", "delivery"]
    assert np.all((conf >= 0) & (conf <= 1))
    assert model.neighbour_weight in classifier_module.NEIGHBOUR_WEIGHTS
    loaded = TextClassifier.load(model.save(tmp_path / "clf"))
    assert list(loaded.predict(probe)[0]) == list(pred)


def test_conformal_threshold_keeps_its_recall_on_new_out_of_scope_scores() -> None:
    """The threshold is the floor(alpha (n+1))-th smallest calibration score: over many draws, new scores from
    the same distribution reach it at least `target` of the time, and the predicted interval holds that rate."""
    model = TextClassifier(backend="tfidf", oos_recall_target=0.9)
    model.oos_label = "oos"
    rng = np.random.default_rng(0)
    rates = []
    for _ in range(300):
        oos, in_scope = rng.normal(1.0, 1.0, 99), rng.normal(-2.0, 1.0, 2000)
        scores = np.concatenate([oos, in_scope])
        model.threshold = model._fit_threshold(scores, np.arange(len(scores)) < 99)
        assert model.threshold <= np.sort(oos)[9]  # the 10th smallest of 99 (l = floor(0.1 * 100))
        rates.append(float(np.mean(rng.normal(1.0, 1.0, 5000) >= model.threshold)))
    assert np.mean(rates) >= 0.9
    lo, hi = model.oos_calibration()["oos_recall_predicted_ci95"]
    assert lo < 0.9 < hi and np.mean((np.array(rates) >= lo) & (np.array(rates) <= hi + 0.01)) > 0.8
