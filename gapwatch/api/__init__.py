"""The HTTP API: FastAPI app, routers per domain, bearer-token roles, live events."""

from gapwatch.api.app import create_app

__all__ = ["create_app"]
