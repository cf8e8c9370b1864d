"""Every setting a user can write in cxloop.toml is documented."""

from pathlib import Path

from cxloop.config import EngineSettings, IdentitySettings, Settings, SourceProfile

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")
SPARK_DOCS = (Path(__file__).resolve().parents[2] / "docs" / "spark.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    names = [f"`{n}`" for n in Settings.model_fields if n not in ("identity", "sources", "text", "metrics",
                                                                     "journeys", "spark", "alerts", "cases", "api",
                                                                     "engine")]
    names += [f"`identity.{n}`" for n in IdentitySettings.model_fields]
    names += [f"{n} =" for n in SourceProfile.model_fields if n not in ("map", "scales", "defaults")]
    names += [f"[sources.jd_reviews.{n}]" for n in ("map", "scales", "defaults")]
    missing = [n for n in names if n not in DOCS]
    assert missing == []


def test_every_engine_setting_is_documented() -> None:
    assert "`engine`" in DOCS
    missing = [n for n in EngineSettings.model_fields if f"`engine.{n}`" not in SPARK_DOCS]
    assert missing == []
