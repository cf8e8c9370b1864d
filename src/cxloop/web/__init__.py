"""The web dashboard (zh/en): server-rendered pages over the app layer, mounted by `cxloop serve` at `/`."""

from cxloop.web.server import create_app

__all__ = ["create_app"]
