"""Every `[text]` setting the pipeline reads is documented in docs/text_pipeline.md."""

from pathlib import Path

from cxloop.text.stages import PiiSettings, TextSettings

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "text_pipeline.md").read_text(encoding="utf-8")


def test_every_text_setting_is_documented() -> None:
    names = [f"`{n}`" for n in TextSettings.model_fields if n != "pii"]
    names += [f"`pii.{n}`" for n in PiiSettings.model_fields]
    assert [n for n in names if n not in DOCS] == []
