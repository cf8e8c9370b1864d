"""The event vocabulary: the `events.event_type` values (and `outcome` values) cxloop's metrics read.

Sources map their own codes onto these names in a profile (e.g. `defaults.event_type` or a mapped
column). An event belongs to a *session* (`session_id`: one call, chat or IVR call) and may belong to a
*case* (`case_id`: one service case that can span several sessions).

IVR (one IVR call = one `session_id`):
    ivr_start                  the caller entered the IVR
    ivr_node                   the caller reached a menu node; `attributes.node` holds the node id
    ivr_selfservice_success    the caller's need was met by self-service (balance read out, ...)
    ivr_to_agent               the call left the IVR for an agent queue
    ivr_abandon                the caller hung up inside the IVR

Assisted contacts (one contact = one `session_id`, optionally within a `case_id`):
    contact_start, contact_end the contact's first and last moment
    transfer                   the contact was transferred to another agent or queue
    resolved                   the case or contact was marked resolved
    reopened                   a resolved case was reopened

Journey events (touchpoints without text): order, delivery, install, repair, visit.

Record fields used by service metrics, where sources have them: `outcome` (one of OUTCOMES) and
`duration_seconds`.
"""

from __future__ import annotations

__all__ = [
    "CONTACT_END",
    "CONTACT_EVENTS",
    "CONTACT_START",
    "EVENT_TYPES",
    "IVR_ABANDON",
    "IVR_EVENTS",
    "IVR_NODE",
    "IVR_SELFSERVICE_SUCCESS",
    "IVR_START",
    "IVR_TO_AGENT",
    "JOURNEY_EVENTS",
    "OUTCOMES",
    "OUTCOME_ABANDONED",
    "OUTCOME_RESOLVED",
    "OUTCOME_TRANSFERRED",
    "OUTCOME_UNRESOLVED",
    "REOPENED",
    "RESOLVED",
    "TRANSFER",
]

IVR_START = "ivr_start"
IVR_NODE = "ivr_node"
IVR_SELFSERVICE_SUCCESS = "ivr_selfservice_success"
IVR_TO_AGENT = "ivr_to_agent"
IVR_ABANDON = "ivr_abandon"
IVR_EVENTS: frozenset[str] = frozenset({IVR_START, IVR_NODE, IVR_SELFSERVICE_SUCCESS, IVR_TO_AGENT, IVR_ABANDON})

CONTACT_START = "contact_start"
CONTACT_END = "contact_end"
TRANSFER = "transfer"
RESOLVED = "resolved"
REOPENED = "reopened"
CONTACT_EVENTS: frozenset[str] = frozenset({CONTACT_START, CONTACT_END, TRANSFER, RESOLVED, REOPENED})

JOURNEY_EVENTS: frozenset[str] = frozenset({"order", "delivery", "install", "repair", "visit"})

EVENT_TYPES: frozenset[str] = IVR_EVENTS | CONTACT_EVENTS | JOURNEY_EVENTS

OUTCOME_RESOLVED = "resolved"
OUTCOME_UNRESOLVED = "unresolved"
OUTCOME_TRANSFERRED = "transferred"
OUTCOME_ABANDONED = "abandoned"
OUTCOMES: frozenset[str] = frozenset({OUTCOME_RESOLVED, OUTCOME_UNRESOLVED, OUTCOME_TRANSFERRED, OUTCOME_ABANDONED})
