"""`cxloop train ...` reproduces models from the public data (skipped without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.text.datasets import NLPCC2013_EMOTION_MAP, SMP2020_EMOTION_MAP
from cxloop.text.emotion import EMOTIONS
from cxloop.text.sentiment import SentimentModel
from cxloop.text.training import train_sentiment


def test_emotion_label_maps_land_on_the_seven() -> None:
    assert set(NLPCC2013_EMOTION_MAP.values()) == set(EMOTIONS)
    assert set(SMP2020_EMOTION_MAP.values()) <= set(EMOTIONS)


@pytest.mark.slow
def test_retrain_sentiment_on_a_subsample(shared_data: Path, tmp_path: Path) -> None:
    reports = train_sentiment(shared_data, tmp_path, grid=(10.0,), subsample=2000, use_extra=False)
    zh = reports[0].heldout["chnsenticorp_dev_accuracy"]
    assert 0.80 <= zh <= 0.95  # ~0.87 from 2,000 reviews; the full model reaches ~0.93
    model = SentimentModel.from_dir(tmp_path)
    labels, _ = model.predict(["非常满意，好评", "太差了，退货"], ["zh", "zh"])
    assert list(labels) == ["pos", "neg"]
