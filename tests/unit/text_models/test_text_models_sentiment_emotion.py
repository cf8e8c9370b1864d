"""The shipped sentiment and emotion models on fixed texts."""

from __future__ import annotations

import numpy as np
import pytest

from cxloop.text.emotion import EMOTIONS, EnglishEmotionLexicon, load_emotion_model
from cxloop.text.sentiment import load_sentiment_model

ZH = ["物流很快，包装完好，非常满意", "质量太差了，用两天就坏了，客服也不理人", "很喜欢，推荐购买", "差评，再也不买了"]
EN = ["Love it, works great", "Terrible, it broke after two days and support never answered"]


def test_sentiment_labels_and_scores() -> None:
    model = load_sentiment_model()
    labels, scores = model.predict(ZH + EN)
    assert list(labels) == ["pos", "neg", "pos", "neg", "pos", "neg"]
    assert scores.dtype == np.float64 and np.all(np.abs(scores) <= 1.0)
    assert isinstance(model.version, str) and "zh:" in model.version


def test_sentiment_given_languages_route_to_the_right_model() -> None:
    model = load_sentiment_model()
    detected = model.scores(ZH + EN)
    given = model.scores(ZH + EN, ["zh"] * len(ZH) + ["en"] * len(EN))
    assert np.allclose(detected, given)


def test_neutral_band() -> None:
    model = load_sentiment_model()
    labels, scores = model.predict(["好", "差"], ["zh", "zh"])
    assert all((lab == "neu") == (abs(s) < model.neutral_band) for lab, s in zip(labels, scores, strict=True))


def test_sentiment_empty_batch() -> None:
    labels, scores = load_sentiment_model().predict([])
    assert len(labels) == 0 and len(scores) == 0


def test_emotion_labels_are_the_seven() -> None:
    model = load_emotion_model()
    got = model.predict(ZH + EN + ["今天是星期二"])
    assert set(got) <= set(EMOTIONS) and len(got) == len(ZH) + len(EN) + 1
    assert got[0] == "joy" and got[4] == "joy"


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("I am so angry, this is unacceptable", "anger"),
        ("That smell is disgusting", "disgust"),
        ("I'm worried my account was hacked", "fear"),
        ("I'm not happy with it", "sadness"),
        ("Wow, I did not expect that, what a surprise", "surprise"),
        ("The box is blue", "neutral"),
        ("Love it!", "joy"),
    ],
)
def test_english_lexicon(text: str, emotion: str) -> None:
    assert EnglishEmotionLexicon().predict([text])[0] == emotion
