"""WS-FLV: read a websocket in the decoder worker and hand its bytes to FFmpeg.

FFmpeg has no websocket protocol (its protocol list has http, rtmp, rtsp, tcp... but no ws), while
ZLMediaKit and node-media-server serve FLV (and MPEG-TS) over websockets for browsers. The
`websockets` client connects; its binary messages are the container's bytes in order, read by
PyAV through a file-like object. A receive that waits longer than the stall time ends the feed,
and the reason is kept so the probe says "stalled", not "ended".
"""

from __future__ import annotations

import base64
import contextlib
import time
from typing import TYPE_CHECKING

from gapwatch.vision.redact import redact
from gapwatch.vision.sources import FAST_START_OPTIONS, Connection, SourceError, StreamSource

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

__all__ = ["WebsocketFeed", "open_websocket"]

MAX_MESSAGE_BYTES = 16 << 20
"""A keyframe of a 4K camera fits; a hostile server cannot make the worker buffer more."""


class WebsocketFeed:
    """A file-like reader over a websocket's binary messages (what PyAV reads from)."""

    def __init__(
        self, connection: ClientConnection, *, read_timeout_s: float, stop_at: float
    ) -> None:
        self.connection = connection
        self.read_timeout_s = read_timeout_s
        self.stop_at = stop_at
        self.buffer = b""
        self.failure: str | None = None
        self.cut_short = False
        """The probe's sampling time ran out while waiting: not the camera's fault."""

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes; b"" (end of stream) once the socket closed or stalled."""
        while not self.buffer and self.failure is None and not self.cut_short:
            self._receive()
        if size < 0:
            size = len(self.buffer)
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out

    def _receive(self) -> None:
        from websockets.exceptions import ConnectionClosed

        # Never wait past the probe's sampling time: the worker must report, not be killed.
        wait = min(self.read_timeout_s, self.stop_at - time.monotonic())
        if wait <= 0:
            self.cut_short = True
            return
        try:
            message = self.connection.recv(timeout=wait)
        except TimeoutError:
            if wait < self.read_timeout_s:
                self.cut_short = True
                return
            self.failure = f"stream stalled: no data for {self.read_timeout_s:.1f} s / 视频流卡住"
            return
        except ConnectionClosed:
            self.failure = "stream ended: the server closed the websocket / 视频流中断"
            return
        self.buffer = message if isinstance(message, bytes) else message.encode("utf-8")

    def close(self) -> None:
        """Close the websocket without waiting long for the server's goodbye."""
        with contextlib.suppress(Exception):
            self.connection.close()


def open_websocket(
    source: StreamSource, *, open_timeout_s: float, read_timeout_s: float, stop_at: float
) -> Connection:
    """Connect to a WS-FLV (or WS-TS) stream and open its bytes as a container."""
    import av
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
    from websockets.sync.client import connect

    headers: dict[str, str] = {}
    login = source.spec.login()
    if login is not None:
        token = base64.b64encode(f"{login[0]}:{login[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    try:
        connection = connect(
            source.spec.address_url(),
            additional_headers=headers,
            open_timeout=open_timeout_s,
            close_timeout=0.2,
            ping_interval=None,  # a probe lasts seconds; keepalive pings are noise
            compression=None,
            max_size=MAX_MESSAGE_BYTES,
            proxy=None,
        )
    except InvalidStatus as exc:
        code = exc.response.status_code
        raise SourceError(f"cannot open: HTTP {code} / 无法打开：HTTP {code}") from None
    except TimeoutError:
        raise SourceError(
            f"no answer within {open_timeout_s:.1f} s / {open_timeout_s:.1f} 秒内无应答"
        ) from None
    except (OSError, InvalidHandshake, InvalidURI) as exc:
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SourceError(f"cannot open: {redact(str(text))} / 无法打开") from None
    feed = WebsocketFeed(connection, read_timeout_s=read_timeout_s, stop_at=stop_at)
    try:
        container = av.open(
            feed,
            mode="r",
            format=source.container_format,
            options=dict(FAST_START_OPTIONS),
        )
    except Exception as exc:
        feed.close()
        reason = feed.failure or f"cannot open: {type(exc).__name__}"
        raise SourceError(reason) from None
    return Connection(
        container=container,
        stall_s=read_timeout_s,
        failure=lambda: feed.failure,
        cut_short=lambda: feed.cut_short,
        closers=[feed.close],
    )
