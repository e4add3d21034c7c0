"""Small misbehaving cameras on loopback, run as their own process so their sockets are not ours.

    python http_camera.py CLIP.mp4 TS_DIR

Serves over HTTP: `/mjpeg` (10 fps, forever), `/mjpeg-silent` (3 frames, then holds the connection
open without a word), `/mjpeg-close` (3 frames, then closes), `/ts/NAME.ts?seconds=S` (an MPEG-TS
file paced over S seconds) and
`/private` (always 401). Also opens a TCP port that accepts connections and never speaks.
Prints `READY <http_port> <silent_port>` when both listen; stops on SIGTERM.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2


def _jpegs(clip: Path, limit: int = 40) -> list[bytes]:
    capture = cv2.VideoCapture(str(clip))
    jpegs: list[bytes] = []
    while len(jpegs) < limit:
        ok, image = capture.read()
        if not ok:
            break
        jpegs.append(cv2.imencode(".jpg", image)[1].tobytes())
    capture.release()
    return jpegs


def main() -> None:
    clip, ts_dir = Path(sys.argv[1]), Path(sys.argv[2])
    jpegs = _jpegs(clip)
    held: list[socket.socket] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path.startswith("/private"):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path.startswith("/mjpeg"):
                self._mjpeg()
            elif self.path.startswith("/ts/"):
                self._mpeg_ts()
            else:
                self.send_error(404)

        def _mpeg_ts(self) -> None:
            # Paced like a camera: the clip's bytes spread over `seconds` of wall time.
            path, _, query = self.path.partition("?")
            seconds = float(query.removeprefix("seconds=") or 8)
            body = (ts_dir / Path(path).name).read_bytes()
            chunk = 188 * 20
            pause = seconds / max(1, len(body) // chunk)
            self.send_response(200)
            self.send_header("Content-Type", "video/mp2t")
            self.end_headers()
            try:
                for start in range(0, len(body), chunk):
                    self.wfile.write(body[start : start + chunk])
                    self.wfile.flush()
                    time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _mjpeg(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            limit = None if self.path == "/mjpeg" else 3
            sent = 0
            try:
                while limit is None or sent < limit:
                    jpeg = jpegs[sent % len(jpegs)]
                    self.wfile.write(
                        b"--frame\r\nContent-Type: image/jpeg\r\n"
                        + f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                        + jpeg
                        + b"\r\n"
                    )
                    self.wfile.flush()
                    sent += 1
                    time.sleep(0.1)
                if self.path == "/mjpeg-silent":
                    time.sleep(3600)  # hold the connection open, say nothing
            except (BrokenPipeError, ConnectionResetError):
                pass

    http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    http.daemon_threads = True
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()

    def accept_and_ignore() -> None:
        while True:
            held.append(silent.accept()[0])

    threading.Thread(target=accept_and_ignore, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"READY {http.server_address[1]} {silent.getsockname()[1]}", flush=True)
    http.serve_forever()


if __name__ == "__main__":
    main()
