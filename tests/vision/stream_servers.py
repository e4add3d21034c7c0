"""Real stream servers on loopback for the stream-form tests.

- node-media-server (npm, `tests/servers/`, installed by `make servers` with `npm ci`): RTMP in,
  RTMP, HTTP-FLV and WS-FLV out, as ZLMediaKit serves them; FFmpeg publishes a looping clip.
- HLS: FFmpeg's HLS muxer writes a live playlist into a folder served by Python's http.server;
  killing the muxer leaves the playlist behind, as a dead ZLMediaKit/FFmpeg muxer does.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import select
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SERVERS_DIR = Path(__file__).resolve().parents[1] / "servers"
MEDIA_SERVER_SCRIPT = SERVERS_DIR / "media_server.js"


def media_server_missing() -> str | None:
    """Why node-media-server cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node not found (Debian: nodejs, npm)"
    if not (SERVERS_DIR / "node_modules" / "node-media-server").is_dir():
        return "node-media-server not installed: run `make servers` (npm ci in tests/servers)"
    return None


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_for(condition: object, timeout_s: float, what: str) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {timeout_s:.0f} s")


@dataclass
class MediaServer:
    """A running node-media-server and the FFmpeg publishers pushing clips into it."""

    process: subprocess.Popen[str]
    rtmp_port: int
    http_port: int
    publishers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def rtmp(self, name: str) -> str:
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{name}"

    def http_flv(self, name: str) -> str:
        return f"http://127.0.0.1:{self.http_port}/live/{name}.flv"

    def ws_flv(self, name: str) -> str:
        return f"ws://127.0.0.1:{self.http_port}/live/{name}.flv"

    def publish(self, name: str, clip: Path) -> None:
        """Push `clip` in a loop, in real time, to the stream `name`; returns once it plays."""
        self.publishers[name] = subprocess.Popen(
            [
                "ffmpeg", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
                "-c", "copy", "-f", "flv", self.rtmp(name),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(lambda: self._playing(name), 15, f"RTMP stream {name}")

    def _playing(self, name: str) -> bool:
        # HTTP-FLV answers a stream that is not published with headers and then nothing.
        try:
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=1) as conn:
                conn.sendall(f"GET /live/{name}.flv HTTP/1.0\r\n\r\n".encode())
                conn.settimeout(1)
                data = b""
                while len(data) < 600:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                return b"FLV" in data and len(data) >= 600
        except OSError:
            return False

    def stop_publisher(self, name: str) -> None:
        _stop(self.publishers.pop(name))

    def stop(self) -> None:
        for publisher in self.publishers.values():
            _stop(publisher)
        self.publishers.clear()
        _stop(self.process)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_media_server() -> MediaServer:
    """Start node-media-server on free loopback ports; returns once both ports listen."""
    rtmp_port, http_port = free_port(), free_port()
    process = subprocess.Popen(
        ["node", str(MEDIA_SERVER_SCRIPT), str(rtmp_port), str(http_port)],
        cwd=SERVERS_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    if not line.startswith("READY"):
        _stop(process)
        process.stdout.close()
        raise RuntimeError(f"node-media-server did not start: {line!r}")
    return MediaServer(process=process, rtmp_port=rtmp_port, http_port=http_port)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class HlsServer:
    """FFmpeg writing a live HLS playlist into `folder`, served over HTTP on loopback."""

    folder: Path
    muxer: subprocess.Popen[bytes]
    httpd: http.server.ThreadingHTTPServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/live.m3u8"

    def kill_muxer(self) -> None:
        """The muxer dies; its playlist and last segments stay behind, never advancing."""
        self.muxer.kill()
        self.muxer.wait(5)

    def stop(self) -> None:
        _stop(self.muxer)
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def start_hls_server(clip: Path, folder: Path, *, segment_s: float = 1.0) -> HlsServer:
    """Start FFmpeg's HLS muxer on a looping clip and an HTTP server for its folder."""
    folder.mkdir(parents=True, exist_ok=True)
    muxer = subprocess.Popen(
        [
            "ffmpeg", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i", str(clip),
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "0",
            "-pix_fmt", "yuv420p", "-an", "-f", "hls", "-hls_time", f"{segment_s:g}",
            "-hls_list_size", "4", "-hls_flags", "delete_segments",
            str(folder / "live.m3u8"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, name="hls-http", daemon=True)
    thread.start()
    server = HlsServer(folder=folder, muxer=muxer, httpd=httpd, thread=thread)
    playlist = folder / "live.m3u8"
    try:
        _wait_for(
            lambda: playlist.exists() and playlist.read_text().count("#EXTINF") >= 2,
            20,
            "the HLS playlist",
        )
    except RuntimeError:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running(server: MediaServer | HlsServer) -> Iterator[None]:
    try:
        yield
    finally:
        server.stop()
