"""Zones and obstacles drawn in a GIS tool (QGIS) and saved as GeoJSON, merged into the site.

Rules, chosen for what QGIS writes:
- A file is a FeatureCollection (RFC 7946, so WGS84 longitude/latitude whatever the site's
  `coordinates` says). A legacy `crs` member naming anything but WGS84/CRS84/CGCS2000 is refused:
  re-export the layer as EPSG:4326.
- Each feature is a Polygon or MultiPolygon. Only the outer ring is used: a zone with holes is
  refused (draw the hole as an obstacle or split the zone); an obstacle's holes (courtyards) are
  filled, with a warning. A third coordinate (altitude) is dropped.
- Properties: zones need `id` and `importance` (1..5), `name` defaults to the id, `schedule` may be
  a list (or that list as JSON text, which is all a QGIS text field holds); obstacles take optional
  `id`, `name`, `height_m`, and get `<file stem>-<n>` when they have no id. An `id` may also be the
  feature's own `id` member; whole-number ids (QGIS integer fields) become text. A null property
  (an empty QGIS attribute) counts as not given. Other properties (fid, layer attributes) are
  ignored.
- A MultiPolygon with several parts becomes one zone or obstacle per part, ids `<id>-1`, `<id>-2`...
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gapwatch.site.limits import MAX_SITE_FILE_BYTES
from gapwatch.site.problems import Locator, Problem, Text, key_path
from gapwatch.site.yaml_lines import LineIndex, ParsedYaml, parse_yaml

__all__ = ["GeoJsonOrigin", "merge_geojson_sources"]

_WGS84_NAMES = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4490", "EPSG:4490")
_ZONE_KEYS = ("id", "name", "importance", "schedule")
_OBSTACLE_KEYS = ("id", "name", "height_m")


@dataclass(frozen=True)
class GeoJsonOrigin:
    """Where a zone or obstacle made from a GeoJSON feature was drawn."""

    file: Path
    lines: LineIndex
    feature: int
    ring_path: tuple[str | int, ...]
    id_path: tuple[str | int, ...]

    def where(self, rest: tuple[str | int, ...]) -> tuple[Path, int, str]:
        """File, line and displayed path for a part of the item."""
        base: tuple[str | int, ...] = ("features", self.feature)
        if not rest:
            path = base
        elif rest[0] == "polygon":
            path = base + self.ring_path + rest[1:]
        elif rest[0] == "id":
            path = base + self.id_path + rest[1:]
        else:
            path = (*base, "properties", *rest)
        return self.file, self.lines.line_of(path, prefer_key=True), key_path(path)


@dataclass
class _Collector:
    file: Path
    lines: LineIndex
    errors: list[Problem]
    warnings: list[Problem]

    def add(self, path: tuple[str | int, ...], en: str, zh: str, *, warning: bool = False) -> None:
        shown = key_path(path)
        prefix = f"{shown}: " if shown else ""
        problem = Problem(
            self.file, self.lines.line_of(path), Text(prefix + en, prefix + zh), warning
        )
        (self.warnings if warning else self.errors).append(problem)


def _position(value: Any) -> Any:
    # Positions may carry altitude; the site is flat ground.
    if isinstance(value, list) and len(value) > 2:
        return value[:2]
    return value


def _ring(value: Any) -> Any:
    return [_position(p) for p in value] if isinstance(value, list) else value


def _text_id(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _read(path: Path, out: _Collector) -> Any | None:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SITE_FILE_BYTES + 1)
        if len(raw) > MAX_SITE_FILE_BYTES:
            most = MAX_SITE_FILE_BYTES // (1024 * 1024)
            out.add((), f"is larger than {most} MiB", f"大于 {most} MiB")
            return None
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.add((), "not UTF-8 text", "不是 UTF-8 文本")
        return None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        out.add((), f"cannot be read: {reason}", f"无法读取：{reason}")
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        out.errors.append(
            Problem(
                path, exc.lineno, Text(f"not valid JSON: {exc.msg}", f"不是有效的 JSON：{exc.msg}")
            )
        )
        return None
    # JSON is (nearly) YAML, and the YAML composer knows lines; without it errors point at line 1.
    parsed = parse_yaml(text)
    if isinstance(parsed, ParsedYaml):
        out.lines.merge(parsed.lines)
    return document


def _check_crs(document: dict[str, Any], out: _Collector) -> bool:
    crs = document.get("crs")
    if crs is None:
        return True
    name = ""
    if isinstance(crs, dict) and isinstance(crs.get("properties"), dict):
        name = str(crs["properties"].get("name", ""))
    if any(name.endswith(ok) for ok in _WGS84_NAMES):
        return True
    out.add(
        ("crs",),
        f"coordinates are in {name or 'an unknown system'}; export the layer as WGS84 (EPSG:4326)",
        f"坐标系为 {name or '未知'}；请将图层导出为 WGS84（EPSG:4326）",
    )
    return False


def _features(
    document: Any, kind: str, stem: str, out: _Collector
) -> list[tuple[dict[str, Any], GeoJsonOrigin]]:
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        out.add(
            (),
            "must be a GeoJSON FeatureCollection",
            "必须是 GeoJSON FeatureCollection",
        )
        return []
    if not _check_crs(document, out):
        return []
    features = document.get("features")
    if not isinstance(features, list):
        out.add(("features",), "must be a list of features", "必须是要素列表")
        return []
    items: list[tuple[dict[str, Any], GeoJsonOrigin]] = []
    for k, feature in enumerate(features):
        items.extend(_feature_items(feature, k, kind, stem, out))
    return items


def _feature_items(
    feature: Any, k: int, kind: str, stem: str, out: _Collector
) -> list[tuple[dict[str, Any], GeoJsonOrigin]]:
    here: tuple[str | int, ...] = ("features", k)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        out.add(here, "must be a GeoJSON Feature", "必须是 GeoJSON Feature")
        return []
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        out.add((*here, "properties"), "must be a mapping", "必须是键值映射")
        return []
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        out.add(here, "has no geometry", "没有几何图形")
        return []
    gtype = geometry.get("type")
    coords = geometry.get("coordinates")
    if gtype == "Polygon":
        polygons: list[tuple[tuple[str | int, ...], Any]] = [(("geometry", "coordinates"), coords)]
    elif gtype == "MultiPolygon" and isinstance(coords, list):
        polygons = [(("geometry", "coordinates", n), part) for n, part in enumerate(coords)]
    else:
        what, what_zh = ("zones", "区域") if kind == "zones" else ("obstacles", "障碍物")
        out.add(
            (*here, "geometry", "type"),
            f"is {gtype!s}; {what} must be Polygon or MultiPolygon",
            f"类型为 {gtype!s}；{what_zh}必须是 Polygon 或 MultiPolygon",
        )
        return []

    keys = _ZONE_KEYS if kind == "zones" else _OBSTACLE_KEYS
    # QGIS writes an empty attribute as null: that is "not given", so defaults apply.
    base: dict[str, Any] = {key: properties[key] for key in keys if properties.get(key) is not None}
    if isinstance(base.get("schedule"), str):
        # A QGIS text field can only hold the schedule list as JSON; if it is not JSON, the
        # schema says it must be a list.
        with contextlib.suppress(json.JSONDecodeError):
            base["schedule"] = json.loads(base["schedule"])
    id_path: tuple[str | int, ...] = ("properties", "id")
    if "id" not in base and feature.get("id") is not None:
        base["id"] = feature["id"]
        id_path = ("id",)
    if "id" in base:
        base["id"] = _text_id(base["id"])
    elif kind == "obstacles":
        base["id"] = f"{stem}-{k + 1}"
    if kind == "zones" and "name" not in base and isinstance(base.get("id"), str):
        base["name"] = base["id"]

    items: list[tuple[dict[str, Any], GeoJsonOrigin]] = []
    for n, (poly_path, rings) in enumerate(polygons):
        if not isinstance(rings, list) or not rings:
            out.add((*here, *poly_path), "must be a list of rings", "必须是环的列表")
            continue
        if len(rings) > 1:
            if kind == "zones":
                out.add(
                    (*here, *poly_path, 1),
                    "zones cannot have holes; draw the hole as an obstacle or split the zone",
                    "区域不能有洞；请把洞画成障碍物或拆分区域",
                )
                continue
            out.add(
                (*here, *poly_path, 1),
                "hole ignored: the obstacle is treated as solid",
                "洞已忽略：障碍物按实心处理",
                warning=True,
            )
        item = dict(base)
        if len(polygons) > 1 and isinstance(item.get("id"), str):
            item["id"] = f"{item['id']}-{n + 1}"
        item["polygon"] = _ring(rings[0])
        origin = GeoJsonOrigin(out.file, out.lines, k, (*poly_path, 0), id_path)
        items.append((item, origin))
    return items


def merge_geojson_sources(
    data: dict[str, Any], site_path: Path, locator: Locator
) -> tuple[list[Problem], list[Problem]]:
    """Append the zones and obstacles of `data['geojson']` files to `data` (in place).

    Registers where each appended item came from in `locator`; returns (errors, warnings).
    """
    errors: list[Problem] = []
    warnings: list[Problem] = []
    sources = data.get("geojson")
    if not isinstance(sources, dict):
        return errors, warnings
    for kind in ("zones", "obstacles"):
        files = sources.get(kind)
        if not isinstance(files, list):
            continue
        target = data.get(kind)
        if target is None:
            target = data[kind] = []
        if not isinstance(target, list):
            continue  # the schema reports that `zones` is not a list
        data[kind] = target = list(target)  # never mutate the parsed document's own list
        for n, name in enumerate(files):
            if not isinstance(name, str):
                continue  # the schema reports it
            relative = Path(name)
            path = relative if relative.is_absolute() else site_path.parent / relative
            if not path.is_file():
                errors.append(
                    locator.problem(
                        ("geojson", kind, n),
                        f"GeoJSON file {name!r} not found (looked for {path})",
                        f"找不到 GeoJSON 文件 {name!r}（查找路径 {path}）",
                    )
                )
                continue
            out = _Collector(path, LineIndex(), errors, warnings)
            document = _read(path, out)
            if document is None:
                continue
            for item, origin in _features(document, kind, path.stem, out):
                locator.overrides[(kind, len(target))] = origin
                target.append(item)
    return errors, warnings
