"""Checks of meaning beyond the schema: ids, polygon shapes, references, where cameras stand.

Errors stop loading; warnings (doubtful but usable) are reported and loading goes on.
"""

from __future__ import annotations

import math
import os
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.errors

from gapwatch.site.models import LonLat
from gapwatch.site.parts import SiteParts
from gapwatch.site.problems import Locator, Problem
from gapwatch.site.projection import LocalProjection

__all__ = [
    "FAR_CAMERA_M",
    "INSIDE_OBSTACLE_TOLERANCE_M",
    "MIN_OPEN_GROUND_M2",
    "check_site",
]

FAR_CAMERA_M = 50_000.0
"""A camera farther than this from everything else in the file is a typo or a datum mix-up."""

INSIDE_OBSTACLE_TOLERANCE_M = 0.5
"""A camera on a wall is often clicked a little inside the building outline; that is fine."""

MIN_OPEN_GROUND_M2 = 1.0
"""A zone with less ground than this outside obstacles has nothing to watch."""

MAX_SHAPE_SPAN_DEG = 1.0
"""A zone, obstacle or road spans at most this much latitude (and this much longitude at the
equator, more towards the poles): about 110 km, a whole county. A larger one (a whole-earth
rectangle) is a mistake that the local metric projection cannot represent."""

_ID_SECTIONS: tuple[tuple[str, ...], ...] = (
    ("zones",),
    ("obstacles",),
    ("cameras",),
    ("patrol_units",),
    ("roads",),
    ("periods",),
    ("maintenance",),
    ("dispatch", "endpoints"),
)
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_INTERSECTION_RE = re.compile(r"\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]")


@dataclass
class _Report:
    locator: Locator
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, path: Sequence[str | int], en: str, zh: str) -> None:
        self.errors.append(self.locator.problem(path, en, zh))

    def warn(self, path: Sequence[str | int], en: str, zh: str) -> None:
        self.warnings.append(self.locator.problem(path, en, zh, warning=True))


def check_site(
    parts: SiteParts, data: dict[str, Any], locator: Locator, site_path: Path
) -> tuple[list[Problem], list[Problem]]:
    """All meaning checks over the usable items; returns (errors, warnings)."""
    report = _Report(locator)
    _check_ids(data, report)
    _check_timezone(parts, report)
    for section, items in (("zones", parts.zones), ("obstacles", parts.obstacles)):
        spanned = [
            (index, item.polygon)
            for index, item in items
            if _check_span((section, index, "polygon"), item.polygon, report)
        ]
        _check_polygons(section, spanned, report)
    for index, road in parts.roads:
        _check_span(("roads", index, "line"), road.line, report)
    _check_antimeridian(parts, report)
    _check_references(parts, data, report)
    _check_files(parts, site_path, report)
    _check_stream_secrets(parts, site_path, report)
    _check_placement(parts, report)
    return report.errors, report.warnings


def _items_with_ids(data: dict[str, Any], section: tuple[str, ...]) -> list[tuple[int, str]]:
    node: Any = data
    for key in section:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, list):
        return []
    return [
        (index, item["id"].strip())
        for index, item in enumerate(node)
        if isinstance(item, dict) and isinstance(item.get("id"), str)
    ]


def _report_duplicates(
    prefix: tuple[str | int, ...], ids: list[tuple[int, str]], report: _Report
) -> None:
    first: dict[str, int] = {}
    for index, ident in ids:
        if ident in first:
            here, _, _ = report.locator.where((*prefix, index, "id"))
            file, line, shown = report.locator.where((*prefix, first[ident], "id"))
            owner = shown.removesuffix(".id").removesuffix(".properties")
            if file != here:  # first written in another file (a GeoJSON layer or the site file)
                owner = f"{file.name} {owner}"
            report.error(
                (*prefix, index, "id"),
                f"id {ident!r} is already used by {owner} (line {line})",
                f"id {ident!r} 已被 {owner} 使用（第 {line} 行）",
            )
        else:
            first[ident] = index


def _check_ids(data: dict[str, Any], report: _Report) -> None:
    for section in _ID_SECTIONS:
        _report_duplicates(section, _items_with_ids(data, section), report)
    cameras = data.get("cameras")
    if isinstance(cameras, list):
        for index, camera in enumerate(cameras):
            if isinstance(camera, dict) and isinstance(camera.get("ptz"), list):
                presets = _items_with_ids(camera, ("ptz",))
                _report_duplicates(("cameras", index, "ptz"), presets, report)


def _check_timezone(parts: SiteParts, report: _Report) -> None:
    if parts.info is not None and parts.site_timezone() is None:
        report.error(
            ("site", "timezone"),
            f"{parts.info.timezone!r} is not a known time zone (e.g. Asia/Shanghai)",
            f"{parts.info.timezone!r} 不是已知的时区（例如 Asia/Shanghai）",
        )


def _check_span(path: tuple[str | int, ...], points: Sequence[LonLat], report: _Report) -> bool:
    """False (and an error) when the shape crosses the antimeridian or is far too large."""
    if not points:
        return True
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    lon_span, lat_span = max(lons) - min(lons), max(lats) - min(lats)
    if lon_span > 180 and lat_span <= MAX_SHAPE_SPAN_DEG:
        report.error(
            path,
            "crosses the antimeridian (longitude ±180°), which gapwatch does not support; "
            "a shape there would wrap around the earth",
            "跨越 180° 经线，gapwatch 不支持；该形状会绕地球一周",
        )
        return False
    # Longitude degrees shrink towards the poles; allow the same ground distance there.
    widest = MAX_SHAPE_SPAN_DEG / max(0.05, math.cos(math.radians(max(map(abs, lats)))))
    if lat_span > MAX_SHAPE_SPAN_DEG or lon_span > widest:
        km = max(lat_span, lon_span * math.cos(math.radians(max(map(abs, lats))))) * 111.32
        report.error(
            path,
            f"spans about {km:,.0f} km; a zone, obstacle or road is at most "
            f"{MAX_SHAPE_SPAN_DEG * 111:.0f} km across (split it, or check the coordinates)",
            f"跨度约 {km:,.0f} 公里；区域、障碍物或道路最大 {MAX_SHAPE_SPAN_DEG * 111:.0f} 公里"
            "（请拆分或检查坐标）",
        )
        return False
    return True


def _check_antimeridian(parts: SiteParts, report: _Report) -> None:
    """A site on both sides of longitude ±180° cannot be projected around one centre."""
    lons = [point[0] for point in parts.positions()]
    if not lons or min(lons) >= -90 or max(lons) <= 90:
        return
    west = next((i for i, c in parts.cameras if c.location[0] < -90), None)
    path: tuple[str | int, ...] = ("cameras", west, "location") if west is not None else ()
    report.error(
        path,
        "the site lies on both sides of the antimeridian (longitude ±180°), which gapwatch "
        "does not support",
        "站点跨越 180° 经线两侧，gapwatch 不支持",
    )


def _distinct_ring(points: Sequence[LonLat]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for point in points:
        if not ring or ring[-1] != point:
            ring.append((point[0], point[1]))
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring


def _check_polygons(
    section: str, polygons: Sequence[tuple[int, Sequence[LonLat]]], report: _Report
) -> None:
    """`_check_polygon` for each, after one array test has passed over the valid ones."""
    rings = [_distinct_ring(points) for _, points in polygons]
    buildable = [k for k, ring in enumerate(rings) if len(set(ring)) >= 3]
    fine = np.zeros(len(polygons), dtype=bool)
    if buildable:
        coords = np.array([p for k in buildable for p in rings[k]], dtype=float)
        which = np.repeat(np.arange(len(buildable)), [len(rings[k]) for k in buildable])
        built = shapely.polygons(shapely.linearrings(coords, indices=which))
        fine[buildable] = shapely.is_valid(built)
    for (index, points), ok in zip(polygons, fine.tolist(), strict=True):
        if not ok:
            _check_polygon((section, index, "polygon"), points, report)


def _check_polygon(path: tuple[str | int, ...], points: Sequence[LonLat], report: _Report) -> None:
    ring = _distinct_ring(points)
    if len(set(ring)) < 3:
        report.error(
            path,
            f"a polygon needs at least 3 distinct points (has {len(set(ring))})",
            f"多边形至少需要 3 个不同的点（当前 {len(set(ring))} 个）",
        )
        return
    polygon = shapely.Polygon(ring)
    if polygon.is_valid:
        return
    reason = shapely.is_valid_reason(polygon)
    found = _INTERSECTION_RE.search(reason)
    if found is None:
        report.error(path, f"is not a valid polygon ({reason})", f"不是有效的多边形（{reason}）")
        return
    near = (float(found.group(1)), float(found.group(2)))
    first, second = _crossing_edges(ring, near)
    n = len(ring)
    en_where = f"edge {first}-{(first + 1) % n} crosses edge {second}-{(second + 1) % n}"
    zh_where = f"边 {first}-{(first + 1) % n} 与边 {second}-{(second + 1) % n} 相交"
    at = f"[{near[0]:.6f}, {near[1]:.6f}]"
    report.error(
        (*path, first),
        f"crosses itself: {en_where} near {at} (points are numbered from 0)",
        f"自相交：{zh_where}，位置约 {at}（点从 0 开始编号）",
    )


def _crossing_edges(ring: list[tuple[float, float]], near: tuple[float, float]) -> tuple[int, int]:
    """The two edges passing closest to the reported crossing point (ordered)."""
    start = np.asarray(ring)
    end = np.roll(start, -1, axis=0)
    edges = shapely.linestrings(np.stack([start, end], axis=1))
    distance = shapely.distance(edges, shapely.Point(near))
    order = np.argsort(distance, kind="stable")
    a, b = int(order[0]), int(order[1])
    return (a, b) if a < b else (b, a)


def _check_references(parts: SiteParts, data: dict[str, Any], report: _Report) -> None:
    # Ids as written, valid items or not: a broken camera is still not a missing camera.
    periods = {ident for _, ident in _items_with_ids(data, ("periods",))}
    cameras = {ident for _, ident in _items_with_ids(data, ("cameras",))}
    has_holidays = bool(parts.holidays)
    for index, zone in parts.zones:
        for n, entry in enumerate(zone.schedule):
            if entry.period not in periods:
                report.error(
                    ("zones", index, "schedule", n, "period"),
                    f"period {entry.period!r} is not defined under `periods`",
                    f"时段 {entry.period!r} 未在 `periods` 中定义",
                )
    for index, window in parts.maintenance:
        for n, camera_id in enumerate(window.cameras):
            if camera_id not in cameras:
                report.error(
                    ("maintenance", index, "cameras", n),
                    f"camera {camera_id!r} is not defined under `cameras`",
                    f"摄像机 {camera_id!r} 未在 `cameras` 中定义",
                )
    for index, period in parts.periods:
        if period.holidays and not has_holidays:
            report.warn(
                ("periods", index, "holidays"),
                "applies on holidays, but the site lists no `holidays`",
                "适用于节假日，但站点未列出 `holidays`",
            )


def _check_files(parts: SiteParts, site_path: Path, report: _Report) -> None:
    for index, camera in parts.cameras:
        # Items that failed the schema may lack fields (see SiteParts.from_raw).
        for key in ("stream", "reference"):
            value = getattr(camera, key, None)
            if not isinstance(value, str):
                continue
            if _URL_RE.match(value) and not value.startswith("file://"):
                continue
            relative = Path(value.removeprefix("file://"))
            path = relative if relative.is_absolute() else site_path.parent / relative
            if not path.exists():
                report.warn(
                    ("cameras", index, key),
                    f"file {value!r} does not exist (looked for {path})",
                    f"文件 {value!r} 不存在（查找路径 {path}）",
                )


# `scheme://user:password@host`: a password written into the site file itself.
_INLINE_PASSWORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^@]*:[^@]*@")
_SECRET_QUERY_RE = re.compile(
    r"[?&;/_](?:password|passwd|pwd|token|access_token|api_key|auth_key|signature|sign|secret)="
    r"(?!\{password\})",
    re.IGNORECASE,
)


def _check_stream_secrets(parts: SiteParts, site_path: Path, report: _Report) -> None:
    """Passwords belong in the environment or a secrets file; say where one is written inline."""
    for index, camera in parts.cameras:
        stream = getattr(camera, "stream", None)
        if not isinstance(stream, str):
            continue
        env = getattr(camera, "password_env", None)
        secret_file = getattr(camera, "password_file", None)
        inline = bool(_INLINE_PASSWORD_RE.match(stream))
        if inline and (env or secret_file):
            report.error(
                ("cameras", index, "stream"),
                "the stream URL holds a password and the camera names password_env or "
                "password_file: give it once",
                "视频流地址中含密码，同时又设置了 password_env 或 password_file：只能给一处",
            )
        elif inline or _SECRET_QUERY_RE.search(stream):
            report.warn(
                ("cameras", index, "stream"),
                "a password or key is written in the site file; put it in an environment "
                "variable (password_env) or a secrets file (password_file), and `{password}` "
                "where the URL needs it",
                "站点文件中写有密码或密钥；请改用环境变量（password_env）或密码文件"
                "（password_file），在地址中需要处写 `{password}`",
            )
        if env and env not in os.environ:
            report.warn(
                ("cameras", index, "password_env"),
                f"environment variable {env} is not set here; the service must have it",
                f"此处未设置环境变量 {env}；运行服务时必须设置",
            )
        if secret_file:
            path = Path(secret_file)
            path = path if path.is_absolute() else site_path.parent / path
            if not path.is_file():
                report.warn(
                    ("cameras", index, "password_file"),
                    f"password file {secret_file} does not exist here (looked for {path})",
                    f"密码文件 {secret_file} 不存在（查找路径 {path}）",
                )


def _check_placement(parts: SiteParts, report: _Report) -> None:
    cameras = parts.cameras
    positions = list(parts.positions())
    if not positions:
        return
    # Centre on the median, so one camera typed 1,000 km away does not drag the frame with it.
    centre = LocalProjection(
        statistics.median(p[0] for p in positions), statistics.median(p[1] for p in positions)
    )
    ground = _Ground(
        _shapes([z.polygon for _, z in parts.zones], centre),
        _shapes([o.polygon for _, o in parts.obstacles], centre),
    )
    _check_open_ground(parts, ground, report)
    if not cameras:
        return
    camera_points = centre.project(shapely.points([c.location for _, c in cameras]))
    far = _check_far(parts, centre, camera_points, report)
    _check_inside_obstacles(parts, ground, camera_points, report)
    _check_sees_a_zone(parts, ground, camera_points, far, report)


@dataclass(frozen=True)
class _Ground:
    """Zones and obstacles in local metres, projected once for all placement checks."""

    zones: Any
    obstacles: Any


def _shapes(rings: list[Sequence[LonLat]], centre: LocalProjection) -> Any:
    """Projected, valid polygons (empty where a ring has too few points to make one)."""
    outlines = np.array([shapely.Polygon() for _ in rings], dtype=object)
    kept = [(k, ring) for k, ring in enumerate(map(_distinct_ring, rings)) if len(set(ring)) >= 3]
    if kept:
        # Every ring built in one call: thousands of buildings are a few array operations.
        coords = np.array([p for _, ring in kept for p in ring], dtype=float)
        which = np.repeat(np.arange(len(kept)), [len(ring) for _, ring in kept])
        outlines[[k for k, _ in kept]] = shapely.polygons(
            shapely.linearrings(coords, indices=which)
        )
    return centre.project(shapely.make_valid(outlines))


def _check_open_ground(parts: SiteParts, ground: _Ground, report: _Report) -> None:
    """A zone wholly under buildings has no ground to watch: its coverage ratio means nothing."""
    if not parts.zones or not parts.obstacles:
        return
    zones, obstacles = ground.zones, ground.obstacles
    tree = shapely.STRtree(obstacles)
    for (position, _), zone in zip(parts.zones, zones, strict=True):
        if zone.is_empty:
            continue
        hits = tree.query(zone, predicate="intersects")
        if hits.size == 0:
            continue
        if float(shapely.area(obstacles[hits]).sum()) < zone.area - MIN_OPEN_GROUND_M2:
            continue  # the buildings together are too small to cover it: no overlay needed
        try:
            open_ground = zone.difference(shapely.union_all(obstacles[hits])).area
        except shapely.errors.GEOSException:
            # Touching buildings can trip GEOS's floating overlay; on a 1 mm grid it is robust.
            blocked = shapely.union_all(obstacles[hits], grid_size=1e-3)
            open_ground = shapely.difference(zone, blocked, grid_size=1e-3).area
        if open_ground < MIN_OPEN_GROUND_M2:
            report.warn(
                ("zones", position, "polygon"),
                f"lies wholly under obstacles ({open_ground:.1f} m² of open ground); "
                "its coverage cannot be measured",
                f"完全被障碍物覆盖（开阔地面 {open_ground:.1f} 平方米）；无法计算覆盖率",
            )


def _check_far(
    parts: SiteParts, centre: LocalProjection, camera_points: Any, report: _Report
) -> set[int]:
    """Report cameras far from everything else; return their positions in the file."""
    others: list[tuple[float, float]] = [c.location for _, c in parts.cameras]
    for _, zone in parts.zones:
        others.extend(zone.polygon)
    for _, obstacle in parts.obstacles:
        others.extend(obstacle.polygon)
    for _, unit in parts.patrol_units:
        others.append(unit.location)
    for _, road in parts.roads:
        others.extend(road.line)
    if len(others) < 2:
        return set()
    tree = shapely.STRtree(centre.project(shapely.points(others)))
    # `exclusive` skips points equal to the camera itself (and to a twin on the same pole).
    _, distances = tree.query_nearest(
        camera_points, return_distance=True, exclusive=True, all_matches=False
    )
    far: set[int] = set()
    for (position, camera), nearest in zip(parts.cameras, distances, strict=True):
        if nearest > FAR_CAMERA_M:
            far.add(position)
            lon, lat = camera.location
            report.error(
                ("cameras", position, "location"),
                f"[{lon:.6f}, {lat:.6f}] is {nearest / 1000:.0f} km from everything else in the "
                "site; a typo, swapped longitude/latitude or a mixed-up datum (site.coordinates)?",
                f"[{lon:.6f}, {lat:.6f}] 距站点其他要素 {nearest / 1000:.0f} 公里；"
                "是否输错、经纬度颠倒或坐标系（site.coordinates）混用？",
            )
    return far


def _check_inside_obstacles(
    parts: SiteParts, ground: _Ground, camera_points: Any, report: _Report
) -> None:
    if not parts.obstacles:
        return
    shapes = ground.obstacles
    tree = shapely.STRtree(shapes)
    camera_index, obstacle_index = tree.query(camera_points, predicate="within")
    for ci, oi in zip(camera_index.tolist(), obstacle_index.tolist(), strict=True):
        depth = float(shapely.distance(camera_points[ci], shapely.boundary(shapes[oi])))
        if depth <= INSIDE_OBSTACLE_TOLERANCE_M:
            continue
        position, _ = parts.cameras[ci]
        o_position, obstacle = parts.obstacles[oi]
        name = getattr(obstacle, "id", "?")
        file, line, shown = report.locator.where(("obstacles", o_position))
        if file != report.locator.file:
            shown = f"{file.name} {shown}"
        report.error(
            ("cameras", position, "location"),
            f"stands {depth:.1f} m inside obstacle {name!r} ({shown}, line {line}), "
            "which would hide its whole view; a camera on a wall goes on the outline or outside",
            f"位于障碍物 {name!r}（{shown}，第 {line} 行）内部 {depth:.1f} 米，"
            "视野会被完全遮挡；装在墙上的摄像机应位于轮廓线上或外侧",
        )


def _check_sees_a_zone(
    parts: SiteParts, ground: _Ground, camera_points: Any, far: set[int], report: _Report
) -> None:
    if not parts.zones:
        return
    tree = shapely.STRtree(ground.zones)
    asked: list[int] = []
    reaches: list[float] = []
    for k, (position, camera) in enumerate(parts.cameras):
        reach = getattr(camera, "range_m", None)
        if position not in far and isinstance(reach, float) and reach > 0:
            asked.append(k)
            reaches.append(reach)
    if not asked:
        return
    # One query for every camera: which of them has some zone within its range.
    found, _ = tree.query(
        camera_points[asked], predicate="dwithin", distance=np.asarray(reaches, dtype=float)
    )
    sees = set(found.tolist())
    for j, k in enumerate(asked):
        if j in sees:
            continue
        position, _ = parts.cameras[k]
        reach = reaches[j]
        report.warn(
            ("cameras", position, "location"),
            f"no zone lies within its range of {reach:g} m; "
            "check its position and the site's coordinates datum",
            f"其 {reach:g} 米视距内没有任何区域；请检查其位置和站点坐标系",
        )
