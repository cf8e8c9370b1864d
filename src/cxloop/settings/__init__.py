"""Typed settings of the capabilities that `cxloop.toml` configures (a leaf: imports nothing of cxloop).

`cxloop.config.Settings` composes these models; each capability's domain package reads its own model.
"""

from cxloop.settings.alerts import (
    AlertRule,
    AlertSettings,
    AndonRule,
    CaseSettings,
    ChangeRule,
    ChurnRiskRule,
    DetractorRule,
    EmailSink,
    EmergingRule,
    RepeatContactRule,
    SlaRule,
    ThresholdRule,
    WebhookSink,
)

__all__ = [
    "AlertRule",
    "AlertSettings",
    "AndonRule",
    "CaseSettings",
    "ChangeRule",
    "ChurnRiskRule",
    "DetractorRule",
    "EmailSink",
    "EmergingRule",
    "RepeatContactRule",
    "SlaRule",
    "ThresholdRule",
    "WebhookSink",
]
