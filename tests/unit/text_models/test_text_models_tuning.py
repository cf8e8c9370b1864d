"""Fine-tuning the encoder's top layer for the classifier: the probability combination (always) and, with the
embeddings extra, the token states, the tuner's training and the tuned classifier's persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cxloop.errors import UsageError
from cxloop.text.classifier import TextClassifier
from cxloop.text.embeddings import embeddings_available
from cxloop.text.tuning import EncoderTuner, combine

needs_embeddings = pytest.mark.skipif(not embeddings_available(), reason="the embeddings extra is not installed")

INTENTS = {
    "card_lost": ["I lost my card", "my card was stolen", "cannot find my bank card", "someone took my card",
                  "card missing from my wallet", "I think I lost my debit card"],
    "transfer_late": ["my transfer has not arrived", "transfer still pending", "where is the money I sent",
                      "the payment I sent is missing", "transfer taking too long", "money not received yet"],
    "top_up_failed": ["top up failed", "could not top up my account", "top-up was declined",
                      "adding money did not work", "my top up is not showing", "top up error"],
}


def _xy() -> tuple[list[str], list[str]]:
    pairs = [(t, k) for k, ts in INTENTS.items() for t in ts]
    return [t for t, _ in pairs], [k for _, k in pairs]


def test_combine_is_a_normalised_weighted_geometric_mean() -> None:
    base = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    tuned = np.array([[0.2, 0.7, 0.1], [0.05, 0.05, 0.9]])
    both = combine(base, tuned, 1.0)
    np.testing.assert_allclose(both.sum(axis=1), 1.0)
    expected = np.sqrt(base * tuned)
    np.testing.assert_allclose(both, expected / expected.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(combine(base, tuned, 0.0), base)
    assert both[0, 0] == pytest.approx(both[0, 1])  # equal weights: a tie between opposite opinions
    assert np.all(np.isfinite(combine(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), 1.0)))


def test_tuner_rejects_empty_settings() -> None:
    with pytest.raises(UsageError):
        EncoderTuner(layers=0)
    with pytest.raises(UsageError):
        TextClassifier(backend="tfidf", tune_epochs=-1)
    assert TextClassifier(backend="tfidf").tune_epochs == 0  # nothing to tune without the encoder


@needs_embeddings
def test_token_states_cover_every_text_once_and_embeddings_match_encode() -> None:
    from cxloop.text.embeddings import SentenceEncoder

    texts, _ = _xy()
    encoder = SentenceEncoder.shared()
    emb, states = encoder.encode_with_states(texts, layers=1, batch_size=5)
    np.testing.assert_allclose(emb, encoder.encode(texts), atol=1e-5)
    rows = np.concatenate(states.rows)
    assert sorted(rows.tolist()) == list(range(len(texts))) and len(states) == len(texts)
    for h, mask in zip(states.states, states.masks, strict=True):
        assert h.shape[:2] == mask.shape and h.shape[2] == emb.shape[1]


@needs_embeddings
def test_tuner_learns_the_training_labels() -> None:
    from cxloop.text.embeddings import SentenceEncoder

    texts, labels = _xy()
    classes = sorted(set(labels))
    codes = np.array([classes.index(v) for v in labels])
    _, states = SentenceEncoder.shared().encode_with_states(texts, layers=1)
    tuner = EncoderTuner(layers=1, epochs=12, lr=1e-3, head_lr=1e-2).fit(states, codes, len(classes))
    proba = tuner.predict_proba(states)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert np.mean(proba.argmax(axis=1) == codes) >= 0.9
    _, other = SentenceEncoder.shared().encode_with_states(texts, layers=2)
    with pytest.raises(UsageError, match="top 2 layers"):
        EncoderTuner(layers=1).fit(other, codes, len(classes))


@needs_embeddings
def test_tuned_classifier_round_trip_and_switch(tmp_path: Path) -> None:
    texts, labels = _xy()
    model = TextClassifier(backend="embeddings", tune_epochs=3).fit(texts, labels)
    assert "-tuned-" in model.version
    probe = ["my card is gone", "the money I transferred never came", "top up did not go through"]
    proba = model.predict_proba(probe)
    assert list(model.predict(probe)[0]) == ["card_lost", "transfer_late", "top_up_failed"]
    loaded = TextClassifier.load(model.save(tmp_path / "clf"))
    np.testing.assert_allclose(loaded.predict_proba(probe), proba, atol=1e-6)
    frozen = TextClassifier(backend="embeddings", tune_epochs=0).fit(texts, labels)
    assert "-tuned-" not in frozen.version and frozen._tuner is None
