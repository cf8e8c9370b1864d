"""The wall clock, in one place: naive UTC like every timestamp the workspace stores."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
