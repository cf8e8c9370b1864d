"""Every setting of the loop's sections of cxloop.toml is documented in docs/loop_manage.md."""

from pathlib import Path

from cxloop.config import CardSettings, InitiativeSettings, IntegritySettings, KpiNode, KpiSettings, StarSettings

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "loop_manage.md").read_text(encoding="utf-8")


def test_every_loop_setting_is_documented() -> None:
    sections = {"initiatives": InitiativeSettings, "cards": CardSettings, "stars": StarSettings,
                "integrity": IntegritySettings, "kpis": KpiSettings}
    names = [f"`{section}.{field}`" for section, model in sections.items() for field in model.model_fields]
    names += [f"{field} =" for field in KpiNode.model_fields]
    missing = [n for n in names if n not in DOCS]
    assert missing == []
