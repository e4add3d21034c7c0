"""The site file's schema: what a technician writes in YAML, validated field by field.

Coordinates are `[longitude, latitude]` in degrees (WGS84 after loading), distances in metres,
bearings in degrees clockwise from north.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from gapwatch.site.platform_fields import OnvifAccess, PlatformSource, UnplacedChannel

__all__ = [
    "MAX_LIST_ITEMS",
    "MAX_NAME_CHARS",
    "MAX_RANGE_M",
    "MAX_TEXT_CHARS",
    "MAX_VERTICES",
    "STREAM_SCHEMES",
    "Camera",
    "CoverageSettings",
    "DispatchEndpoint",
    "DispatchSettings",
    "HealthSettings",
    "LonLat",
    "MaintenanceWindow",
    "Obstacle",
    "PatrolUnit",
    "Period",
    "PtzPreset",
    "Road",
    "SiteFile",
    "SiteInfo",
    "TerrainSettings",
    "Zone",
    "ZoneSchedule",
]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise ValueError(
            f"{value!r} is not a valid id: 1-64 letters, digits, '-', '_', '.', ':', "
            "starting with a letter or digit"
            f" ｜ {value!r} 不是有效的 id：1-64 个字母、数字或 '-'、'_'、'.'、':'，以字母或数字开头"
        )
    return value


Identifier = Annotated[str, AfterValidator(_check_id)]

MAX_NAME_CHARS = 200
"""A name shown on a screen, a task or a CAP message; longer is a paste accident."""
MAX_TEXT_CHARS = 2000
"""Free text (notes, reasons) and URLs."""
MAX_VERTICES = 10_000
"""Points of one polygon or road line; a surveyed scenic-area outline has a few hundred."""
MAX_LIST_ITEMS = 1_000
"""Items of a small list inside one entry (presets, schedule entries, cameras of a window)."""
MAX_RANGE_M = 5000.0
"""Longest useful viewing distance of a camera or a PTZ preset, metres."""

# XML 1.0 (CAP, the dashboard's SVG) cannot carry C0 controls other than tab/newline/CR, nor
# surrogates or U+FFFE/U+FFFF; C1 controls and DEL are never meant in a name.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_UNPRINTABLE_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _control_message(char: str) -> str:
    code = f"U+{ord(char):04X}"
    return (
        f"holds the control character {code}, which cannot be shown or sent; remove it"
        f" ｜ 含有控制字符 {code}，无法显示或发送；请删除"
    )


def _check_name(value: str) -> str:
    found = _UNPRINTABLE.search(value)
    if found is not None:
        raise ValueError(_control_message(found.group()))
    return value


def _check_text(value: str) -> str:
    found = _UNPRINTABLE_IN_TEXT.search(value)
    if found is not None:
        raise ValueError(_control_message(found.group()))
    return value


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS), AfterValidator(_check_name)]
"""A one-line name people read: no line breaks or control characters."""
FreeText = Annotated[str, Field(max_length=MAX_TEXT_CHARS), AfterValidator(_check_text)]
"""A note: line breaks allowed, other control characters not."""


def _check_lonlat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValueError("a position must be two finite numbers ｜ 位置必须是两个有限数值")
    if -90.0 <= lon <= 90.0 and -180.0 <= lat <= 180.0 and not -90.0 <= lat <= 90.0:
        raise ValueError(
            f"latitude {lat:g} is outside -90..90; positions are [longitude, latitude], and "
            f"[{lon:g}, {lat:g}] looks swapped: write [{lat:g}, {lon:g}]"
            f" ｜ 纬度 {lat:g} 超出 -90..90；位置应写作 [经度, 纬度]，"
            f"[{lon:g}, {lat:g}] 似乎写反了：应为 [{lat:g}, {lon:g}]"
        )
    if not -180.0 <= lon <= 180.0:
        raise ValueError(f"longitude {lon:g} is outside -180..180 ｜ 经度 {lon:g} 超出 -180..180")
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat:g} is outside -90..90 ｜ 纬度 {lat:g} 超出 -90..90")
    return value


LonLat = Annotated[tuple[float, float], AfterValidator(_check_lonlat)]
"""A WGS84 (or, before conversion, GCJ-02/BD-09) position as `[longitude, latitude]`."""


def _check_date_range(value: str) -> str:
    parse_date_range(value)
    return value


DateRange = Annotated[str, AfterValidator(_check_date_range)]
"""A date 'YYYY-MM-DD' or an inclusive range 'YYYY-MM-DD/YYYY-MM-DD'."""

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

_TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?$")
_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _parse_local_time(value: object) -> object:
    # Site-local wall-clock time only: an offset (18:30+08:00) would make an aware time that
    # cannot be compared with the site's local clock, and the site's time zone already says it.
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise ValueError(_TIME_MESSAGE.format(value=value.isoformat()))
        return value
    if not isinstance(value, str):
        raise ValueError(_TIME_MESSAGE.format(value=repr(value)[:40]))
    found = _TIME_RE.match(value.strip())
    if found is None:
        raise ValueError(_TIME_MESSAGE.format(value=repr(value)[:40]))
    hour, minute, second = found.group(1), found.group(2), found.group(3)
    return dt.time(int(hour), int(minute), int(second or 0))


_TIME_MESSAGE = (
    "must be a local time HH:MM or HH:MM:SS without a UTC offset (got {value}); the site's "
    "`timezone` says which clock ｜ 必须是不带时区偏移的当地时间 HH:MM 或 HH:MM:SS"
    "（当前为 {value}）；时区由站点的 `timezone` 决定"
)

LocalTime = Annotated[
    dt.time,
    BeforeValidator(_parse_local_time),
    WithJsonSchema({"type": "string", "pattern": _TIME_PATTERN}),
]
"""Wall-clock time at the site, 'HH:MM' (or 'HH:MM:SS')."""

_EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)
_DATETIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})?$"
)


def _check_moment(value: dt.datetime) -> dt.datetime:
    # Far-off years overflow once the site's offset is applied (9999-12-31T23:59-12:00).
    probe = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if not _EARLIEST <= probe <= _LATEST:
        raise ValueError("must lie between the years 2000 and 2200 ｜ 必须在 2000 年到 2200 年之间")
    return value


Moment = Annotated[
    dt.datetime,
    AfterValidator(_check_moment),
    # RFC 3339 `date-time` requires an offset; site-local times (no offset) are allowed here.
    WithJsonSchema({"type": "string", "pattern": _DATETIME_PATTERN}),
]
"""A date and time, with a UTC offset or in site local time."""


class _Strict(BaseModel):
    # No inf or NaN anywhere: every number in a site file is a measurement or a setting, and a
    # non-finite one passes bounds like `gt=0` and then breaks geometry or scheduling.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
        str_max_length=MAX_TEXT_CHARS,
    )


class SiteInfo(_Strict):
    """Who the site is and how its coordinates are written."""

    id: Identifier = Field(description="Short stable id of the site.")
    name: Name = Field(description="Name shown to operators.")
    coordinates: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="Datum of every position in this file; gcj02 (Amap, Tencent) and bd09 (Baidu) "
        "are converted to WGS84 on load.",
    )
    timezone: str = Field(
        default="Asia/Shanghai", max_length=64, description="IANA time zone of the site."
    )
    note: FreeText | None = Field(
        default=None, description="Free text, e.g. that a layout is illustrative."
    )


class Period(_Strict):
    """A named recurring time span: night-market evenings, weekends, holidays, festivals."""

    id: Identifier = Field(description="Id zone schedules refer to.")
    name: Name | None = Field(default=None, description="Name shown to operators.")
    days: list[Weekday] | None = Field(
        default=None, max_length=7, description="Weekdays it applies on; all days when omitted."
    )
    dates: list[DateRange] | None = Field(
        default=None,
        max_length=MAX_LIST_ITEMS,
        description="Dates or ranges it applies on: 'YYYY-MM-DD' or 'YYYY-MM-DD/YYYY-MM-DD' "
        "(inclusive); combined with `days` by AND.",
    )
    holidays: bool = Field(
        default=False, description="Applies on the site's `holidays` dates (public holidays)."
    )
    start: LocalTime = Field(
        default=dt.time(0, 0), description="Local start time, HH:MM (no UTC offset)."
    )
    end: LocalTime = Field(
        default=dt.time(23, 59, 59),
        description="Local end time, HH:MM (no UTC offset); earlier than start means it runs "
        "past midnight.",
    )


def parse_date_range(text: str) -> tuple[dt.date, dt.date]:
    """Parse 'YYYY-MM-DD' or 'YYYY-MM-DD/YYYY-MM-DD' into an inclusive range."""
    first, _, last = text.partition("/")
    try:
        start = dt.date.fromisoformat(first.strip())
        end = dt.date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date 'YYYY-MM-DD' or range 'YYYY-MM-DD/YYYY-MM-DD'"
            f" ｜ {text!r} 不是日期 'YYYY-MM-DD' 或日期范围 'YYYY-MM-DD/YYYY-MM-DD'"
        ) from None
    if end < start:
        raise ValueError(
            f"date range {text!r} ends before it starts ｜ 日期范围 {text!r} 的结束早于开始"
        )
    return start, end


class ZoneSchedule(_Strict):
    """During `period`, the zone's importance becomes `importance`."""

    period: Identifier = Field(description="Id of a period under `periods`.")
    importance: int = Field(ge=1, le=5, description="Importance while the period is on, 1..5.")


class Zone(_Strict):
    """Ground that should be watched."""

    id: Identifier = Field(description="Short stable id of the zone.")
    name: Name = Field(description="Name shown to operators.")
    name_en: Name | None = Field(
        default=None, description="English name, shown in the English interface."
    )
    importance: int = Field(ge=1, le=5, description="1 (low) .. 5 (critical).")
    polygon: list[LonLat] = Field(
        max_length=MAX_VERTICES,
        description="Outer ring as [lon, lat] points (closing optional).",
    )
    schedule: list[ZoneSchedule] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Importance raised in busy periods.",
    )
    capacity: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="People the zone holds safely (容量). When its healthy cameras count more, a "
        "crowd alert opens with a video patrol of its busiest views; it resolves below 90 %.",
    )


class Obstacle(_Strict):
    """A building or wall: blocks sight and never counts as blind ground."""

    id: Identifier = Field(description="Short stable id of the obstacle.")
    name: Name | None = Field(default=None, description="What it is, e.g. ticket hall.")
    polygon: list[LonLat] = Field(
        max_length=MAX_VERTICES, description="Outline as [lon, lat] points (closing optional)."
    )
    height_m: float | None = Field(
        default=None, gt=0, le=1000, description="Height, metres; unknown means it blocks all."
    )


class PtzPreset(_Strict):
    """A saved pan/zoom position of a PTZ camera."""

    id: Identifier = Field(description="Preset id, unique within its camera.")
    name: Name | None = Field(default=None, description="Name shown in video-patrol tasks.")
    heading_deg: float = Field(ge=-360, le=360, description="Degrees clockwise from north.")
    hfov_deg: float = Field(gt=0, le=360, description="Horizontal field of view, degrees.")
    range_m: float = Field(
        ge=1, le=MAX_RANGE_M, description="Useful viewing distance at this zoom, metres."
    )
    tilt_deg: float | None = Field(
        default=None, ge=0, le=90, description="Downward tilt from horizontal, degrees."
    )
    onvif_token: str | None = Field(
        default=None,
        max_length=MAX_NAME_CHARS,
        description="ONVIF preset token (GotoPreset), set by `gapwatch import onvif`.",
    )


Pixels = Annotated[int, Field(gt=0, le=100_000)]


STREAM_SCHEMES: tuple[str, ...] = (
    "rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "ws", "wss", "file",
)  # fmt: skip
"""URL schemes a camera stream may use: the forms gapwatch.vision reads (kept equal by a test)."""

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def _check_stream(value: str) -> str:
    found = _SCHEME_RE.match(value)
    if found and found.group(1).lower() not in STREAM_SCHEMES:
        scheme = found.group(1)
        forms = ", ".join(f"{s}://" for s in STREAM_SCHEMES)
        raise ValueError(
            f"gapwatch cannot read {scheme}:// streams; use one of {forms} or a file path"
            f" ｜ 无法读取 {scheme}:// 视频流；可用 {forms} 或文件路径"
        )
    return value


def _check_env_name(value: str) -> str:
    if not _ENV_NAME_RE.match(value):
        raise ValueError(
            f"{value!r} is not an environment variable name (letters, digits, '_')"
            f" ｜ {value!r} 不是环境变量名（字母、数字、'_'）"
        )
    return value


StreamLocation = Annotated[str, AfterValidator(_check_stream)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]


class Camera(_Strict):
    """One camera: where it stands, where it looks, how to reach its stream."""

    id: Identifier = Field(description="Short stable id of the camera.")
    name: Name = Field(description="Name shown to operators.")
    name_en: Name | None = Field(
        default=None, description="English name, shown in the English interface."
    )
    stream: StreamLocation = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="rtsp://, rtmp://, http(s):// (HTTP-FLV, HLS .m3u8, MJPEG, MPEG-TS), "
        "ws(s):// (WS-FLV), file:// URL or a file path (relative to the site file). Give the "
        "password with `password_env` or `password_file`, not in the URL; `{username}` and "
        "`{password}` in the URL mark where vendor forms put them.",
    )
    username: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_NAME_CHARS,
        description="User name the stream logs in with (or fills `{username}` in `stream`).",
    )
    password_env: EnvName | None = Field(
        default=None,
        description="Name of the environment variable holding the stream password; read by "
        "the decoder when it connects, never written to the site file.",
    )
    password_file: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="A file holding the stream password (e.g. /run/secrets/cam-007; relative "
        "to the site file), read by the decoder when it connects.",
    )
    rtsp_transport: Literal["tcp", "udp"] = Field(
        default="tcp",
        description="RTP over the RTSP connection (tcp, default) or over UDP for cameras and "
        "platforms that only send UDP.",
    )
    location: LonLat = Field(description="Where it stands, [lon, lat].")
    heading_deg: float = Field(ge=-360, le=360, description="Degrees clockwise from north.")
    hfov_deg: float = Field(gt=0, le=360, description="Horizontal field of view, degrees.")
    range_m: float = Field(ge=1, le=MAX_RANGE_M, description="Useful viewing distance, metres.")
    group: Identifier | None = Field(
        default=None, description="Cameras sharing a pole, switch or power feed fail together."
    )
    height_m: float | None = Field(default=None, gt=0, le=200, description="Mount height, metres.")
    tilt_deg: float | None = Field(
        default=None, ge=0, le=90, description="Downward tilt of the optical axis from horizontal."
    )
    vfov_deg: float | None = Field(
        default=None, ge=0.1, lt=180, description="Vertical field of view."
    )
    resolution: tuple[Pixels, Pixels] | None = Field(
        default=None, description="[width, height] in pixels, for pixel-density bands."
    )
    ptz: list[PtzPreset] = Field(
        default_factory=list, max_length=MAX_LIST_ITEMS, description="PTZ presets, if any."
    )
    probe_interval_s: float | None = Field(
        default=None,
        ge=1,
        le=86_400,
        description="Seconds between probes of this camera; the site's health setting if omitted.",
    )
    probe_queue: Identifier | None = Field(
        default=None,
        description="Queue of the probe workers that reach this camera, e.g. its county's "
        "(GAPWATCH_EXECUTOR=celery); default gapwatch.probe.",
    )
    reference: str | None = Field(
        default=None,
        max_length=MAX_TEXT_CHARS,
        description="Reference picture of the healthy view (path), for shift/cover checks.",
    )
    platform: str | None = Field(
        default=None, description="Id of the `platforms:` entry this camera was imported from."
    )
    platform_id: str | None = Field(
        default=None,
        description="The camera's id on that platform (国标 channel id, ONVIF profile).",
    )
    manufacturer: str | None = Field(default=None, description="Maker, as the platform reports.")
    onvif: OnvifAccess | None = Field(
        default=None, description="ONVIF access for PTZ moves (look now / GotoPreset)."
    )

    @model_validator(mode="after")
    def _check_credentials(self) -> Camera:
        if self.password_env and self.password_file:
            raise ValueError(
                "give the stream password once: password_env or password_file, not both"
                " ｜ 视频流密码只能给一处：password_env 或 password_file"
            )
        scheme = _SCHEME_RE.match(self.stream)
        if self.rtsp_transport == "udp" and not (
            scheme and scheme.group(1).lower() in ("rtsp", "rtsps")
        ):
            raise ValueError(
                "rtsp_transport applies to rtsp:// streams only"
                " ｜ rtsp_transport 仅适用于 rtsp:// 视频流"
            )
        has_secret = bool(self.password_env or self.password_file)
        if "{password}" in self.stream and not has_secret:
            raise ValueError(
                "the stream has a {password} slot but the camera names no password_env or "
                "password_file ｜ 视频流地址含 {password}，但未设置 password_env 或 password_file"
            )
        if "{username}" in self.stream and self.username is None:
            raise ValueError(
                "the stream has a {username} slot but the camera has no username"
                " ｜ 视频流地址含 {username}，但未设置 username"
            )
        return self

    @model_validator(mode="after")
    def _check_resolution(self) -> Camera:
        if self.resolution is not None and (self.resolution[0] <= 0 or self.resolution[1] <= 0):
            raise ValueError(
                "resolution must be two positive integers [width, height]"
                " ｜ resolution 必须是两个正整数 [宽, 高]"
            )
        return self


class PatrolUnit(_Strict):
    """A foot or vehicle patrol unit that road-patrol tasks go to."""

    id: Identifier = Field(description="Short stable id of the unit (the task's assignee).")
    name: Name = Field(description="Name shown to operators, e.g. 巡逻一组.")
    kind: Literal["foot", "vehicle"] = Field(description="foot or vehicle.")
    location: LonLat = Field(description="Where it is stationed, [lon, lat].")
    speed_kmh: float | None = Field(
        default=None,
        ge=0.5,
        le=200,
        description="Travel speed; 5 on foot, 30 by vehicle when omitted.",
    )
    available: bool = Field(default=True, description="Whether tasks may be given to it.")


class Road(_Strict):
    """A path units travel along, for routing road patrols."""

    id: Identifier = Field(description="Short stable id of the road.")
    name: Name | None = Field(default=None, description="Road or path name.")
    kind: Literal["footpath", "road"] = Field(
        default="road", description="footpath (foot units only) or road."
    )
    line: list[LonLat] = Field(
        min_length=2, max_length=MAX_VERTICES, description="Centre line as [lon, lat] points."
    )
    oneway: bool = Field(default=False, description="Vehicles travel it only in line order.")


class MaintenanceWindow(_Strict):
    """Planned work: failures of these cameras in this window are recorded, not alerted."""

    id: Identifier = Field(description="Short stable id of the window.")
    cameras: list[Identifier] = Field(
        min_length=1, max_length=100_000, description="Ids of the cameras being worked on."
    )
    start: Moment = Field(description="Start, e.g. 2026-12-09T01:00:00+08:00 (or local time).")
    end: Moment = Field(description="End, with an offset if start has one.")
    reason: FreeText | None = Field(default=None, description="Why, shown to operators.")

    @model_validator(mode="after")
    def _check_span(self) -> MaintenanceWindow:
        if (self.start.tzinfo is None) != (self.end.tzinfo is None):
            raise ValueError(
                "give start and end both with a UTC offset (+08:00) or both without one "
                "(site local time) ｜ start 与 end 须同时带时区偏移（+08:00）"
                "或同时不带（站点当地时间）"
            )
        if self.end <= self.start:
            raise ValueError("maintenance window ends before it starts ｜ 维护时段的结束早于开始")
        return self


def _check_url(value: str) -> str:
    found = _UNPRINTABLE.search(value) or re.search(r"\s", value)
    if found is not None:
        code = f"U+{ord(found.group()):04X}"
        raise ValueError(
            f"holds {code} (a space, line break or control character); a URL cannot"
            f" ｜ 含有 {code}（空格、换行或控制字符）；URL 中不能出现"
        )
    return value


class DispatchEndpoint(_Strict):
    """A dispatch (CAD) system that receives patrol tasks as signed webhooks."""

    id: Identifier = Field(description="Short stable id of the endpoint.")
    url: Annotated[str, AfterValidator(_check_url)] = Field(
        pattern=r"^https?://",
        max_length=MAX_TEXT_CHARS,
        description="http(s) URL the tasks are POSTed to; its host must be allowed by "
        "GAPWATCH_DISPATCH_ALLOW when it is loopback, link-local or private.",
    )
    secret_env: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$",
        description="Name of the environment variable holding its `whsec_` secret "
        "(secrets never live in the site file).",
    )
    unsigned: bool = Field(
        default=False,
        description="Send without a signature. Only for a receiver that cannot verify one; "
        "an endpoint without `secret_env` is refused unless this is true.",
    )

    @model_validator(mode="after")
    def _check_signing(self) -> DispatchEndpoint:
        if self.secret_env is None and not self.unsigned:
            raise ValueError(
                "has no `secret_env`: tasks would go out unsigned and the receiver could not "
                "tell them from forgeries; name the variable holding its whsec_ secret, or write "
                "`unsigned: true` to mean it"
                " ｜ 未设置 `secret_env`：任务将不带签名发送，接收端无法辨别伪造；请填写保存 "
                "whsec_ 密钥的环境变量名，或明确写 `unsigned: true`"
            )
        if self.secret_env is not None and self.unsigned:
            raise ValueError(
                "has both `secret_env` and `unsigned: true`; choose one"
                " ｜ 同时设置了 `secret_env` 与 `unsigned: true`；只能选其一"
            )
        return self


class DispatchSettings(_Strict):
    """Where patrol tasks are sent."""

    endpoints: list[DispatchEndpoint] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Dispatch systems receiving every task (plus GAPWATCH_DISPATCH_URL).",
    )


Severity = Annotated[int, Field(ge=1, le=5)]
Minutes = Annotated[float, Field(gt=0, le=10_080)]


class HealthSettings(_Strict):
    """How probe results become camera states."""

    probe_interval_s: float = Field(
        default=60, ge=1, le=86_400, description="Seconds between probes of a camera."
    )
    probe_timeout_s: float = Field(
        default=10, ge=0.5, le=600, description="Seconds a probe may take before no_signal."
    )
    open_after: int = Field(
        default=2, ge=1, le=100, description="Bad probes in a row before a camera is down."
    )
    close_after: int = Field(
        default=2, ge=1, le=100, description="Good probes in a row before it is up again."
    )
    escalate_after_min: dict[Severity, Minutes] = Field(
        default_factory=lambda: {5: 5.0, 4: 10.0, 3: 30.0, 2: 120.0, 1: 480.0},
        description="Minutes (at most a week) an alert of each severity (1..5) may stay "
        "unacknowledged.",
    )


class CoverageSettings(_Strict):
    """How coverage is measured and what the audit compares it with."""

    min_blind_area_m2: float = Field(
        default=2.0,
        ge=0,
        le=1_000_000,
        description="Blind pieces smaller than this are slivers and dropped.",
    )
    critical_importance: int = Field(
        default=5, ge=1, le=5, description="Zones at or above this importance count as critical."
    )
    working_share_target: float = Field(
        default=0.98, ge=0, le=1, description="Share of cameras that should be working (0..1)."
    )
    critical_coverage_target: float = Field(
        default=1.0, ge=0, le=1, description="Coverage critical zones should reach (0..1)."
    )


class GeoJsonSources(_Strict):
    """GeoJSON files (paths relative to the site file) with more zones or obstacles, as drawn in
    QGIS: FeatureCollections of Polygon/MultiPolygon features."""

    zones: list[str] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Zone layers; feature properties `id`, `importance` (1..5), optional `name` "
        "and `schedule`. A MultiPolygon becomes zones `<id>-1`, `<id>-2`...; holes are refused.",
    )
    obstacles: list[str] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Obstacle layers; optional properties `id` (default `<file stem>-<n>`), "
        "`name`, `height_m`. Holes (courtyards) are filled.",
    )
    coordinates: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="Datum of the GeoJSON files: wgs84 as RFC 7946 requires, or gcj02/bd09 for "
        "shapes traced over Chinese web-map tiles.",
    )


class TerrainSettings(_Strict):
    """The ground's shape: a DEM that hills' shadows and slant distances are computed from."""

    dem: str = Field(
        min_length=1,
        description="Digital elevation model: a GeoTIFF (or any raster GDAL reads) in any CRS "
        "with heights in metres, path relative to the site file.",
    )
    band: int = Field(default=1, ge=1, description="Raster band holding the heights.")
    mount_height_m: float = Field(
        default=3.0,
        gt=0,
        le=200,
        description="Lens height above the ground for cameras without `height_m`, metres.",
    )
    note: str | None = Field(
        default=None,
        description="Free text, e.g. where the DEM came from or that it is illustrative.",
    )


class SiteFile(_Strict):
    """The whole site file as written."""

    site: SiteInfo = Field(description="Who the site is and its datum and time zone.")
    zones: list[Zone] = Field(default_factory=list, description="Ground that should be watched.")
    obstacles: list[Obstacle] = Field(
        default_factory=list, description="Buildings and walls that block sight."
    )
    cameras: list[Camera] = Field(default_factory=list, description="The cameras.")
    patrol_units: list[PatrolUnit] = Field(
        default_factory=list, description="Road-patrol units tasks go to."
    )
    roads: list[Road] = Field(default_factory=list, description="Roads and paths for routing.")
    periods: list[Period] = Field(
        default_factory=list, description="Busy periods zone schedules refer to."
    )
    holidays: list[DateRange] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Public holidays: 'YYYY-MM-DD' or ranges.",
    )
    maintenance: list[MaintenanceWindow] = Field(
        default_factory=list, description="Planned work on cameras."
    )
    dispatch: DispatchSettings = Field(
        default_factory=DispatchSettings, description="Dispatch systems tasks are sent to."
    )
    health: HealthSettings = Field(
        default_factory=HealthSettings, description="How probes become camera states."
    )
    coverage: CoverageSettings = Field(
        default_factory=CoverageSettings, description="Coverage and audit settings."
    )
    geojson: GeoJsonSources = Field(
        default_factory=GeoJsonSources, description="More zones and obstacles from GeoJSON files."
    )
    terrain: TerrainSettings | None = Field(
        default=None, description="Optional DEM: hills hide ground like buildings do."
    )
    platforms: list[PlatformSource] = Field(
        default_factory=list, description="Video platforms and ONVIF cameras imported from."
    )
    unplaced: list[UnplacedChannel] = Field(
        default_factory=list,
        description="Platform channels without a position or play URL, waiting for a technician.",
    )
