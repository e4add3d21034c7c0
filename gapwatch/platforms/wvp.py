"""A client of WVP-GB28181-pro's HTTP API: log in, page through devices and channels, play.

Follows the controllers of 648540858/wvp-GB28181-pro (src/main/java/com/genersoft/iot/vmp/):
- `vmanager/user/UserController.java`: `GET /api/user/login?username=&password=` where the
  password is the 32-character MD5 hex of the plain password; the answer's `data.accessToken`
  goes back on every call in the `access-token` header (`conf/security/JwtUtils.HEADER`), and
  expires after `JwtUtils.EXPIRATION_TIME` (30 minutes).
- `vmanager/bean/WVPResult.java` and `ErrorCode.java`: every answer is wrapped as
  `{"code": 0, "msg": "成功", "data": ...}` (older releases used code 200 for success); an
  expired or missing token is HTTP 401 or `code` 401 "请登录后重新请求".
- `vmanager/gb28181/device/DeviceQuery.java`: `GET /api/device/query/devices?page=&count=` and
  `GET /api/device/query/devices/{deviceId}/channels?page=&count=` return a PageInfo,
  `{"total": N, "list": [...]}`, pages numbered from 1.
- `vmanager/gb28181/play/PlayController.java`: `GET /api/play/start/{deviceId}/{channelId}`
  answers a StreamContent (`rtsp`, `rtmp`, `flv`, `hls`, `ws_flv`, ... URLs through ZLMediaKit);
  `GET /api/play/stop/{deviceId}/{channelId}` ends the session it opened.
- Channel fields differ by release: the channel's 国标 id is `channelId` (older) or `deviceId`
  (2.7+), the maker `manufacture` or `manufacturer`, status `1`/`0` or `"ON"`/`"OFF"`; positions
  are `longitude`/`latitude` in the device's `geoCoordSys` (`WGS84` or `GCJ02`), and releases
  since 2.6 also store `longitudeWgs84`/`latitudeWgs84` and `longitudeGcj02`/`latitudeGcj02`.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from gapwatch.platforms.types import Channel, Inventory, PlatformError, PlatformUnreachable
from gapwatch.site.datum import gcj02_to_wgs84
from gapwatch.vision.redact import RedactingFilter

__all__ = ["Datum", "PlayKind", "WvpClient", "WvpLogin", "channel_from_wvp", "read_wvp"]

log = logging.getLogger(__name__)

PlayKind = Literal["rtsp", "rtmp", "flv", "hls"]
Datum = Literal["auto", "wgs84", "gcj02"]

_SUCCESS = {0, 200}
_EXPIRED = 401
PAGE_SIZE = 100


@dataclass(frozen=True)
class WvpLogin:
    """Where the platform is and who logs in; `password` is held only in memory."""

    url: str
    user: str
    password: str

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return f"WvpLogin(url={self.url!r}, user={self.user!r}, password=***)"


class _Expired(Exception):
    pass


def _quiet_httpx_urls() -> None:
    """WVP's login carries the password hash in the query string, which httpx logs at INFO."""
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, RedactingFilter) for f in httpx_log.filters):
        httpx_log.addFilter(RedactingFilter())


class WvpClient:
    """One session with a WVP platform; logs in again once when the token expires."""

    def __init__(self, login: WvpLogin, *, timeout_s: float = 10.0) -> None:
        _quiet_httpx_urls()
        self._login = login
        self._http = httpx.Client(base_url=login.url.rstrip("/"), timeout=timeout_s)
        self._token: str | None = None
        self.logins = 0

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WvpClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def login(self) -> None:
        """Log in with the MD5 of the password and keep the access token."""
        # MD5 is WVP's login protocol, not a choice made here; TLS (https URL) protects it.
        digest = hashlib.md5(self._login.password.encode("utf-8")).hexdigest()
        data = self._call(
            "/api/user/login",
            params={"username": self._login.user, "password": digest},
            auth=False,
        )
        token = data.get("accessToken") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise PlatformError(
                "WVP login answered without an access token ｜ WVP 登录未返回 access token"
            )
        self._token = token
        self.logins += 1

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The `data` of a WVPResult, logging in first or again (once) when needed."""
        if self._token is None:
            self.login()
        try:
            return self._call(path, params=params)
        except _Expired:
            log.info("WVP access token expired; logging in again")
            self.login()
            try:
                return self._call(path, params=params)
            except _Expired:
                raise PlatformError(
                    "WVP refused the new access token ｜ WVP 拒绝了新的 access token"
                ) from None

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a paged list (`{"total", "list"}`), page after page."""
        page, seen = 1, 0
        while True:
            data = self.get(path, {**(params or {}), "page": page, "count": PAGE_SIZE})
            if not isinstance(data, dict) or not isinstance(data.get("list"), list):
                raise PlatformError(
                    f"WVP {path}: expected a page {{total, list}} ｜ WVP {path} 未返回分页数据"
                )
            items = [item for item in data["list"] if isinstance(item, dict)]
            yield from items
            seen += len(data["list"])
            total = data.get("total")
            if not items or (isinstance(total, int) and seen >= total):
                return
            page += 1

    def play_url(self, device_id: str, channel_id: str, kind: PlayKind) -> str | None:
        """Ask the platform to play a channel, note its URL of `kind`, and stop the session."""
        path = f"/api/play/start/{device_id}/{channel_id}"
        try:
            content = self.get(path)
        except PlatformUnreachable:
            raise
        except PlatformError as error:
            log.warning("WVP could not play channel %s: %s", channel_id, error)
            return None
        try:
            self.get(f"/api/play/stop/{device_id}/{channel_id}")
        except PlatformUnreachable:
            raise
        except PlatformError as error:
            log.warning("WVP did not stop channel %s: %s", channel_id, error)
        if not isinstance(content, dict):
            return None
        url = content.get(kind)
        if isinstance(url, dict):  # some releases nest {"url": ...}
            url = url.get("url")
        return url if isinstance(url, str) and url else None

    def _call(self, path: str, *, params: dict[str, Any] | None = None, auth: bool = True) -> Any:
        headers = {"access-token": self._token} if auth and self._token else {}
        try:
            response = self._http.get(path, params=params, headers=headers)
        except httpx.TimeoutException:
            raise PlatformUnreachable(
                f"WVP at {self._login.url} did not answer in time ｜ WVP {self._login.url} 响应超时"
            ) from None
        except httpx.TransportError as error:
            raise PlatformUnreachable(
                f"cannot reach WVP at {self._login.url}: {type(error).__name__} ｜ "
                f"无法连接 WVP {self._login.url}"
            ) from None
        if response.status_code == 401 and auth:
            raise _Expired
        if response.status_code >= 500:
            raise PlatformUnreachable(
                f"WVP at {self._login.url} is failing (HTTP {response.status_code}) ｜ "
                f"WVP {self._login.url} 服务异常（HTTP {response.status_code}）"
            )
        try:
            body = response.json()
        except ValueError:
            raise PlatformError(
                f"WVP {path} answered HTTP {response.status_code} without JSON ｜ "
                f"WVP {path} 返回的不是 JSON"
            ) from None
        if not isinstance(body, dict) or "code" not in body:
            raise PlatformError(f"WVP {path}: not a WVPResult ｜ WVP {path} 返回格式不符")
        code = body.get("code")
        if code == _EXPIRED and auth:
            raise _Expired
        if code not in _SUCCESS:
            msg = str(body.get("msg") or "")
            raise PlatformError(
                f"WVP {path} refused (code {code}: {msg}) ｜ WVP {path} 拒绝：{msg}"
            )
        return body.get("data")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _pair(item: dict[str, Any], lon_key: str, lat_key: str) -> tuple[float, float] | None:
    lon, lat = _number(item.get(lon_key)), _number(item.get(lat_key))
    if lon is None or lat is None or (lon == 0 and lat == 0):
        return None  # WVP stores 0/0 for "no position"
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return lon, lat


def _position(item: dict[str, Any], device_datum: str, datum: Datum) -> tuple[float, float] | None:
    """The channel's WGS84 position, from whichever columns this WVP release filled."""
    if datum in ("auto", "wgs84"):
        wgs = _pair(item, "longitudeWgs84", "latitudeWgs84")
        if wgs is not None:
            return wgs
    raw = _pair(item, "longitude", "latitude")
    if raw is None:
        gcj = _pair(item, "longitudeGcj02", "latitudeGcj02")
        return gcj02_to_wgs84(*gcj) if gcj is not None else None
    written_in = datum if datum != "auto" else device_datum
    return gcj02_to_wgs84(*raw) if written_in == "gcj02" else raw


def _online(item: dict[str, Any], *, default: bool = False) -> bool:
    for key in ("status", "onLine", "online"):
        value = item.get(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value == 1
        if isinstance(value, str):
            return value.strip().upper() in {"ON", "1", "TRUE", "ONLINE"}
    return default


def channel_from_wvp(
    item: dict[str, Any], *, device: dict[str, Any], datum: Datum = "auto"
) -> Channel | None:
    """One WVP channel record as a `Channel` (without its stream); None when it has no id."""
    device_id = str(device.get("deviceId") or "")
    channel_id = item.get("channelId") or item.get("deviceId") or item.get("gbDeviceId")
    if not channel_id:
        return None
    device_datum = str(device.get("geoCoordSys") or "WGS84").replace("-", "").lower()
    maker = item.get("manufacture") or item.get("manufacturer") or device.get("manufacturer")
    name = str(item.get("name") or item.get("gbName") or channel_id).strip() or str(channel_id)
    return Channel(
        platform_id=str(channel_id),
        name=name,
        online=_online(item) and _online(device, default=True),
        device_id=device_id or None,
        manufacturer=str(maker).strip() if maker else None,
        location=_position(item, device_datum, datum),
    )


def read_wvp(
    client: WvpClient,
    *,
    platform: str,
    play: PlayKind = "rtsp",
    datum: Datum = "auto",
    fetch_streams: bool = True,
) -> Inventory:
    """Every channel of every device on the platform, with a play URL for the online ones."""
    inventory = Inventory(platform=platform)
    for device in list(client.pages("/api/device/query/devices")):
        device_id = device.get("deviceId")
        if not device_id:
            continue
        for item in client.pages(f"/api/device/query/devices/{device_id}/channels"):
            channel = channel_from_wvp(item, device=device, datum=datum)
            if channel is None:
                continue
            if fetch_streams and channel.online:
                stream = client.play_url(str(device_id), channel.platform_id, play)
                channel = Channel(**{**channel.__dict__, "stream": stream})
            inventory.channels.append(channel)
    return inventory
