"""The application layer: `Workspace` and the services that act on it."""

from cxloop.app.workspace import Workspace

__all__ = ["Workspace"]
