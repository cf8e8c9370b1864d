from __future__ import annotations

import pytest

from cxloop.text.language import detect_language, detect_languages
from cxloop.text.normalize import Normalizer, normalize_texts
from cxloop.text.segment import Segmenter, english_tokens


def test_full_width_whitespace_invisible_and_emoji() -> None:
    out = normalize_texts(["ＡＢＣ１２３，你好！　 世界\u200b😀👍", "  多个   空格\t\n换行 ", None, ""])
    assert out == ["ABC123,你好! 世界😀👍", "多个 空格 换行", "", ""]


def test_zero_width_joiner_keeps_emoji_sequences() -> None:
    family = "👨\u200d👩\u200d👧"
    assert Normalizer().normalize(f"好评{family}") == f"好评{family}"


def test_traditional_to_simplified_only_when_asked() -> None:
    text = "這個產品質量很差，螢幕壞了"
    assert Normalizer()([text]) == ["這個產品質量很差,螢幕壞了"]
    assert Normalizer(traditional_to_simplified=True)([text]) == ["这个产品质量很差,萤幕坏了"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("手机屏幕碎了，客服不管", "zh"),
        ("iPhone 屏幕碎了", "zh"),
        ("The screen cracked after a week", "en"),
        ("手机不错 but the battery drains fast", "mixed"),
        ("😀😀👍", "other"),
        ("12345", "other"),
        ("こんにちは、画面が割れました", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_language(text: str | None, language: str) -> None:
    assert detect_language(text) == language


def test_language_batch_matches_single() -> None:
    texts = ["好", "good", "好 good bad ok", None]
    assert detect_languages(texts) == [detect_language(t) for t in texts]


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def test_jieba_with_domain_dictionary_keeps_emoji(segmenter: Segmenter) -> None:
    tokens = segmenter.tokens("手机续航太差，充电口发烫😡，客服一问三不知", "zh")
    assert {"续航", "充电口", "发烫", "😡", "一问三不知"} <= set(tokens)
    assert "，" not in tokens and "," not in tokens


def test_english_behind_the_same_interface(segmenter: Segmenter) -> None:
    assert segmenter(["The battery drains fast 😀, I'm upset"], ["en"]) == [
        ["the", "battery", "drains", "fast", "😀", "i'm", "upset"]
    ]
    assert english_tokens("") == []


def test_workspace_dictionary_adds_words(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plain = Segmenter()
    assert "星耀蓝" not in plain.tokens("星耀蓝色号缺货")
    user = tmp_path / "dict.txt"
    user.write_text("# colours\n星耀蓝 5000 n\n", encoding="utf-8")
    custom = Segmenter(user)
    assert "星耀蓝" in custom.tokens("星耀蓝色号缺货")
    assert custom.version != plain.version
