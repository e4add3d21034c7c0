"""A stand-in for WVP-GB28181-pro's HTTP API on loopback, answering with WVP's JSON shapes.

WVP itself (Java, MySQL, Redis, ZLMediaKit) cannot run here. This server speaks the parts the
importer uses, as WVP's controllers define them: `GET /api/user/login` with an MD5 password
giving `data.accessToken`; the `access-token` header on every other call (HTTP 401 with a
WVPResult code 401 when missing or expired); `{code, msg, data}` wrappers; paged `{total, list}`
device and channel queries; `/api/play/start|stop/{deviceId}/{channelId}` with a StreamContent.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class WvpState:
    user: str
    password: str
    devices: list[dict[str, Any]] = field(default_factory=list)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    max_page: int = 2  # WVP honours `count`; a small cap makes every list span pages
    tokens: set[str] = field(default_factory=set)
    logins: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    playing: set[tuple[str, str]] = field(default_factory=set)
    started: list[tuple[str, str]] = field(default_factory=list)
    stopped: list[tuple[str, str]] = field(default_factory=list)
    expire_after_calls: int | None = None
    failing: bool = False
    calls: int = 0

    def expire_tokens(self) -> None:
        self.tokens.clear()


def _result(data: Any, code: int = 0, msg: str = "成功") -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data}


def _page(items: list[dict[str, Any]], query: dict[str, str], cap: int) -> dict[str, Any]:
    page = int(query.get("page", "1"))
    count = min(int(query.get("count", "15")), cap)
    start = (page - 1) * count
    return {
        "total": len(items),
        "list": items[start : start + count],
        "pageNum": page,
        "pageSize": count,
    }


class _Handler(BaseHTTPRequestHandler):
    state: WvpState

    def log_message(self, *_args: object) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        state = self.state
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        state.requests.append((url.path, dict(self.headers.items())))
        if state.failing:
            self._send(502, {"status": 502, "error": "Bad Gateway"})
            return
        if url.path == "/api/user/login":
            expected = hashlib.md5(state.password.encode()).hexdigest()
            if query.get("username") != state.user or query.get("password") != expected:
                self._send(200, _result(None, 400, "用户名或密码错误"))
                return
            token = secrets.token_hex(16)
            state.tokens.add(token)
            state.logins += 1
            user = {"id": 1, "username": state.user, "role": {"id": 1, "name": "admin"}}
            self._send(200, _result(user | {"accessToken": token}))
            return
        if self.headers.get("access-token") not in state.tokens:
            self._send(401, _result(None, 401, "请登录后重新请求"))
            return
        state.calls += 1
        if state.expire_after_calls is not None and state.calls >= state.expire_after_calls:
            state.expire_after_calls = None
            state.expire_tokens()
        parts = url.path.strip("/").split("/")
        if url.path == "/api/device/query/devices":
            self._send(200, _result(_page(state.devices, query, state.max_page)))
        elif parts[:4] == ["api", "device", "query", "devices"] and parts[-1] == "channels":
            items = state.channels.get(parts[4], [])
            self._send(200, _result(_page(items, query, state.max_page)))
        elif parts[:3] == ["api", "play", "start"] and len(parts) == 5:
            device_id, channel_id = parts[3], parts[4]
            state.started.append((device_id, channel_id))
            state.playing.add((device_id, channel_id))
            stream = f"{device_id}_{channel_id}"
            host = "10.20.0.9"
            content = {
                "app": "rtp",
                "stream": stream,
                "ip": host,
                "rtsp": f"rtsp://{host}:554/rtp/{stream}",
                "rtmp": f"rtmp://{host}:1935/rtp/{stream}",
                "flv": f"http://{host}:80/rtp/{stream}.live.flv",
                "ws_flv": f"ws://{host}:80/rtp/{stream}.live.flv",
                "hls": f"http://{host}:80/rtp/{stream}/hls.m3u8",
                "mediaServerId": "zlm-1",
            }
            self._send(200, _result(content))
        elif parts[:3] == ["api", "play", "stop"] and len(parts) == 5:
            state.stopped.append((parts[3], parts[4]))
            state.playing.discard((parts[3], parts[4]))
            self._send(200, _result(None))
        else:
            self._send(404, _result(None, 404, "资源未找到"))


class WvpStandIn:
    """The stand-in server on 127.0.0.1, in a thread; `url` is its base address."""

    def __init__(self, state: WvpState) -> None:
        handler = type("Handler", (_Handler,), {"state": state})
        self.state = state
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> WvpStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def demo_state(password: str) -> WvpState:
    """Two devices: an NVR storing GCJ-02 with four channels, an IPC in WGS84 with one."""
    nvr = {
        "deviceId": "34020000001180000001",
        "name": "南门 NVR",
        "manufacturer": "Hikvision",
        "onLine": True,
        "geoCoordSys": "GCJ02",
        "channelCount": 4,
    }
    ipc = {
        "deviceId": "34020000001320000099",
        "name": "Trail IPC",
        "manufacturer": "Dahua",
        "onLine": True,
        "geoCoordSys": "WGS84",
        "channelCount": 1,
    }
    # Older releases: channelId / manufacture / status 1|0, positions in the device's datum.
    nvr_channels = [
        {
            "channelId": "34020000001310000001",
            "deviceId": nvr["deviceId"],
            "name": "南门广场 1",
            "manufacture": "Hikvision",
            "status": 1,
            "longitude": 104.0561,
            "latitude": 35.1287,
            "ptzType": 1,
        },
        {
            "channelId": "34020000001310000002",
            "deviceId": nvr["deviceId"],
            "name": "南门广场 2",
            "manufacture": "Hikvision",
            "status": 1,
            "longitude": 104.0575,
            "latitude": 35.1296,
        },
        {
            "channelId": "34020000001310000003",
            "deviceId": nvr["deviceId"],
            "name": "停车场",
            "manufacture": "Hikvision",
            "status": 1,
            "longitude": 0.0,
            "latitude": 0.0,
        },
        {
            "channelId": "34020000001310000004",
            "deviceId": nvr["deviceId"],
            "name": "售票处",
            "manufacture": "Hikvision",
            "status": 0,
            "longitude": 104.0580,
            "latitude": 35.1300,
        },
    ]
    # 2.7 releases: the channel's own 国标 id in deviceId, "ON"/"OFF", WGS84 columns filled.
    ipc_channels = [
        {
            "deviceId": "34020000001320000099",
            "name": "Trail 1",
            "manufacturer": "Dahua",
            "status": "ON",
            "longitude": 104.0530,
            "latitude": 35.1310,
            "longitudeWgs84": 104.0530,
            "latitudeWgs84": 35.1310,
            "longitudeGcj02": 104.0590,
            "latitudeGcj02": 35.1297,
        }
    ]
    return WvpState(
        user="admin",
        password=password,
        devices=[nvr, ipc],
        channels={nvr["deviceId"]: nvr_channels, ipc["deviceId"]: ipc_channels},
    )
