"""A real local HTTP dispatch receiver for the delivery tests.

It records every request it sees (before answering) and answers as told: 2xx, any status code
(optionally with Retry-After), hang, or drop the connection without an answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    msg_id: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Answer:
    """How to answer one request."""

    status: int = 200
    hang_s: float = 0.0
    drop: bool = False
    retry_after: str | None = None


Script = Callable[[Received, int], Answer]


@dataclass
class Receiver:
    """A threaded HTTP server on 127.0.0.1 that can be stopped and started on the same port."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    script: Script = field(default=lambda _r, _n: Answer())
    got_request: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/dispatch"

    def answer_with(self, *answers: Answer, then: Answer | None = None) -> None:
        """Answer the next requests with `answers` in turn, then with `then` (default 200)."""
        queue = list(answers)
        final = then or Answer()

        def script(_r: Received, _n: int) -> Answer:
            return queue.pop(0) if queue else final

        self.script = script

    def ids(self) -> list[str]:
        with self._lock:
            return [r.msg_id for r in self.received]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                got = Received(
                    msg_id=self.headers.get("webhook-id", ""),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                with receiver._lock:
                    receiver.received.append(got)
                    n = len(receiver.received)
                    answer = receiver.script(got, n)
                receiver.got_request.set()
                if answer.hang_s:
                    receiver.release.wait(answer.hang_s)
                if answer.drop:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                if answer.retry_after is not None:
                    self.send_header("Retry-After", answer.retry_after)
                payload = b"{}"
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.release = threading.Event()


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A started receiver, stopped afterwards."""
    receiver = Receiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
