"""REST API adapter: FastAPI routes over the app layer (`create_app`)."""

from cxloop.api.server import create_app

__all__ = ["create_app"]
