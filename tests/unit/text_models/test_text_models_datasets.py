"""Reading labelled files in every layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxloop.errors import InputError, UsageError
from cxloop.text.datasets import detect_layout, parse_label_map, read_labelled


def test_layout_by_extension_unless_the_header_contradicts_it() -> None:
    assert detect_layout(Path("a.tsv"), "label\ttext\n") == "tsv"
    assert detect_layout(Path("a.tsv"), "标签,文本\n") == "csv"
    assert detect_layout(Path("a.txt"), '{"text": "x"}\n') == "jsonl"
    assert detect_layout(Path("a.txt"), "a\tb\tc\n") == "tsv"
    assert detect_layout(Path("a.jsonl"), "") == "jsonl"


def test_label_map() -> None:
    assert parse_label_map("0=neg, 1=pos") == {"0": "neg", "1": "pos"}
    with pytest.raises(UsageError, match="FROM=TO"):
        parse_label_map("0:neg")


def test_read_pairs_with_label_map(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    path.write_text('a\tb\ty\n"引号"文本\t另一句\t1\n', encoding="utf-8")
    data = read_labelled(path, text_col="a", text_col_b="b", label_col="y", label_map={"1": "same"})
    assert data.texts == ['"引号"文本'] and data.texts_b == ["另一句"] and list(data.labels) == ["same"]


def test_gb18030_file(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_bytes("text,label\n很好,pos\n".encode("gb18030"))
    assert read_labelled(path).texts == ["很好"]


def test_bad_jsonl_line_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"text": "a", "label": "x"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_labelled(path)
    assert info.value.row == 2 and info.value.file == str(path)
