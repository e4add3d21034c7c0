"""The site file's schema: what a technician writes in YAML, validated field by field.

Coordinates are `[longitude, latitude]` in degrees (WGS84 after loading), distances in metres,
bearings in degrees clockwise from north.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

__all__ = [
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


def _check_lonlat(value: tuple[float, float]) -> tuple[float, float]:
    lon, lat = value
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SiteInfo(_Strict):
    """Who the site is and how its coordinates are written."""

    id: Identifier = Field(description="Short stable id of the site.")
    name: str = Field(min_length=1, description="Name shown to operators.")
    coordinates: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="Datum of every position in this file; gcj02 (Amap, Tencent) and bd09 (Baidu) "
        "are converted to WGS84 on load.",
    )
    timezone: str = Field(default="Asia/Shanghai", description="IANA time zone of the site.")
    note: str | None = Field(
        default=None, description="Free text, e.g. that a layout is illustrative."
    )


class Period(_Strict):
    """A named recurring time span: night-market evenings, weekends, holidays, festivals."""

    id: Identifier
    name: str | None = None
    days: list[Weekday] | None = Field(
        default=None, description="Weekdays it applies on; all days when omitted."
    )
    dates: list[DateRange] | None = Field(
        default=None,
        description="Dates or ranges it applies on: 'YYYY-MM-DD' or 'YYYY-MM-DD/YYYY-MM-DD' "
        "(inclusive); combined with `days` by AND.",
    )
    holidays: bool = Field(
        default=False, description="Applies on the site's `holidays` dates (public holidays)."
    )
    start: dt.time = Field(default=dt.time(0, 0), description="Local start time, HH:MM.")
    end: dt.time = Field(
        default=dt.time(23, 59, 59),
        description="Local end time, HH:MM; earlier than start means it runs past midnight.",
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

    period: Identifier
    importance: int = Field(ge=1, le=5)


class Zone(_Strict):
    """Ground that should be watched."""

    id: Identifier
    name: str = Field(min_length=1)
    name_en: str | None = Field(
        default=None, min_length=1, description="English name, shown in the English interface."
    )
    importance: int = Field(ge=1, le=5, description="1 (low) .. 5 (critical).")
    polygon: list[LonLat] = Field(description="Outer ring as [lon, lat] points (closing optional).")
    schedule: list[ZoneSchedule] = Field(
        default_factory=list, description="Importance raised in busy periods."
    )


class Obstacle(_Strict):
    """A building or wall: blocks sight and never counts as blind ground."""

    id: Identifier
    name: str | None = None
    polygon: list[LonLat]
    height_m: float | None = Field(default=None, gt=0)


class PtzPreset(_Strict):
    """A saved pan/zoom position of a PTZ camera."""

    id: Identifier
    name: str | None = None
    heading_deg: float = Field(ge=-360, le=360)
    hfov_deg: float = Field(gt=0, le=360)
    range_m: float = Field(gt=0)
    tilt_deg: float | None = Field(default=None, ge=0, le=90)


class Camera(_Strict):
    """One camera: where it stands, where it looks, how to reach its stream."""

    id: Identifier
    name: str = Field(min_length=1)
    name_en: str | None = Field(
        default=None, min_length=1, description="English name, shown in the English interface."
    )
    stream: str = Field(
        min_length=1,
        description="rtsp://, http(s)://, file:// URL or a file path (relative to the site file).",
    )
    location: LonLat
    heading_deg: float = Field(ge=-360, le=360, description="Degrees clockwise from north.")
    hfov_deg: float = Field(gt=0, le=360, description="Horizontal field of view, degrees.")
    range_m: float = Field(gt=0, le=5000, description="Useful viewing distance, metres.")
    group: Identifier | None = Field(
        default=None, description="Cameras sharing a pole, switch or power feed fail together."
    )
    height_m: float | None = Field(default=None, gt=0, le=200, description="Mount height, metres.")
    tilt_deg: float | None = Field(
        default=None, ge=0, le=90, description="Downward tilt of the optical axis from horizontal."
    )
    vfov_deg: float | None = Field(
        default=None, gt=0, lt=180, description="Vertical field of view."
    )
    resolution: tuple[int, int] | None = Field(
        default=None, description="[width, height] in pixels, for pixel-density bands."
    )
    ptz: list[PtzPreset] = Field(default_factory=list, description="PTZ presets, if any.")
    probe_interval_s: float | None = Field(default=None, gt=0)
    probe_queue: Identifier | None = Field(
        default=None,
        description="Queue of the probe workers that reach this camera, e.g. its county's "
        "(GAPWATCH_EXECUTOR=celery); default gapwatch.probe.",
    )
    reference: str | None = Field(
        default=None,
        description="Reference picture of the healthy view (path), for shift/cover checks.",
    )

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

    id: Identifier
    name: str = Field(min_length=1)
    kind: Literal["foot", "vehicle"]
    location: LonLat
    speed_kmh: float | None = Field(
        default=None,
        gt=0,
        le=200,
        description="Travel speed; 5 on foot, 30 by vehicle when omitted.",
    )
    available: bool = True


class Road(_Strict):
    """A path units travel along, for routing road patrols."""

    id: Identifier
    name: str | None = None
    kind: Literal["footpath", "road"] = "road"
    line: list[LonLat] = Field(min_length=2)
    oneway: bool = False


class MaintenanceWindow(_Strict):
    """Planned work: failures of these cameras in this window are recorded, not alerted."""

    id: Identifier
    cameras: list[Identifier] = Field(min_length=1)
    start: dt.datetime
    end: dt.datetime
    reason: str | None = None

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


class DispatchEndpoint(_Strict):
    """A dispatch (CAD) system that receives patrol tasks as signed webhooks."""

    id: Identifier
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(
        default=None,
        description="Name of the environment variable holding its `whsec_` secret "
        "(secrets never live in the site file).",
    )


class DispatchSettings(_Strict):
    endpoints: list[DispatchEndpoint] = Field(default_factory=list)


class HealthSettings(_Strict):
    """How probe results become camera states."""

    probe_interval_s: float = Field(default=60, gt=0)
    probe_timeout_s: float = Field(default=10, gt=0)
    open_after: int = Field(
        default=2, ge=1, description="Bad probes in a row before a camera is down."
    )
    close_after: int = Field(
        default=2, ge=1, description="Good probes in a row before it is up again."
    )
    escalate_after_min: dict[int, float] = Field(
        default_factory=lambda: {5: 5.0, 4: 10.0, 3: 30.0, 2: 120.0, 1: 480.0},
        description="Minutes an alert of each severity (1..5) may stay unacknowledged.",
    )


class CoverageSettings(_Strict):
    min_blind_area_m2: float = Field(
        default=2.0, ge=0, description="Blind pieces smaller than this are slivers and dropped."
    )
    critical_importance: int = Field(
        default=5, ge=1, le=5, description="Zones at or above this importance count as critical."
    )
    working_share_target: float = Field(default=0.98, ge=0, le=1)
    critical_coverage_target: float = Field(default=1.0, ge=0, le=1)


class GeoJsonSources(_Strict):
    """GeoJSON files (paths relative to the site file) with more zones or obstacles, as drawn in
    QGIS: FeatureCollections of Polygon/MultiPolygon features."""

    zones: list[str] = Field(
        default_factory=list,
        description="Zone layers; feature properties `id`, `importance` (1..5), optional `name` "
        "and `schedule`. A MultiPolygon becomes zones `<id>-1`, `<id>-2`...; holes are refused.",
    )
    obstacles: list[str] = Field(
        default_factory=list,
        description="Obstacle layers; optional properties `id` (default `<file stem>-<n>`), "
        "`name`, `height_m`. Holes (courtyards) are filled.",
    )
    coordinates: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="Datum of the GeoJSON files: wgs84 as RFC 7946 requires, or gcj02/bd09 for "
        "shapes traced over Chinese web-map tiles.",
    )


class SiteFile(_Strict):
    """The whole site file as written."""

    site: SiteInfo
    zones: list[Zone] = Field(default_factory=list)
    obstacles: list[Obstacle] = Field(default_factory=list)
    cameras: list[Camera] = Field(default_factory=list)
    patrol_units: list[PatrolUnit] = Field(default_factory=list)
    roads: list[Road] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)
    holidays: list[DateRange] = Field(
        default_factory=list, description="Public holidays: 'YYYY-MM-DD' or ranges."
    )
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    dispatch: DispatchSettings = Field(default_factory=DispatchSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    geojson: GeoJsonSources = Field(default_factory=GeoJsonSources)
