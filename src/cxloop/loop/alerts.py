"""Alerts: what a rule found, its stable id, and whether it is delivered or kept as backfill.

An alert is identified by its rule, scope and window (`dedupe_key`): evaluating the same data twice
finds the same keys, so a second run adds nothing. Its id is a hash of that key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

__all__ = ["ALERT_STATUSES", "AlertDraft", "CaseDraft", "HoldDraft", "is_backfill", "stable_id"]

ALERT_STATUSES = ("open", "backfilled", "acked", "closed")


def stable_id(prefix: str, key: str, length: int = 16) -> str:
    """`prefix` + the first `length` hex digits of SHA-1(key)."""
    return prefix + hashlib.sha1(key.encode("utf-8")).hexdigest()[:length]


@dataclass
class CaseDraft:
    """A case a rule opens (once: its id is a hash of `dedupe_key`)."""

    dedupe_key: str
    title: str
    origin: str  # alert | andon | repeat_contact | detractor | complaint
    opened_at: datetime
    priority: str
    customer_id: str | None = None
    product: str | None = None
    department: str | None = None
    origin_ref: str | None = None
    records: list[str] = field(default_factory=list)

    @property
    def case_id(self) -> str:
        return stable_id("CS-", self.dedupe_key, 12)


@dataclass
class HoldDraft:
    """A new Andon hold with its first evidence."""

    rule: str
    product: str
    issue_key: str
    issue: str
    topic_id: str | None
    terms: list[str]
    reason: str
    stats: dict[str, Any]
    opened_at: datetime
    evidence: list[tuple[str, str, datetime]]  # (record_id, customer, occurred_at)

    @property
    def hold_id(self) -> str:
        return stable_id("HD-", f"{self.rule}|{self.product}|{self.issue_key}|{self.opened_at.isoformat()}", 12)


@dataclass
class AlertDraft:
    rule: str
    kind: str
    severity: str
    key: str  # scope | window, unique within the rule
    title: str
    message: str
    occurred_at: datetime
    product: str | None = None
    topic: str | None = None
    department: str | None = None
    customers: int = 0
    records: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    cases: list[CaseDraft] = field(default_factory=list)
    hold: HoldDraft | None = None
    sinks: list[str] = field(default_factory=list)
    live_cases_only: bool = False  # open `cases` only when the alert is delivered (not backfilled)

    @property
    def dedupe_key(self) -> str:
        return f"{self.rule}|{self.key}"

    @property
    def alert_id(self) -> str:
        return stable_id("AL-", self.dedupe_key)


def is_backfill(occurred_at: datetime, clock: datetime | None, recent_days: int) -> bool:
    """Older than the last `recent_days` of data: stored as backfill, not delivered."""
    return clock is not None and occurred_at < clock - timedelta(days=recent_days)
