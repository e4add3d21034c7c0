"""`gapwatch serve`: uvicorn with the app, stopping cleanly within seconds on SIGTERM or Ctrl-C."""

from __future__ import annotations

import logging
from types import FrameType

import uvicorn
from fastapi import FastAPI

from gapwatch.api.app import create_app
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.site import Site

__all__ = ["serve"]

# Open event streams are told to end at once; this is only the backstop for other requests.
GRACEFUL_SHUTDOWN_S = 3


class _Server(uvicorn.Server):
    """Tells the service it is stopping as soon as the signal arrives, so long-lived event
    streams end and uvicorn does not wait on them."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        service: Service | None = getattr(self._app.state, "service", None)
        if service is not None:
            service.stopping.set()
        super().handle_exit(sig, frame)


def serve(settings: Settings, site: Site) -> None:
    """Run the service in the foreground until SIGTERM or Ctrl-C."""
    from gapwatch.vision.redact import RedactingFilter

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter())

    def build(s: Settings) -> Service:
        return build_service(s, site=site)

    app = create_app(settings, build=build)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        log_config=None,
        access_log=False,
    )
    _Server(config, app).run()
