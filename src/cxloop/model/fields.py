"""Canonical fields that a source profile can map a column to, and their kinds."""

from __future__ import annotations

__all__ = [
    "CANONICAL_FIELDS",
    "DEFAULT_SCALES",
    "IDENTIFIER_FIELDS",
    "NUMBER_FIELDS",
    "SCORE_FIELDS",
    "STRING_FIELDS",
    "TIME_FIELDS",
]

IDENTIFIER_FIELDS = ("phone", "email", "account", "openid", "device", "customer_ref")
SCORE_FIELDS = ("nps", "csat", "ces", "rating")
NUMBER_FIELDS = ("duration_seconds",)
TIME_FIELDS = ("occurred_at",)
STRING_FIELDS = (
    "text", "product", "journey_stage", "touchpoint", "channel", "kind", "agent_id", "team",
    "department", "partner", "region", "language", "source_key", "case_id", "session_id",
    "event_type", "outcome",
)
CANONICAL_FIELDS = TIME_FIELDS + STRING_FIELDS + IDENTIFIER_FIELDS + SCORE_FIELDS + NUMBER_FIELDS

# Declared scales (inclusive); a profile may declare another scale per source.
DEFAULT_SCALES: dict[str, tuple[float, float]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "rating": (1, 5),
}
