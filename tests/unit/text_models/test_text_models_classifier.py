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
    assert 0.0 <= model.threshold <= 1.0


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
