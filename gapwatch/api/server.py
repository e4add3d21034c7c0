"""`gapwatch serve`: uvicorn with the app, stopping cleanly within seconds on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
from collections.abc import Iterator
from types import FrameType

import uvicorn
from fastapi import FastAPI

from gapwatch.api.app import create_app
from gapwatch.api.bytecode import bytecode_missing
from gapwatch.api.http_limits import (
    ConnectionLimits,
    QuietResourceErrors,
    connection_cap,
    guarded_protocol,
    raise_fd_limit,
)
from gapwatch.runtime.pipeline import Service, build_service
from gapwatch.settings import Settings
from gapwatch.site import Site

__all__ = ["serve"]

# Open event streams are told to end at once; this is only the backstop for other requests.
GRACEFUL_SHUTDOWN_S = 3


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """Tells the service it is stopping as soon as the signal arrives, so long-lived event
    streams end and uvicorn does not wait on them."""

    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn re-raises the signal after a graceful stop, which makes the exit status
        # "killed by SIGTERM"; a clean stop should exit 0, so restore handlers and stop there.
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(QuietResourceErrors())
        await super().serve(sockets)

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
    # One line per job run would drown the log; its warnings and errors still come through.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if bytecode_missing():
        logging.getLogger(__name__).warning(
            "no compiled bytecode and PYTHONDONTWRITEBYTECODE is set: every start compiles the "
            "code again and is several times slower; run `python -m compileall` over the "
            "install (make install does) / 未预编译字节码，启动会明显变慢"
        )

    def build(s: Settings) -> Service:
        return build_service(s, site=site)

    app = create_app(settings, build=build)
    fd_limit = raise_fd_limit()
    limits = ConnectionLimits(
        max_connections=connection_cap(settings.max_connections, fd_limit),
        header_timeout_s=settings.header_timeout_s,
    )
    logging.getLogger(__name__).info(
        "accepting up to %d connections (descriptor limit %d); headers within %g s",
        limits.max_connections,
        fd_limit,
        limits.header_timeout_s,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        log_config=None,
        access_log=False,
        http=guarded_protocol(limits),
        timeout_keep_alive=settings.keep_alive_s,
        # Requests to this API are small; a header block past 32 KiB is an attack, a 431.
        h11_max_incomplete_event_size=32 * 1024,
        backlog=1024,
    )
    _Server(config, app).run()
