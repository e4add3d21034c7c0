"""A small dispatch receiver for the demo: verifies each signed webhook and logs the task.

It is what a dispatch (CAD) integrator's endpoint must do at the least — check the Standard
Webhooks signature and timestamp, and treat a repeated `webhook-id` as already handled — so the
running demo shows the whole loop from a failing camera to a patrol task arriving.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gapwatch.dispatch import WebhookVerificationError, verify

__all__ = ["DemoDispatchReceiver", "describe_message"]

log = logging.getLogger("gapwatch.demo_dispatch")

# Ids remembered for de-duplication; a real receiver keeps them at least as long as the sender
# retries (about three days under the Standard Webhooks schedule).
_REMEMBERED_IDS = 10_000


def describe_message(body: dict[str, Any]) -> str:
    """One line, Chinese then English, saying what a dispatch message asks for."""
    kind = str(body.get("type", "?"))
    data = body.get("data") or {}
    task = data.get("task") if isinstance(data, dict) else None
    if not isinstance(task, dict):
        return f"{kind}"
    payload = task  # the task's own fields and its payload arrive flattened
    what = task.get("kind", "?")
    status = task.get("status", "?")
    if what == "road_patrol":
        unit = payload.get("unit") or "无可用单元 no free unit"
        eta = payload.get("eta_s")
        area = payload.get("blind_spot_m2")
        eta_text = f", 预计 ETA {eta:.0f} s" if isinstance(eta, int | float) else ""
        return (
            f"{kind}: 路面巡逻 road patrol {task.get('id')} -> {unit} ({status}), "
            f"盲区 blind {area} m², 区域 zone {payload.get('zone')}{eta_text}"
        )
    if what == "video_patrol":
        views = payload.get("views") or []
        names = [v.get("camera", "?") if isinstance(v, dict) else str(v) for v in views][:4]
        return (
            f"{kind}: 视频巡查 video patrol {task.get('id')} ({status}), "
            f"可用摄像机 cameras {', '.join(names) or '-'}"
        )
    return f"{kind}: {what} {task.get('id')} ({status})"


class DemoDispatchReceiver:
    """A threaded HTTP server on loopback that accepts signed dispatch webhooks."""

    def __init__(self, secret: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                status = receiver._accept(dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return  # one line per message is logged by _accept instead

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/dispatch"

    def _accept(self, headers: dict[str, str], body: bytes) -> int:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            verify(self.secret, lowered, body)
        except WebhookVerificationError as exc:
            log.warning("调度演示：签名无效，拒收 / demo dispatch: rejected message: %s", exc)
            return 401
        msg_id = lowered.get("webhook-id", "")
        with self._lock:
            if msg_id in self._seen:
                log.info("调度演示：重复消息已忽略 / demo dispatch: repeat of %s ignored", msg_id)
                return 200
            self._seen[msg_id] = None
            while len(self._seen) > _REMEMBERED_IDS:
                self._seen.popitem(last=False)
            try:
                message = json.loads(body)
            except ValueError:
                return 400
            self.received.append(message)
        log.info("调度演示 demo dispatch %s: %s", msg_id, describe_message(message))
        return 204

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="demo-dispatch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
