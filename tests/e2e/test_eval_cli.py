"""`cxloop eval sentiment|classify|match` and `cxloop train topics` on small hand-made files in every layout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

POS = ["物流很快，包装完好，非常满意", "质量很好，客服态度也很好", "很喜欢，推荐购买", "性价比高，好评"]
NEG = ["太差了，用两天就坏了", "客服不理人，非常失望", "质量很差，不推荐", "发货慢，包装破损，差评"]
PAIRS = [
    ("花呗怎么还款", "花呗如何还款", 1),
    ("借呗额度怎么提高", "怎样提升借呗额度", 1),
    ("花呗怎么还款", "今天天气怎么样", 0),
    ("怎么注销账户", "信用卡年费多少钱", 0),
]
CLASSES = {
    "billing": ["why was I charged twice", "refund my payment", "wrong amount on my bill", "billing error on invoice",
                "I was overcharged", "charge on my card is wrong"],
    "delivery": ["where is my parcel", "package has not arrived", "delivery is late", "track my order shipment",
                 "courier lost my package", "when will my order arrive"],
    "oos": ["tell me a joke", "what is the capital of france", "play some music", "how tall is everest"],
}


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    suffix = path.suffix
    if suffix == ".jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        return path
    sep = "\t" if suffix == ".tsv" else ","
    cols = list(rows[0])
    lines = [sep.join(cols)] + [sep.join(str(r[c]) for c in cols) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sentiment_rows(text: str = "text", label: str = "label", neg: str = "neg", pos: str = "pos") -> list[dict]:
    return [{text: t, label: pos} for t in POS] + [{text: t, label: neg} for t in NEG]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".txt"])
def test_eval_sentiment_every_layout(cli: Callable[..., Any], tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"s{suffix}", _sentiment_rows())
    result = cli("eval", "sentiment", "--data", path, "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) >= {"task", "n", "accuracy", "macro_f1", "docs_per_s"}
    assert data["task"] == "sentiment" and data["n"] == 8
    assert data["accuracy"] >= 0.75 and data["docs_per_s"] > 0


def test_eval_sentiment_label_map_and_columns(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(tmp_path / "s.tsv", _sentiment_rows("text_a", "y", "0", "1"))
    result = cli("eval", "sentiment", "--data", path, "--text-col", "text_a", "--label-col", "y",
                 "--label-map", "0=neg,1=pos", "--lang", "zh", "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json()["n"] == 8


def test_eval_sentiment_bad_column_names_file_and_column(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", _sentiment_rows())
    result = cli("eval", "sentiment", "--data", path, "--text-col", "review", "--format", "json")
    assert result.code == 3
    error = json.loads(result.stderr)["error"]
    assert error["field"] == "review" and error["file"] == str(path)
    assert "column 'review' not found" in error["message"] and "text, label" in error["message"]


def test_eval_sentiment_unmapped_labels_is_input_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(tmp_path / "s.csv", _sentiment_rows(neg="0", pos="1"))
    result = cli("eval", "sentiment", "--data", path)
    assert result.code == 3
    assert "--label-map" in result.stderr and "'0'" in result.stderr


def test_eval_sentiment_missing_file(cli: Callable[..., Any], tmp_path: Path) -> None:
    result = cli("eval", "sentiment", "--data", tmp_path / "nope.csv")
    assert result.code == 3 and "nope.csv" in result.stderr


def test_eval_sentiment_three_class_gold(cli: Callable[..., Any], tmp_path: Path) -> None:
    rows = [*_sentiment_rows(), {"text": "今天是周二", "label": "neu"}]
    result = cli("eval", "sentiment", "--data", _write(tmp_path / "s.jsonl", rows), "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json()["n"] == 9


def _classify_rows(with_oos: bool) -> list[dict[str, str]]:
    return [{"text": t, "intent": label} for label, texts in CLASSES.items() for t in texts
            if with_oos or label != "oos"]


def test_eval_classify_keys_and_accuracy(cli: Callable[..., Any], tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _classify_rows(False))
    test = _write(tmp_path / "test.jsonl", [{"text": "my parcel is late", "intent": "delivery"},
                                            {"text": "I was charged twice", "intent": "billing"}])
    result = cli("eval", "classify", "--train", train, "--test", test, "--label-col", "intent",
                 "--backend", "tfidf", "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) >= {"task", "n", "accuracy", "macro_f1", "docs_per_s"}
    assert "oos_recall" not in data
    assert data["task"] == "classify" and data["n"] == 2 and data["accuracy"] == 1.0


def test_eval_classify_with_oos_label(cli: Callable[..., Any], tmp_path: Path) -> None:
    train = _write(tmp_path / "train.tsv", _classify_rows(True))
    test = _write(tmp_path / "test.csv", [{"text": "where is my parcel", "intent": "delivery"},
                                          {"text": "refund my payment", "intent": "billing"},
                                          {"text": "tell me a joke", "intent": "oos"}])
    result = cli("eval", "classify", "--train", train, "--test", test, "--label-col", "intent",
                 "--oos-label", "oos", "--backend", "tfidf", "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) >= {"task", "n", "accuracy", "macro_f1", "docs_per_s", "in_scope_accuracy", "oos_recall"}
    assert 0.0 <= data["in_scope_accuracy"] <= 1.0 and 0.0 <= data["oos_recall"] <= 1.0
    # every figure with its interval and the file it came from; the calibration says what recall to expect
    assert data["data"] == str(test) and data["oos_recall_target"] == 0.93
    for name in ("accuracy", "in_scope_accuracy", "oos_recall"):
        lo, hi = data[f"{name}_ci95"]
        assert lo <= data[name] <= hi
    lo, hi = data["oos_recall_predicted_ci95"]
    assert 0.0 <= lo <= hi <= 1.0 and data["oos_calibration_rows"] >= 1


def test_eval_classify_unknown_oos_label(cli: Callable[..., Any], tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _classify_rows(False))
    result = cli("eval", "classify", "--train", train, "--test", train, "--label-col", "intent",
                 "--oos-label", "nope", "--backend", "tfidf")
    assert result.code == 3 and "'nope'" in result.stderr


def test_eval_classify_bad_backend_is_usage_error(cli: Callable[..., Any], tmp_path: Path) -> None:
    train = _write(tmp_path / "train.csv", _classify_rows(False))
    result = cli("eval", "classify", "--train", train, "--test", train, "--label-col", "intent",
                 "--backend", "bert")
    assert result.code == 2 and "tfidf" in result.stderr


@pytest.mark.parametrize("layout", ["csv", "jsonl_named"])
def test_eval_match_layouts(cli: Callable[..., Any], tmp_path: Path, layout: str) -> None:
    if layout == "csv":
        path = _write(tmp_path / "p.csv", [{"text_a": a, "text_b": b, "label": y} for a, b, y in PAIRS])
        args: tuple[str, ...] = ()
    else:
        path = _write(tmp_path / "p.jsonl", [{"q1": a, "q2": b, "same": y} for a, b, y in PAIRS])
        args = ("--text-col", "q1", "--text-col-b", "q2", "--label-col", "same")
    result = cli("eval", "match", "--data", path, *args, "--format", "json")
    assert result.code == 0, result.stderr
    data = result.json()
    assert set(data) >= {"task", "n", "accuracy", "f1"}
    assert data["task"] == "match" and data["n"] == 4 and data["accuracy"] >= 0.75


def test_eval_match_tunes_threshold_on_dev(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", [{"text_a": a, "text_b": b, "label": y} for a, b, y in PAIRS])
    result = cli("eval", "match", "--data", path, "--dev", path, "--format", "json")
    assert result.code == 0, result.stderr
    assert result.json()["accuracy"] == 1.0


def test_eval_match_bad_label_column(cli: Callable[..., Any], tmp_path: Path) -> None:
    path = _write(tmp_path / "p.csv", [{"text_a": a, "text_b": b, "label": y} for a, b, y in PAIRS])
    result = cli("eval", "match", "--data", path, "--text-col-b", "other", "--format", "json")
    assert result.code == 3
    assert json.loads(result.stderr)["error"]["field"] == "other"


def test_train_topics_into_workspace(cli: Callable[..., Any], tmp_path: Path, workspace: Path) -> None:
    data = _write(tmp_path / "labelled.csv", _classify_rows(False))
    result = cli("train", "topics", "--data", data, "--label-col", "intent", "--backend", "tfidf",
                 "-w", workspace, "--format", "json")
    assert result.code == 0, result.stderr
    out = result.json()
    assert out["n"] == 12 and out["labels"] == ["billing", "delivery"]
    assert (workspace / "models" / "topic_classifier" / "classifier.joblib").is_file()
