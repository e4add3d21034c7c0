"""Merge a platform's inventory into a site file without losing what technicians set by hand.

The file is edited as a round-trip YAML document (ruamel.yaml), so comments, key order and every
field the importer does not own survive. The importer owns, per camera it imported: `name`,
`stream`, `manufacturer`, `platform`, `platform_id`, `onvif` and the names/tokens of PTZ presets.
Technicians own everything else: aim (`heading_deg`, `hfov_deg`, `range_m`), mount height, tilt,
groups, probe settings, preset aims, zones and their notes. A platform position is written only
for a new camera; a later difference is reported and the file's position kept.

Channels without a position (or, when new, without a play URL) go to `unplaced:`, a list the
loader accepts and coverage ignores, until a technician moves them into `cameras:`.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from gapwatch.platforms.types import Channel, Inventory, Preset
from gapwatch.site.datum import gcj02_to_bd09, wgs84_to_gcj02

__all__ = ["MergeReport", "SiteDocument", "merge_inventory"]

# New cameras need an aim before coverage means anything; these are visible placeholders.
PLACEHOLDER_AIM = {"heading_deg": 0, "hfov_deg": 90, "range_m": 30}
_AIM_NOTE = (
    "imported: set heading_deg, hfov_deg, range_m by hand ｜ 导入占位：请核定朝向、视场角、距离"
)
_ID_BAD = re.compile(r"[^A-Za-z0-9_.:-]")
_MOVED_M = 5.0  # platform positions closer than this to the file's count as the same


@dataclass
class MergeReport:
    """What one import changed: camera ids added, changed (with what), gone, and unplaced."""

    platform: str
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "added": self.added,
            "changed": self.changed,
            "gone": self.gone,
            "unplaced": self.unplaced,
            "notes": self.notes,
        }


def _represent_text(representer: Any, data: str) -> Any:
    """Text as text for the site reader too: ruamel writes YAML 1.2, where `no`, `off` or
    `1:20` are plain text, but the site file is read as YAML 1.1 (PyYAML), which takes them for
    a boolean or a number. Quote whatever PyYAML would not read back as text."""
    import yaml as pyyaml

    tag = pyyaml.resolver.Resolver().resolve(pyyaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    if tag != _TEXT:
        return representer.represent_scalar(_TEXT, data, style="'")
    return representer.represent_str(data)


_TEXT = "tag:yaml.org,2002:str"


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 120
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(str, _represent_text)
    return yaml


class SiteDocument:
    """A site file as an editable round-trip document."""

    def __init__(self, data: CommentedMap) -> None:
        self.data = data

    @classmethod
    def load(cls, path: Path) -> SiteDocument:
        return cls.load_text(path.read_text(encoding="utf-8"), name=str(path))

    @classmethod
    def load_text(cls, text: str, *, name: str = "<site>") -> SiteDocument:
        data = _yaml().load(text)
        if not isinstance(data, CommentedMap):
            raise ValueError(f"{name}:1: a site file is a mapping ｜ 站点文件应为映射")
        return cls(data)

    @classmethod
    def new(cls, site_id: str, name: str) -> SiteDocument:
        data = CommentedMap()
        data["site"] = CommentedMap(id=site_id, name=name)
        return cls(data)

    def dump(self) -> str:
        out = io.StringIO()
        _yaml().dump(self.data, out)
        return out.getvalue()

    def datum(self) -> str:
        site = self.data.get("site")
        return str(site.get("coordinates", "wgs84")) if isinstance(site, Mapping) else "wgs84"

    def section(self, key: str) -> CommentedSeq:
        value = self.data.get(key)
        if not isinstance(value, CommentedSeq):
            value = CommentedSeq()
            self.data[key] = value
        return value


def _to_datum(datum: str, lon: float, lat: float) -> tuple[float, float]:
    if datum == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    elif datum == "bd09":
        lon, lat = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    return round(lon, 7), round(lat, 7)


def _distance_m(a: Sequence[float], b: Sequence[float]) -> float:
    mean_lat = math.radians((a[1] + b[1]) / 2)
    dx = (a[0] - b[0]) * 111_320.0 * math.cos(mean_lat)
    dy = (a[1] - b[1]) * 110_540.0
    return math.hypot(dx, dy)


def _flow(values: Sequence[float]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _set(item: CommentedMap, key: str, value: Any, changes: list[str]) -> None:
    if value is None:
        return
    if item.get(key) != value:
        if key in item:
            changes.append(key)
        item[key] = value


def _upsert_source(doc: SiteDocument, source: Mapping[str, Any]) -> None:
    platforms = doc.section("platforms")
    for entry in platforms:
        if isinstance(entry, CommentedMap) and entry.get("id") == source["id"]:
            for key, value in source.items():
                entry[key] = value
            return
    platforms.append(CommentedMap(source))


def _merge_presets(camera: CommentedMap, presets: Sequence[Preset], changes: list[str]) -> None:
    existing = camera.get("ptz")
    if not isinstance(existing, CommentedSeq):
        existing = CommentedSeq()
    by_token = {p.get("onvif_token"): p for p in existing if isinstance(p, CommentedMap)}
    kept = CommentedSeq()
    for preset in presets:
        item = by_token.pop(preset.token, None)
        if item is None:
            item = CommentedMap()
            item["id"] = _safe_id(f"preset-{preset.token}")
            item["name"] = preset.name
            for key in ("heading_deg", "hfov_deg", "range_m"):
                item[key] = camera.get(key, PLACEHOLDER_AIM[key])
            item["onvif_token"] = preset.token
            item.yaml_add_eol_comment(_AIM_NOTE, "heading_deg")
            changes.append(f"ptz+{preset.name}")
        elif item.get("name") != preset.name:
            item["name"] = preset.name
            changes.append(f"ptz~{preset.name}")
        kept.append(item)
    for item in existing:  # hand-written presets (no token) stay; vanished ONVIF ones go
        if isinstance(item, CommentedMap) and item.get("onvif_token") is None:
            kept.append(item)
    changes.extend(f"ptz-{item.get('name') or item.get('id')}" for item in by_token.values())
    if kept or "ptz" in camera:
        camera["ptz"] = kept


def _safe_id(text: str) -> str:
    cleaned = _ID_BAD.sub("-", text).strip("-_.:") or "camera"
    return cleaned[:64]


def merge_inventory(
    doc: SiteDocument,
    inventory: Inventory,
    *,
    source: Mapping[str, Any],
    onvif: Mapping[str, Any] | None = None,
    prune: bool = False,
    placed: Mapping[str, tuple[float, float]] | None = None,
) -> MergeReport:
    """Fold `inventory` into `doc` (in place) and say what changed.

    `source` is the `platforms:` entry (no password); `onvif` the access block new ONVIF cameras
    get; `placed` gives WGS84 positions chosen on the command line, by platform id.
    """
    platform = inventory.platform
    report = MergeReport(platform=platform)
    datum = doc.datum()
    _upsert_source(doc, source)
    cameras = doc.section("cameras")
    unplaced = doc.section("unplaced")
    taken = {str(c.get("id")) for c in cameras if isinstance(c, CommentedMap)}
    # A waiting channel keeps the id it was given, and becomes a camera under that same id.
    promised: dict[str, str] = {}
    for item in unplaced:
        if isinstance(item, CommentedMap):
            if item.get("platform") == platform:
                promised[str(item.get("platform_id"))] = str(item.get("id"))
            else:
                taken.add(str(item.get("id")))
    taken |= set(promised.values())
    mine: dict[str, CommentedMap] = {}
    for camera in cameras:
        if isinstance(camera, CommentedMap) and camera.get("platform") == platform:
            mine[str(camera.get("platform_id"))] = camera
    unplaced_now: list[CommentedMap] = []
    seen: set[str] = set()
    for channel in inventory.channels:
        seen.add(channel.platform_id)
        chosen = placed or {}
        location = chosen.get(channel.platform_id) or chosen.get("*") or channel.location
        camera = mine.get(channel.platform_id)
        if camera is not None:
            _update_camera(camera, channel, location, datum, onvif, report)
            continue
        camera_id = promised.get(channel.platform_id)
        if camera_id is None:
            camera_id = _new_id(channel.platform_id, platform, taken)
            taken.add(camera_id)
        if location is None or not channel.stream:
            unplaced_now.append(_unplaced(camera_id, channel, platform, location is None))
            report.unplaced.append(channel.platform_id)
            continue
        cameras.append(_new_camera(camera_id, channel, location, datum, platform, onvif))
        report.added.append(camera_id)
    for platform_id, camera in mine.items():
        if platform_id not in seen:
            report.gone.append(str(camera.get("id")))
    if prune and report.gone:
        keep = [
            c
            for c in cameras
            if not (isinstance(c, CommentedMap) and str(c.get("id")) in report.gone)
        ]
        cameras.clear()
        cameras.extend(keep)
    others = [
        u for u in unplaced if not (isinstance(u, CommentedMap) and u.get("platform") == platform)
    ]
    unplaced.clear()
    unplaced.extend([*others, *unplaced_now])
    if not unplaced:
        del doc.data["unplaced"]
    return report


def _new_id(platform_id: str, platform: str, taken: set[str]) -> str:
    candidate = _safe_id(platform_id)
    if candidate in taken:
        candidate = _safe_id(f"{platform}-{platform_id}")
    base, n = candidate[:56], 2  # room for the suffix, so the loop always ends
    while candidate in taken:
        candidate = _safe_id(f"{base}-{n}")
        n += 1
    return candidate


def _unplaced(camera_id: str, channel: Channel, platform: str, no_position: bool) -> CommentedMap:
    item = CommentedMap()
    item["id"] = camera_id
    item["name"] = channel.name
    item["platform"] = platform
    item["platform_id"] = channel.platform_id
    if channel.manufacturer:
        item["manufacturer"] = channel.manufacturer
    if channel.stream:
        item["stream"] = channel.stream
    item["reason"] = "no_position" if no_position else "no_play_url"
    return item


def _new_camera(
    camera_id: str,
    channel: Channel,
    location: tuple[float, float],
    datum: str,
    platform: str,
    onvif: Mapping[str, Any] | None,
) -> CommentedMap:
    camera = CommentedMap()
    camera["id"] = camera_id
    camera["name"] = channel.name
    camera["stream"] = channel.stream
    camera["location"] = _flow(_to_datum(datum, *location))
    camera.update(PLACEHOLDER_AIM)
    camera.yaml_add_eol_comment(_AIM_NOTE, "heading_deg")
    camera["platform"] = platform
    camera["platform_id"] = channel.platform_id
    if channel.manufacturer:
        camera["manufacturer"] = channel.manufacturer
    if onvif is not None:
        access = CommentedMap(onvif)
        if channel.profile:
            access["profile"] = channel.profile
        camera["onvif"] = access
        _stream_login(camera, onvif)
    if channel.presets:
        _merge_presets(camera, channel.presets, [])
    return camera


def _stream_login(camera: CommentedMap, onvif: Mapping[str, Any] | None) -> None:
    """An ONVIF camera's RTSP stream logs in with its ONVIF account unless a login is set.

    GetStreamUri answers an address without credentials; the account that may call ONVIF is
    the one most cameras take for RTSP too. Hand-set `username`/`password_*` are never changed.
    """
    if onvif is None or not str(camera.get("stream", "")).lower().startswith("rtsp"):
        return
    if any(k in camera for k in ("username", "password_env", "password_file")):
        return
    if "@" in str(camera.get("stream", "")).split("//", 1)[-1].split("/", 1)[0]:
        return  # a login written into the address
    camera["username"] = onvif["user"]
    camera["password_env"] = onvif["password_env"]


def _update_camera(
    camera: CommentedMap,
    channel: Channel,
    location: tuple[float, float] | None,
    datum: str,
    onvif: Mapping[str, Any] | None,
    report: MergeReport,
) -> None:
    changes: list[str] = []
    _set(camera, "name", channel.name, changes)
    if channel.stream:  # an offline channel keeps the URL it had
        _set(camera, "stream", channel.stream, changes)
    _set(camera, "manufacturer", channel.manufacturer, changes)
    if onvif is not None:
        access = dict(onvif)
        if channel.profile:
            access["profile"] = channel.profile
        current = camera.get("onvif")
        if not isinstance(current, CommentedMap):
            camera["onvif"] = CommentedMap(access)
            changes.append("onvif")
        else:
            for key, value in access.items():
                _set(current, key, value, changes)
        _stream_login(camera, onvif)
    if channel.presets or isinstance(camera.get("ptz"), CommentedSeq):
        _merge_presets(camera, channel.presets, changes)
    file_location = camera.get("location")
    if location is not None and isinstance(file_location, Sequence) and len(file_location) == 2:
        theirs = _to_datum(datum, *location)
        moved = _distance_m(theirs, [float(v) for v in file_location])
        if moved > _MOVED_M:
            report.notes.append(
                f"{camera.get('id')}: platform position is {moved:.0f} m from the file's; kept "
                f"the file's ｜ 平台位置与文件相差 {moved:.0f} 米，保留文件中的位置"
            )
    if changes:
        report.changed[str(camera.get("id"))] = changes
