"""The `[api]` section of cxloop.toml: limits, throttling and session settings (documented in docs/api.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["ApiSettings"]


def _check_rate(value: str) -> str:
    from limits import parse

    try:
        parse(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a rate such as '600/minute' or '5 per 15 minutes'") from exc
    return value


class ApiSettings(BaseModel):
    """Limits of the REST API and the browser login."""

    model_config = ConfigDict(extra="forbid")

    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest JSON request body (413 above).")
    max_upload_bytes: int = Field(200 * 1_048_576, ge=1024, description="Largest ingest upload (413 above).")
    rate_limit: str = Field(default="1200/minute", description="Requests per token or browser session (429 above).")
    login_failures: str = Field(
        default="5/15 minutes", description="Failed logins allowed per user name and per client.",
    )
    session_hours: float = Field(12.0, gt=0, description="Browser session lifetime in hours.")
    lock_wait_seconds: float = Field(
        5.0, ge=0, description="How long a request waits for a CLI writer before answering 503.",
    )
    retry_after_seconds: int = Field(2, ge=1, description="The Retry-After header of a 503.")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: Secure cookies when the request came over HTTPS; always; never.",
    )

    _rates = field_validator("rate_limit", "login_failures")(classmethod(lambda cls, v: _check_rate(v)))
