"""Generated towns for the geometry fuzz suite: the layouts that broke GEOS's floating overlay.

Regular and rotated grids of buildings, terraces of touching houses, collinear walls, cameras in
the streets, at building corners and on walls, 360° domes; placed near the origin, far from it, or
at tiny offsets. A town is metric (a Scene the raster oracle reads) and can be written as a site
file in lon/lat for the command line, the API and replay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity
from hypothesis import strategies as st

from gapwatch.coverage import CameraGeometry, ZoneShape
from gapwatch.site import LocalProjection
from tests.coverage.scenes import Scene, _edges, _sees, in_polygon

KINDS = ("grid", "rotated", "terrace", "walls")


@dataclass(frozen=True)
class Town:
    kind: str
    scene: Scene
    lonlat_centre: tuple[float, float]


def _place(
    geometry: shapely.Geometry, angle: float, offset: tuple[float, float]
) -> shapely.Geometry:
    turned = shapely.affinity.rotate(geometry, angle, origin=(0.0, 0.0))
    return shapely.affinity.translate(turned, *offset)


@st.composite
def towns(draw: st.DrawFn, max_blocks: int = 3, max_cameras: int = 6) -> Town:
    """A small town: 1..max_blocks² blocks, a zone over it (split in two), a few cameras."""
    kind = draw(st.sampled_from(KINDS))
    blocks = draw(st.integers(1, max_blocks))
    size = draw(st.sampled_from([6.0, 8.0, 10.0]))
    street = draw(st.sampled_from([3.0, 4.0, 5.0]))
    pitch = size + street
    angle = draw(st.sampled_from([0.0, 30.0, 45.0, 17.5])) if kind != "grid" else 0.0
    offset = draw(
        st.sampled_from([(0.0, 0.0), (1e-9, -1e-9), (25_000.0, -18_000.0), (3.5e5, 2.5e5)])
    )
    buildings: list[shapely.Geometry] = []
    for i in range(blocks):
        for j in range(blocks):
            x0, y0 = i * pitch, j * pitch
            if kind == "terrace":
                # Touching houses share whole walls.
                houses = draw(st.integers(2, 4))
                width = size / houses
                buildings += [
                    shapely.box(x0 + k * width, y0, x0 + (k + 1) * width, y0 + size * 0.6)
                    for k in range(houses)
                ]
            elif kind == "walls":
                # Collinear wall segments along one line, with gaps (a fence of panels).
                buildings += [
                    shapely.box(x0 + k * 2.0, y0, x0 + k * 2.0 + 1.5, y0 + 0.3)
                    for k in range(int(size // 2))
                ]
                buildings.append(shapely.box(x0, y0 + size / 2, x0 + size, y0 + size))
            else:
                buildings.append(shapely.box(x0, y0, x0 + size, y0 + size))
    extent = blocks * pitch
    zone_box = shapely.box(-street, -street, extent, extent)
    half = -street + (extent + street) / 2
    zones = [
        ZoneShape(
            "west",
            "西区 West",
            draw(st.integers(1, 5)),
            shapely.box(-street, -street, half, extent),
        ),
        ZoneShape(
            "east", "东区 East", draw(st.integers(1, 5)), shapely.box(half, -street, extent, extent)
        ),
    ]
    if draw(st.booleans()):
        zones = [ZoneShape("town", "镇区 Town", draw(st.integers(1, 5)), zone_box)]
    corners = [c for b in buildings for c in list(b.exterior.coords)[:-1]]
    cameras = []
    for k in range(draw(st.integers(1, max_cameras))):
        where = draw(st.sampled_from(["street", "corner", "edge"]))
        if where == "corner":
            x, y = draw(st.sampled_from(corners))
        elif where == "edge":
            b = draw(st.sampled_from(buildings))
            point = b.exterior.interpolate(draw(st.floats(0.0, 1.0)), normalized=True)
            x, y = round(point.x, 3), round(point.y, 3)
        else:
            i, j = draw(st.integers(0, blocks)), draw(st.integers(0, blocks - 1))
            x, y = i * pitch - street / 2, j * pitch + draw(st.sampled_from([0.0, size / 2, size]))
        hfov = draw(st.sampled_from([360.0, 90.0, 60.0, 180.0, 120.0]))
        heading = draw(st.sampled_from([0.0, 90.0, 180.0, 270.0, 45.0, 33.0]))
        cameras.append((f"cam-{k}", x, y, heading, hfov, draw(st.sampled_from([8.0, 15.0, 25.0]))))
    placed_zones = [
        ZoneShape(z.id, z.name, z.importance, _place(z.polygon, angle, offset)) for z in zones
    ]
    placed_buildings = [_place(b, angle, offset) for b in buildings]
    placed_cameras = []
    for ident, x, y, heading, hfov, reach in cameras:
        p = _place(shapely.Point(x, y), angle, offset)
        placed_cameras.append(
            CameraGeometry(ident, p.x, p.y, (heading - angle) % 360.0, hfov, reach)
        )
    centre = draw(
        st.sampled_from([(104.05, 35.13), (0.000001, 0.000001), (-70.6, -33.4), (151.2, -33.9)])
    )
    return Town(kind, Scene(placed_zones, placed_buildings, placed_cameras), centre)


# ---------------------------------------------------------------- oracle with the mount rule

MOUNT_TOLERANCE_M = 0.01
"""A camera this close to a building is mounted on it and sees over it (as the engine does)."""


_SEED = 20261203


def raster_town(
    scene: Scene, zone: ZoneShape, cell: float, healthy: set[str] | None = None
) -> tuple[float, float]:
    """(ground m², covered m²) of a zone from one sample point per grid cell, point by point.

    Like scenes.raster_coverage, but a camera on (or touching) a building is not blocked by
    that building, the engine's documented mount rule.
    """
    minx, miny, maxx, maxy = zone.polygon.bounds
    # Cells tile the zone's box exactly, so a boundary along the box is not cut short.
    nx = max(1, math.ceil((maxx - minx) / cell - 1e-9))
    ny = max(1, math.ceil((maxy - miny) / cell - 1e-9))
    cx, cy = (maxx - minx) / nx, (maxy - miny) / ny
    col, row = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny)))
    # One point at a random place in each cell (stratified sampling), not the cells' centres:
    # centres form a lattice, and a wall at 45° can run a hair inside a whole row of them, so
    # every cell along it counted in (186.97 m² for a 184.5 m² zone). Random points have no
    # such bias; the seed keeps the oracle the same from run to run.
    rng = np.random.default_rng(_SEED)
    px = minx + (col + rng.random(col.size)) * cx
    py = miny + (row + rng.random(row.size)) * cy
    # A point on an edge is half in (rare off the lattice, kept for exactness).
    weight = _share_in(px, py, zone.polygon)
    for obstacle in scene.obstacles:
        weight *= 1.0 - _share_in(px, py, obstacle)
    ground = weight > 0.0
    px, py, weight = px[ground], py[ground], weight[ground]
    seen = np.zeros(px.shape, dtype=bool)
    for camera in scene.cameras:
        if healthy is not None and camera.id not in healthy:
            continue
        here = shapely.Point(camera.x, camera.y)
        others = [
            o for o in scene.obstacles if MOUNT_TOLERANCE_M < o.distance(here) <= camera.range_m
        ]
        dx, dy = px - camera.x, py - camera.y
        ok = np.hypot(dx, dy) <= camera.range_m
        if camera.hfov_deg < 360:
            bearing = np.degrees(np.arctan2(dx, dy))
            off = (bearing - camera.heading_deg + 180.0) % 360.0 - 180.0
            ok &= np.abs(off) <= camera.hfov_deg / 2
        seen |= _sees(camera.x, camera.y, ok & ~seen, px, py, _edges(others))
    return float(weight.sum()) * cx * cy, float(weight[seen].sum()) * cx * cy


def _share_in(px: np.ndarray, py: np.ndarray, polygon: shapely.Geometry) -> np.ndarray:
    """1 for a centre inside, 0 outside, 0.5 on the boundary (within float rounding)."""
    share = in_polygon(px, py, polygon).astype(float)
    minx, miny, maxx, maxy = polygon.bounds
    eps = 1e-9 * max(1.0, abs(minx), abs(miny), abs(maxx), abs(maxy))
    near = (px >= minx - eps) & (px <= maxx + eps) & (py >= miny - eps) & (py <= maxy + eps)
    if near.any():
        points = shapely.points(px[near], py[near])
        on = shapely.distance(points, polygon.boundary) <= eps
        share[np.flatnonzero(near)[on]] = 0.5
    return share


# ---------------------------------------------------------------- as a site file


def site_yaml(town: Town, folder: Path) -> Path:
    """Write the town as a site file (lon/lat around its centre) and return the path."""
    projection = LocalProjection(*town.lonlat_centre)
    scene = town.scene
    # Centre the metric town on the projection's origin so far-off offsets stay on the globe.
    everything = shapely.union_all([z.polygon for z in scene.zones])
    cx, cy = everything.centroid.x, everything.centroid.y

    def ring(polygon: shapely.Geometry) -> str:
        moved = shapely.affinity.translate(polygon, -cx, -cy)
        points = [projection.to_lonlat(x, y) for x, y in list(moved.exterior.coords)[:-1]]
        return "[" + ", ".join(f"[{lon:.9f}, {lat:.9f}]" for lon, lat in points) + "]"

    lines = ["site:", "  id: fuzz-town", "  name: 生成的城镇 generated town", "zones:"]
    for z in scene.zones:
        lines += [f"  - id: {z.id}", f"    name: {z.name}", f"    importance: {z.importance}"]
        lines.append(f"    polygon: {ring(z.polygon)}")
    lines.append("obstacles:")
    for k, b in enumerate(scene.obstacles):
        lines += [f"  - id: b{k}", f"    polygon: {ring(b)}"]
    lines.append("cameras:")
    for c in scene.cameras:
        lon, lat = projection.to_lonlat(c.x - cx, c.y - cy)
        lines += [
            f"  - id: {c.id}",
            f"    name: {c.id}",
            f"    stream: rtsp://10.0.0.1/{c.id}",
            f"    location: [{lon:.9f}, {lat:.9f}]",
            f"    heading_deg: {c.heading_deg}",
            f"    hfov_deg: {c.hfov_deg}",
            f"    range_m: {c.range_m}",
        ]
    lon, lat = projection.to_lonlat(0.0, -30.0)
    lines += [
        "patrol_units:",
        "  - id: unit-1",
        "    name: 巡逻一组",
        "    kind: foot",
        f"    location: [{lon:.9f}, {lat:.9f}]",
    ]
    path = folder / "town.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
