"""Errors raised by cxloop.

The tree (each family maps to one CLI exit code and one HTTP status)::

    CxloopError                 exit 5  internal error
    ├── UsageError              exit 2  a bad flag, option or argument
    ├── InputError              exit 3  input cannot be read: file, encoding, column (file/row/field)
    │   └── NotFound            exit 3  an id or name that does not exist
    ├── WorkspaceError          exit 4  workspace missing, locked, or from a newer cxloop
    │   ├── ConfigError         exit 4  cxloop.toml invalid
    │   └── Busy                exit 4  locked by another process (HTTP 503 + Retry-After)
    ├── Conflict                exit 4  the operation clashes with the current state
    ├── AuthError               exit 6  no valid credential (HTTP 401)
    │   └── Forbidden           exit 6  the user's role lacks the right (HTTP 403)
    ├── LimitExceeded           exit 2  a size or rate limit (HTTP 413 / 429)
    │   ├── TooLarge            exit 2  a body or upload over the size limit (HTTP 413)
    │   └── RateLimited         exit 2  too many requests or failed logins (HTTP 429)
    └── ExternalServiceError    exit 5  an optional service (LLM endpoint, SMTP) failed

This module imports nothing from cxloop.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "Busy",
    "ConfigError",
    "Conflict",
    "CxloopError",
    "ExternalServiceError",
    "Forbidden",
    "InputError",
    "LimitExceeded",
    "NotFound",
    "RateLimited",
    "TooLarge",
    "UsageError",
    "WorkspaceError",
]


class CxloopError(Exception):
    """Root of every error cxloop raises on purpose."""

    exit_code = 5
    code = "internal"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.field = field

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "row": self.row,
            "field": self.field,
        }


class UsageError(CxloopError):
    exit_code = 2
    code = "usage"


class InputError(CxloopError):
    exit_code = 3
    code = "input"


class NotFound(InputError):
    code = "not_found"


class WorkspaceError(CxloopError):
    exit_code = 4
    code = "workspace"


class ConfigError(WorkspaceError):
    code = "config"


class Conflict(CxloopError):
    exit_code = 4
    code = "conflict"


class ExternalServiceError(CxloopError):
    exit_code = 5
    code = "external_service"


class Busy(WorkspaceError):
    """The workspace is held by another writer; `retry_after` says when to try again (seconds)."""

    code = "busy"

    def __init__(self, message: str, *, retry_after: int = 1, **where: object) -> None:
        super().__init__(message, **where)  # type: ignore[arg-type]
        self.retry_after = retry_after


class AuthError(CxloopError):
    exit_code = 6
    code = "unauthorized"


class Forbidden(AuthError):
    code = "forbidden"


class LimitExceeded(CxloopError):
    exit_code = 2
    code = "limit"

    def __init__(self, message: str, *, retry_after: int | None = None, **where: object) -> None:
        super().__init__(message, **where)  # type: ignore[arg-type]
        self.retry_after = retry_after


class TooLarge(LimitExceeded):
    code = "too_large"


class RateLimited(LimitExceeded):
    code = "rate_limited"
