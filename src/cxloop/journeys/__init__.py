"""Customer journeys: steps, flows (directly-follows graph, variants, switching), service episodes and
their health, IVR paths, the stage x touchpoint journey map and customer timelines.

The domain builds Ibis expressions over the tables it is given; the app layer runs them.
"""

from cxloop.journeys.config import DEFAULT_STAGES, JourneyConfig, load_journey_config
from cxloop.journeys.steps import FlowDimension, SequenceGrain

__all__ = ["DEFAULT_STAGES", "FlowDimension", "JourneyConfig", "SequenceGrain", "load_journey_config"]
