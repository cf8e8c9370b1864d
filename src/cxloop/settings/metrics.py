"""`[metrics]` in cxloop.toml: settings of the metrics layer (docs/metrics.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["MetricsSettings"]


class MetricsSettings(BaseModel):
    """`[metrics]`: pain points and emerging issues."""

    model_config = ConfigDict(extra="forbid")
    first_seen_days: int = Field(default=90, ge=1, description="A pain point is new (first_seen) when its first record "
                                                       "is within this many days before the window's end.")
