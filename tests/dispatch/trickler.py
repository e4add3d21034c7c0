"""A loopback socket server that reads a request and answers by a script of raw bytes and pauses:
how a dispatch receiver that trickles its status line or headers behaves on the wire."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Trickler:
    """Sends `reply` `step` bytes at a time, `pause_s` apart; records what happened."""

    reply: bytes
    step: int = 1
    pause_s: float = 0.0
    port: int = 0
    requests: int = 0
    got_request: threading.Event = field(default_factory=threading.Event)
    hung_up: threading.Event = field(default_factory=threading.Event)
    """Set when the client closed the connection before the whole reply was sent."""
    completed: threading.Event = field(default_factory=threading.Event)
    """Set when the whole reply went out."""
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def handle(self, conn: socket.socket) -> None:
        with conn:
            if not read_request(conn):
                return
            self.requests += 1
            self.got_request.set()
            try:
                for at in range(0, len(self.reply), self.step):
                    conn.sendall(self.reply[at : at + self.step])
                    if self.stop.is_set():
                        return
                    if self.pause_s and self._client_left(conn):
                        self.hung_up.set()
                        return
                self.completed.set()
                conn.settimeout(5)
                conn.recv(1)
            except OSError:
                self.hung_up.set()

    def _client_left(self, conn: socket.socket) -> bool:
        """Wait `pause_s`; True as soon as the client closes its end."""
        conn.settimeout(self.pause_s)
        try:
            data = conn.recv(1)
        except TimeoutError:
            return False
        return data == b""


def read_request(conn: socket.socket) -> bool:
    """Read one HTTP request (head and Content-Length body); False when the peer closed first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        rest += chunk
    return True


@contextmanager
def trickler(reply: bytes, *, step: int = 1, pause_s: float = 0.0) -> Iterator[Trickler]:
    """A started `Trickler` on 127.0.0.1 (a port chosen by the system)."""
    server = Trickler(reply, step=step, pause_s=pause_s)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    server.port = int(listener.getsockname()[1])

    def accept() -> None:
        while not server.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=server.handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        thread.join(5)
        listener.close()


OK = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
