"""Export an alert as an OASIS CAP 1.2 message, with its blind spots as `<area>` polygons.

CAP wants `lat,lon` pairs (WGS 84) in closed rings of at least four points and cannot express
holes, so a blind spot with watched ground inside it is cut into hole-free pieces first.
Times carry an explicit offset, never `Z` (UTC is written `-00:00`, as the standard asks).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import shapely
from shapely.geometry import Polygon, shape

__all__ = ["CAP_NAMESPACE", "CapAlert", "CapSource", "alert_to_cap"]

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
_NS = "{" + CAP_NAMESPACE + "}"
_FORBIDDEN = re.compile(r"[\s,<&]")

CapStatus = Literal["Actual", "Exercise", "System", "Test", "Draft"]

# (zh-CN, en-US) event names per alert kind.
_EVENTS: dict[str, tuple[str, str]] = {
    "camera_down": ("摄像机离线", "Camera offline"),
    "camera_degraded": ("摄像机画面异常", "Camera picture degraded"),
    "group_down": ("同组摄像机集体故障", "Cameras sharing a pole or feed down"),
    "zone_outage": ("区域内多路摄像机故障", "Many cameras down in one zone"),
    "coverage_gap": ("重点区域常态盲区", "Standing blind spot in a critical zone"),
    "maintenance": ("摄像机故障（其他摄像机仍覆盖）", "Camera fault, ground still watched"),
    "crowd": ("区域人数超过容量", "Zone crowd over capacity"),
}
_SEVERITY = {5: "Extreme", 4: "Severe", 3: "Moderate", 2: "Minor", 1: "Minor"}


class CapSource(Protocol):
    """What the export reads from an alert; `AlertRow` and `CapAlert` both fit."""

    @property
    def id(self) -> str: ...
    @property
    def site_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def severity(self) -> int: ...
    @property
    def cameras(self) -> list[str]: ...
    @property
    def zones(self) -> list[str]: ...
    @property
    def blind_spot_m2(self) -> float: ...
    @property
    def blind_spots(self) -> list[dict[str, Any]]: ...
    @property
    def opened_at(self) -> dt.datetime: ...
    @property
    def acknowledged_at(self) -> dt.datetime | None: ...
    @property
    def resolved_at(self) -> dt.datetime | None: ...


@dataclass(frozen=True)
class CapAlert:
    """An alert outside the database (e.g. from `gapwatch replay`) in the shape CAP export reads."""

    id: str
    site_id: str
    kind: str
    status: str
    severity: int
    opened_at: dt.datetime
    cameras: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    blind_spot_m2: float = 0.0
    blind_spots: list[dict[str, Any]] = field(default_factory=list)
    acknowledged_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None


def _cap_time(when: dt.datetime, tz: dt.tzinfo) -> str:
    if when.tzinfo is None:
        raise ValueError("CAP times need an aware datetime")
    text = when.astimezone(tz).replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def _token(text: str, what: str) -> str:
    if not text or _FORBIDDEN.search(text):
        raise ValueError(f"CAP {what} {text!r} must be non-empty without spaces, commas, < or &")
    return text


def _hole_free(polygon: Polygon) -> list[Polygon]:
    """Pieces covering the same ground with no holes (CAP polygons cannot have them)."""
    if polygon.is_empty:
        return []
    if not polygon.interiors:
        return [polygon]
    # A vertical cut through a point inside the first hole opens that hole to the outside.
    cut_x = Polygon(polygon.interiors[0]).representative_point().x
    minx, miny, maxx, maxy = polygon.bounds
    pieces: list[Polygon] = []
    for box in ((minx, miny, cut_x, maxy), (cut_x, miny, maxx, maxy)):
        # An overlay with the box: clip_by_rect can drop ground when a box corner lies on a
        # slanted hole edge (GEOS 3.14: 0.13 of 14.8 m², tests/coverage/test_model.py).
        half = shapely.intersection(polygon, shapely.box(*box))
        for part in shapely.get_parts(half):
            if isinstance(part, Polygon) and part.area > 0:
                pieces.extend(_hole_free(part))
    return pieces


def _rings(geometry: Mapping[str, Any]) -> list[str]:
    """CAP polygon texts (`lat,lon` pairs, closed) for a GeoJSON Polygon or MultiPolygon."""
    geom = shape(geometry)
    rings: list[str] = []
    for part in shapely.get_parts(geom):
        if not isinstance(part, Polygon):
            continue
        for piece in _hole_free(part):
            coords = list(piece.exterior.coords)
            if coords[0] != coords[-1]:
                coords.append(coords[0])
            if len(coords) < 4:
                continue
            rings.append(" ".join(f"{lat:.6f},{lon:.6f}" for lon, lat, *_ in coords))
    return rings


def _blind_spot_parts(
    spot: Mapping[str, Any],
) -> tuple[str | None, float | None, Mapping[str, Any]]:
    """(zone, area_m2, geometry) from a GeoJSON Feature or a `{"zone", "area_m2", "geometry"}`."""
    properties = spot.get("properties") or {}
    zone = properties.get("zone", spot.get("zone"))
    area = properties.get("area_m2", spot.get("area_m2"))
    return zone, area, spot.get("geometry") or {}


def _sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _NS + tag)
    if text is not None:
        # XML 1.0 cannot carry C0 controls (other than tab, newline, CR), surrogates or
        # U+FFFE/U+FFFF; ElementTree writes them anyway and the receiver's parser refuses the
        # whole message. Names come from site files and GeoJSON layers, so strip them here.
        element.text = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)
    return element


def _message_kind(
    alert: CapSource,
) -> tuple[Literal["Alert", "Update", "Cancel"], str, dt.datetime]:
    if alert.status == "resolved" and alert.resolved_at is not None:
        return "Cancel", "resolved", alert.resolved_at
    if alert.status == "acknowledged" and alert.acknowledged_at is not None:
        return "Update", "acknowledged", alert.acknowledged_at
    return "Alert", "", alert.opened_at


def alert_to_cap(
    alert: CapSource,
    *,
    sender: str,
    zone_names: Mapping[str, str] | None = None,
    site_name: str | None = None,
    blind_spots: Sequence[Mapping[str, Any]] | None = None,
    status: CapStatus = "Actual",
    tz: dt.tzinfo = dt.UTC,
) -> str:
    """The alert as a CAP 1.2 XML document (zh-CN and en-US `<info>`, one `<area>` per zone).

    An open alert is an `Alert`; once acknowledged an `Update`, once resolved a `Cancel`, both
    referring back to the original. `blind_spots` (lon/lat GeoJSON) defaults to the alert's own.
    """
    names = dict(zone_names or {})
    sender = _token(sender, "sender")
    base_id = _token(f"gapwatch-{alert.site_id}-{alert.id}", "identifier")
    msg_type, suffix, sent = _message_kind(alert)
    identifier = f"{base_id}-{suffix}" if suffix else base_id

    root = ET.Element(_NS + "alert")
    _sub(root, "identifier", identifier)
    _sub(root, "sender", sender)
    _sub(root, "sent", _cap_time(sent, tz))
    _sub(root, "status", status)
    _sub(root, "msgType", msg_type)
    # Where the camera network cannot see is for the command centre, not for the public.
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", "公安指挥中心内部使用 / for the public-security command centre only")
    if msg_type != "Alert":
        _sub(root, "references", f"{sender},{base_id},{_cap_time(alert.opened_at, tz)}")

    spots = list(blind_spots if blind_spots is not None else alert.blind_spots)
    event_zh, event_en = _EVENTS.get(alert.kind, (alert.kind, alert.kind))
    severity = _SEVERITY.get(alert.severity, "Unknown")
    resolved = msg_type == "Cancel"
    area_m2 = alert.blind_spot_m2
    cameras = ", ".join(alert.cameras) or "—"
    zone_list = [names.get(z, z) for z in alert.zones]
    where_zh = "、".join(zone_list) or "—"
    where_en = ", ".join(zone_list) or "—"
    texts = {
        "zh-CN": (
            event_zh,
            f"{event_zh}：{len(spots)} 处盲区，共 {area_m2:.0f} 平方米无人监看"
            + ("（已恢复）" if resolved else ""),
            f"故障摄像机：{cameras}。受影响区域：{where_zh}。盲区面积 {area_m2:.1f} 平方米。",
            "已恢复，无需处置。" if resolved else "请按视频巡查与路面巡逻任务处置。",
            f"gapwatch {site_name}" if site_name else "gapwatch",
        ),
        "en-US": (
            event_en,
            f"{event_en}: {area_m2:.0f} m² unwatched in {len(spots)} blind spot(s)"
            + (" (resolved)" if resolved else ""),
            f"Failed cameras: {cameras}. Zones affected: {where_en}. Blind area {area_m2:.1f} m².",
            "Resolved; no action needed."
            if resolved
            else "Follow the video-patrol and road-patrol tasks issued with this alert.",
            f"gapwatch {site_name}" if site_name else "gapwatch",
        ),
    }
    by_zone: dict[str, list[str]] = {}
    for spot in spots:
        zone, _area, geometry = _blind_spot_parts(spot)
        by_zone.setdefault(zone or "", []).extend(_rings(geometry) if geometry else [])
    for zone in alert.zones:
        by_zone.setdefault(zone, [])

    for language, (event, headline, description, instruction, sender_name) in texts.items():
        info = _sub(root, "info")
        _sub(info, "language", language)
        _sub(info, "category", "Security")
        _sub(info, "event", event)
        _sub(info, "responseType", "AllClear" if resolved else "Monitor")
        _sub(info, "urgency", "Past" if resolved else "Immediate")
        _sub(info, "severity", severity)
        _sub(info, "certainty", "Observed")
        code = _sub(info, "eventCode")
        _sub(code, "valueName", "gapwatch")
        _sub(code, "value", alert.kind)
        _sub(info, "onset", _cap_time(alert.opened_at, tz))
        _sub(info, "senderName", sender_name)
        _sub(info, "headline", headline)
        _sub(info, "description", description)
        _sub(info, "instruction", instruction)
        for name, value in (
            ("blind_spot_m2", f"{area_m2:.1f}"),
            ("cameras", " ".join(alert.cameras)),
            ("gapwatch_alert_id", alert.id),
            ("gapwatch_severity", str(alert.severity)),
        ):
            parameter = _sub(info, "parameter")
            _sub(parameter, "valueName", name)
            _sub(parameter, "value", value)
        for zone, rings in by_zone.items():
            area = _sub(info, "area")
            label = (
                names.get(zone, zone) if zone else ("盲区" if language == "zh-CN" else "blind spot")
            )
            _sub(area, "areaDesc", label)
            for ring in rings:
                _sub(area, "polygon", ring)
            if zone:
                geocode = _sub(area, "geocode")
                _sub(geocode, "valueName", "gapwatch_zone")
                _sub(geocode, "value", zone)

    ET.indent(root)
    xml = ET.tostring(root, encoding="unicode", default_namespace=CAP_NAMESPACE)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml + "\n"
