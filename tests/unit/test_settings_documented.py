"""Every setting a user can write in cxloop.toml is documented."""

from pathlib import Path

from cxloop.config import IdentitySettings, Settings, SourceProfile

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    names = [f"`{n}`" for n in Settings.model_fields if n not in ("identity", "sources", "text", "metrics",
                                                                     "journeys", "spark", "alerts", "cases")]
    names += [f"`identity.{n}`" for n in IdentitySettings.model_fields]
    names += [f"{n} =" for n in SourceProfile.model_fields if n not in ("map", "scales", "defaults")]
    names += [f"[sources.jd_reviews.{n}]" for n in ("map", "scales", "defaults")]
    missing = [n for n in names if n not in DOCS]
    assert missing == []
