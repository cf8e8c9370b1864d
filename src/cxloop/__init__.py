"""cxloop: offline-first customer-experience management."""

from cxloop.errors import (
    ConfigError,
    Conflict,
    CxloopError,
    ExternalServiceError,
    InputError,
    NotFound,
    UsageError,
    WorkspaceError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Conflict",
    "CxloopError",
    "ExternalServiceError",
    "InputError",
    "NotFound",
    "UsageError",
    "WorkspaceError",
    "__version__",
]
