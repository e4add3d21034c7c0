"""What the HTTP server does when peers misbehave: silent sockets, floods, file-descriptor limits.

uvicorn closes idle keep-alive connections, but a connection that never finishes its request
headers is held forever, and under a 1,024-descriptor limit (systemd's default) a thousand
silent sockets used to take every descriptor: each API call then timed out, and asyncio wrote an
`accept()` traceback per attempt. Here every connection must finish its headers within a
deadline, connections above a cap get an immediate 503 in the API's error shape and are closed
(so they never hold a descriptor), and the cap is kept under the process's descriptor limit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "FD_RESERVE",
    "ConnectionLimits",
    "QuietResourceErrors",
    "connection_cap",
    "guarded_protocol",
    "raise_fd_limit",
]

log = logging.getLogger(__name__)

FD_RESERVE = 256
"""Descriptors kept for everything but client connections: the database, decoder workers'
pipes, log files, outgoing webhooks."""

_BUSY_BODY = json.dumps(
    {"detail": [{"msg": "too many connections; try again shortly / 连接过多，请稍后重试"}]},
    ensure_ascii=False,
).encode("utf-8")
_BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"content-type: application/json; charset=utf-8\r\n"
    b"retry-after: 5\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_BUSY_BODY)).encode() + b"\r\n\r\n" + _BUSY_BODY
)


@dataclass(frozen=True)
class ConnectionLimits:
    """How many connections may be open and how long one may take to send its headers."""

    max_connections: int
    header_timeout_s: float


def raise_fd_limit() -> int:
    """Raise the soft descriptor limit to the hard one (as servers do); return the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return int(soft)


def connection_cap(wanted: int, fd_limit: int) -> int:
    """At most `wanted` connections, and never so many that they take the reserve."""
    return max(16, min(wanted, fd_limit - FD_RESERVE))


class _GuardedH11Protocol(H11Protocol):
    limits: ClassVar[ConnectionLimits]
    _header_timer: asyncio.TimerHandle | None = None
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            # Answer and close at once: a refused peer must not keep its descriptor.
            self._refused = True
            transport.write(_BUSY_RESPONSE)
            transport.close()
            return
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_request():
            self._disarm_header_timer()
        else:
            self._arm_header_timer()  # a keep-alive connection starting its next request

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _in_request(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self.limits.header_timeout_s, self._headers_too_slow
            )

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self._in_request() or self.transport.is_closing():
            return
        # No log line: a flood of silent sockets must not become a flood of log lines.
        self.transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a header deadline and a connection cap."""
    return type("GuardedH11Protocol", (_GuardedH11Protocol,), {"limits": limits})


class QuietResourceErrors:
    """A loop exception handler that logs `accept() out of system resource` once a minute.

    asyncio backs off accepting for a second on EMFILE; each back-off used to log a traceback.
    """

    PERIOD_S = 60.0

    def __init__(self) -> None:
        self._last = 0.0
        self._suppressed = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if "out of system resource" not in message:
            loop.default_exception_handler(context)
            return
        now = time.monotonic()
        if now - self._last < self.PERIOD_S:
            self._suppressed += 1
            return
        log.warning(
            "%s (%s); %d more like it in the last minute: raise the descriptor limit "
            "(LimitNOFILE=) or lower GAPWATCH_MAX_CONNECTIONS",
            message,
            context.get("exception"),
            self._suppressed,
        )
        self._last = now
        self._suppressed = 0
