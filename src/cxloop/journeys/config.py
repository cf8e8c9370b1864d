"""Journey configuration: `[journeys]` of cxloop.toml, validated with a `ConfigError` naming the key.

The models live in `cxloop.settings.journeys` (the leaf layer, so that `cxloop.config.Settings` can type the
section); they are re-exported here for the journeys domain.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from cxloop.errors import ConfigError
from cxloop.settings.journeys import DEFAULT_STAGES, HealthWeights, JourneyConfig, StageMap

__all__ = [
    "DEFAULT_STAGES",
    "HealthWeights",
    "JourneyConfig",
    "StageMap",
    "load_journey_config",
]


def load_journey_config(section: dict[str, Any] | JourneyConfig) -> JourneyConfig:
    """Validate `[journeys]`; a bad value is a `ConfigError` naming the key and what is valid."""
    if isinstance(section, JourneyConfig):
        return section
    try:
        return JourneyConfig.model_validate(section)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"cxloop.toml: journeys.{where}: {first['msg']}", field=f"journeys.{where}") from exc
