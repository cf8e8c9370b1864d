"""Hashed TF-IDF features, language detection and the linear model file format."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cxloop.text.features import LinearTextModel, detect_languages, fit_hashed_tfidf
from cxloop.text.training import ViewSpec, fit_linear_text_model


def test_detect_languages() -> None:
    got = detect_languages(["物流很快，非常满意", "The battery died", "my order 还没到 where is it", "12345 !!", ""])
    assert list(got) == ["zh", "en", "mixed", "other", "other"]


def test_idf_prunes_rare_ngrams_and_rows_are_unit_length() -> None:
    view = fit_hashed_tfidf(["好评好评", "好评", "差评"], analyzer="char", ngram_range=(1, 1), n_features=2**12,
                            min_df=2)
    x = view.transform(["好评", "差"])
    assert np.isclose(np.sqrt(x[0].multiply(x[0]).sum()), 1.0)
    assert x[1].nnz == 0  # '差' is seen in one text only: pruned, weighs 0
    assert len(view.idf_index) == 2  # 好, 评


def test_linear_model_round_trips_through_its_file(tmp_path: Path) -> None:
    texts = ["很好", "非常好", "好评", "很差", "非常差", "差评"] * 3
    labels = np.array(["pos", "pos", "pos", "neg", "neg", "neg"] * 3, dtype=object)
    model = fit_linear_text_model(texts, labels, specs=[ViewSpec("char", (1, 2), 2**12, 1)], c=10.0,
                                  version="t1", meta={"k": "v"})
    model.save(tmp_path / "m.npz")
    loaded = LinearTextModel.load(tmp_path / "m.npz")
    assert loaded.version == "t1" and loaded.meta == {"k": "v"} and list(loaded.classes) == ["neg", "pos"]
    probe = ["很好很好", "太差了"]
    assert np.allclose(model.proba(probe), loaded.proba(probe), atol=1e-2)  # float16 weights on disk
    assert list(loaded.classes[loaded.proba(probe).argmax(axis=1)]) == ["pos", "neg"]
