"""A JSON response encoded straight from the app's dicts.

FastAPI encodes a returned dict by walking it with `jsonable_encoder` first (to convert dates, models,
sets...), then `json.dumps`: on a page of 50 records that walk costs ~2 ms of CPU, about eight times the
encoding itself (measured in BENCHMARKS.md). The app layer returns only JSON types plus dates and times,
so hot routes encode them directly: the same bytes a client parses, with ISO 8601 times as before.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from fastapi.responses import Response

__all__ = ["json_response"]


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_response(data: Any, status_code: int = 200) -> Response:
    """`data` as an application/json response (NaN and infinities refused, as FastAPI's own)."""
    body = json.dumps(data, default=_default, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(body.encode("utf-8"), status_code=status_code, media_type="application/json")
