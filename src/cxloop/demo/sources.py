"""The record sources of the demo company: channel, kind, share of volume, tone, scores, identifiers.

One `SourceSpec` per export file of VOC records; the event exports (IVR log, CRM case log, order log) are
described in `events.py`. Source-specific topic emphasis is a multiplier over `phrases.TOPICS` keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["SOURCES", "SourceSpec", "source_index"]


@dataclass(frozen=True)
class SourceSpec:
    name: str
    channel: str
    kind: str
    share: float
    style: str  # how texts are written: review, summary, chat, message, app, verbatim, sms, post, repair
    valence: tuple[float, float, float]  # prior of neg, neu, pos
    scores: dict[str, float] = field(default_factory=dict)  # score field -> share of rows that have it
    shows: dict[str, float] = field(default_factory=dict)  # identifier -> share of rows that show it
    topics: dict[str, float] = field(default_factory=dict)  # topic key -> weight multiplier
    service: bool = False  # an assisted service contact (outcome, handling time, case events)
    agent_pools: tuple[str, ...] = ()  # staff pools whose agents handle (or are rated in) these rows


_HARDWARE = {"battery": 3.0, "overheating": 3.0, "connectivity": 3.0, "screen": 3.0, "noise": 3.0,
             "repair_quality": 2.0, "delivery_slow": 0.02, "install_wait": 0.3, "refund": 0.02, "price": 0.01,
             "agent_attitude": 0.05, "wait_time": 0.05, "product_inquiry": 0.01, "order_status": 0.01,
             "app_bug": 0.3, "howto": 0.1, "so_so": 0.01}

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("hotline", "hotline", "call", 0.22, "summary", (0.55, 0.38, 0.07),
               {"csat": 0.35}, {"phone": 0.985, "device": 0.25},
               {"repair_quality": 2.0, "refund": 1.5, "howto": 1.5, "price": 0.3, "product_inquiry": 0.5},
               service=True, agent_pools=("hotline",)),
    SourceSpec("chat", "chat", "chat", 0.17, "chat", (0.45, 0.45, 0.10),
               {"csat": 0.55}, {"phone": 0.55, "email": 0.25},
               {"order_status": 2.0, "product_inquiry": 2.0, "refund": 1.5}, service=True,
               agent_pools=("chat",)),
    SourceSpec("jd_reviews", "ecommerce_review", "review", 0.12, "review", (0.22, 0.12, 0.66),
               {"rating": 1.0}, {"jd": 1.0},
               {"delivery_slow": 2.5, "praise_quality": 3.0, "price": 1.5, "agent_attitude": 0.2,
                "wait_time": 0.1, "howto": 0.2, "order_status": 0.2, "product_inquiry": 0.1, "so_so": 6.0}),
    SourceSpec("tmall_reviews", "ecommerce_review", "review", 0.08, "review", (0.20, 0.12, 0.68),
               {"rating": 1.0}, {"tmall": 1.0},
               {"delivery_slow": 2.5, "praise_quality": 3.0, "price": 1.5, "agent_attitude": 0.2,
                "wait_time": 0.1, "howto": 0.2, "order_status": 0.2, "product_inquiry": 0.1, "so_so": 6.0}),
    SourceSpec("wechat", "wechat", "message", 0.08, "message", (0.40, 0.50, 0.10),
               {}, {"openid": 1.0, "phone": 0.2},
               {"order_status": 1.5, "howto": 2.0, "repair_quality": 1.0}, service=True,
               agent_pools=("wechat",)),
    SourceSpec("app_feedback", "app", "feedback", 0.07, "app", (0.60, 0.30, 0.10),
               {"rating": 0.4}, {"app_uid": 1.0, "phone": 0.5, "device": 0.6, "email": 0.15},
               {"app_bug": 5.0, "connectivity": 2.0, "howto": 1.0, "delivery_slow": 0.2}),
    SourceSpec("nps_survey", "survey", "survey_response", 0.06, "verbatim", (0.30, 0.25, 0.45),
               {"nps": 1.0, "csat": 0.9, "ces": 0.6}, {"phone": 0.9},
               {"delivery_slow": 1.5, "praise_quality": 2.0, "praise_service": 1.5, "wait_time": 0.8,
                "so_so": 4.0}),
    SourceSpec("csat_survey", "survey", "survey_response", 0.08, "sms", (0.20, 0.20, 0.60),
               {"csat": 1.0, "ces": 0.5}, {"phone": 1.0},
               {"praise_service": 3.0, "agent_attitude": 2.0, "wait_time": 2.0, "repair_quality": 1.5,
                "battery": 0.3, "overheating": 0.3, "screen": 0.3, "noise": 0.3, "price": 0.2,
                "product_inquiry": 0.1}, agent_pools=("hotline", "chat")),
    SourceSpec("weibo", "social", "post", 0.04, "post", (0.55, 0.20, 0.25),
               {}, {"weibo": 1.0}, {"praise_quality": 0.5, "howto": 0.3, "order_status": 0.3}),
    SourceSpec("field_service", "field_service", "ticket", 0.08, "repair", (0.96, 0.04, 0.0),
               {"csat": 0.5}, {"phone": 1.0, "device": 0.95}, _HARDWARE, service=True,
               agent_pools=("field_service",)),
)


def source_index(name: str) -> int:
    """Position of a source in SOURCES (raises KeyError for an unknown name)."""
    for i, spec in enumerate(SOURCES):
        if spec.name == name:
            return i
    raise KeyError(name)
