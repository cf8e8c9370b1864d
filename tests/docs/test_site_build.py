"""The documentation site builds offline in strict mode, in English and Chinese, with no external assets."""

from __future__ import annotations

import re
from pathlib import Path

# An asset the browser would fetch by itself: scripts, stylesheets, images, fonts, iframes, CSS url()/@import.
_ASSET = re.compile(r"<(?:script|img|iframe|source)\b[^>]*\bsrc=\"(https?:)?//[^\"]*\"|"
                    r"<link\b[^>]*\bhref=\"(?:https?:)?//[^\"]*\"", re.IGNORECASE)
_CSS_URL = re.compile(r"(?:url\(|@import\s+)['\"]?(?:https?:)?//", re.IGNORECASE)


def test_both_languages_are_built(built_site: Path) -> None:
    for page in ("index.html", "getting_started/index.html", "metrics/index.html", "reference/cli/index.html"):
        assert (built_site / page).is_file(), page
        assert (built_site / "zh" / page).is_file(), f"zh/{page}"
    zh = (built_site / "zh" / "getting_started" / "index.html").read_text(encoding="utf-8")
    assert 'lang="zh"' in zh and "快速开始" in zh
    en = (built_site / "getting_started" / "index.html").read_text(encoding="utf-8")
    assert 'lang="en"' in en and "Getting started" in en
    # the language switcher links each page to its other language
    assert 'hreflang="zh"' in en and 'hreflang="en"' in zh


def test_no_page_loads_anything_from_the_network(built_site: Path) -> None:
    offenders = []
    for path in [*built_site.rglob("*.html"), *built_site.rglob("*.css")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        pattern = _CSS_URL if path.suffix == ".css" else _ASSET
        offenders += [f"{path.relative_to(built_site)}: {m.group(0)[:120]}" for m in pattern.finditer(text)]
    assert offenders == []


def test_the_asset_check_catches_a_cdn_font() -> None:
    assert _ASSET.search('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">')
    assert _ASSET.search('<script src="//cdn.example.org/x.js"></script>')
    assert _CSS_URL.search("@import url('https://fonts.googleapis.com/css2?family=Noto')")
    assert not _ASSET.search('<a href="https://example.org/">a link is not an asset</a>')
