"""Language of a text: zh, en, mixed or other, from the share of CJK characters and Latin words.

A Latin word weighs 1.5 CJK characters (an average Chinese word), so "iPhone 屏幕碎了"
is Chinese with an English product name. Kana or Hangul mark Japanese/Korean ("other"); text with no
letters at all (digits, emoji, punctuation) is "other". Costs two regex scans a text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["LANGUAGES", "LANGUAGE_VERSION", "detect_language", "detect_languages"]

LANGUAGE_VERSION = "lang1"
LANGUAGES = ("zh", "en", "mixed", "other")

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_OTHER_LETTER = re.compile(r"[\u0400-\u04ff\u0590-\u06ff\u0e00-\u0e7f]")  # Cyrillic, Hebrew/Arabic, Thai

ZH_SHARE = 0.7  # CJK share at or above this: zh
EN_SHARE = 0.2  # at or below this: en


def detect_language(text: str | None) -> str:
    """zh | en | mixed | other for one text."""
    if not text:
        return "other"
    cjk = len(_CJK.findall(text))
    latin = 1.5 * len(_LATIN_WORD.findall(text))
    if cjk + latin == 0:
        return "other"
    foreign = len(_KANA_HANGUL.findall(text)) + len(_OTHER_LETTER.findall(text))
    if foreign > (cjk + latin) / 2:
        return "other"
    share = cjk / (cjk + latin)
    if share >= ZH_SHARE:
        return "zh"
    if share <= EN_SHARE:
        return "en"
    return "mixed"


def detect_languages(texts: Sequence[str | None]) -> list[str]:
    """`detect_language` over a batch."""
    return [detect_language(t) for t in texts]
