"""Every alert and case setting a user can write in cxloop.toml is documented in docs/loop.md."""

from pathlib import Path
from typing import get_args

from pydantic import BaseModel

from cxloop.settings.alerts import AlertRule, AlertSettings, CaseSettings, EmailSink, WebhookSink

DOCS = (Path(__file__).resolve().parents[3] / "docs" / "loop.md").read_text(encoding="utf-8")


def _models() -> list[type[BaseModel]]:
    rules = list(get_args(get_args(AlertRule)[0]))
    return [AlertSettings, CaseSettings, WebhookSink, EmailSink, *rules]


def test_every_alert_setting_and_rule_kind_is_documented() -> None:
    missing = [f"{m.__name__}.{name}" for m in _models() for name in m.model_fields
               if f"`{name}`" not in DOCS and name != "kind"]
    kinds = [m.model_fields["kind"].annotation for m in _models() if "kind" in m.model_fields]
    missing += [k for kind in kinds for k in get_args(kind) if f"`{k}`" not in DOCS]
    assert missing == []
