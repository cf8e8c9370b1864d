"""Errors raised by cxloop.

The tree (each family maps to one CLI exit code and one HTTP status)::

    CxloopError                 exit 5  internal error
    ├── UsageError              exit 2  a bad flag, option or argument
    ├── InputError              exit 3  input cannot be read: file, encoding, column (file/row/field)
    │   └── NotFound            exit 3  an id or name that does not exist
    ├── WorkspaceError          exit 4  workspace missing, locked, or from a newer cxloop
    │   └── ConfigError         exit 4  cxloop.toml invalid
    ├── Conflict                exit 4  the operation clashes with the current state
    └── ExternalServiceError    exit 5  an optional service (LLM endpoint, SMTP) failed

This module imports nothing from cxloop.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "Conflict",
    "CxloopError",
    "ExternalServiceError",
    "InputError",
    "NotFound",
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
