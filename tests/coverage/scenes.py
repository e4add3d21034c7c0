"""Random small sites for property tests, and an independent point-by-point visibility oracle."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from hypothesis import strategies as st

from gapwatch.coverage import CameraGeometry, ZoneShape


@dataclass(frozen=True)
class Scene:
    zones: list[ZoneShape]
    obstacles: list[shapely.Polygon]
    cameras: list[CameraGeometry]


@st.composite
def obstacles(draw: st.DrawFn, width: float, height: float) -> shapely.Polygon:
    """A rotated rectangle, or an L-shaped (non-convex) building."""
    cx = draw(st.floats(0.0, width))
    cy = draw(st.floats(0.0, height))
    w = draw(st.floats(1.0, 9.0))
    h = draw(st.floats(0.5, 7.0))
    angle = draw(st.floats(0.0, 180.0))
    shape = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    if draw(st.booleans()) and w > 2.0 and h > 2.0:
        shape = shape.difference(shapely.box(cx, cy, cx + w, cy + h))
    return shapely.affinity.rotate(shape, angle, origin=(cx, cy))


@st.composite
def cameras(
    draw: st.DrawFn, ident: str, width: float, height: float, blocked: shapely.Geometry
) -> CameraGeometry:
    x = draw(st.floats(-5.0, width + 5.0))
    y = draw(st.floats(-5.0, height + 5.0))
    # Cameras stand clear of buildings (the site loader refuses one inside a building).
    from hypothesis import assume

    assume(blocked.is_empty or blocked.distance(shapely.Point(x, y)) > 0.5)
    optics = draw(st.booleans())
    return CameraGeometry(
        id=ident,
        x=x,
        y=y,
        heading_deg=draw(st.floats(-360.0, 360.0)),
        hfov_deg=draw(st.one_of(st.floats(5.0, 200.0), st.just(360.0))),
        range_m=draw(st.floats(4.0, 45.0)),
        height_m=draw(st.floats(2.0, 10.0)) if optics else None,
        tilt_deg=draw(st.floats(0.0, 60.0)) if optics else None,
        vfov_deg=draw(st.floats(10.0, 60.0)) if optics else None,
    )


@st.composite
def scenes(draw: st.DrawFn, max_cameras: int = 5, max_obstacles: int = 4) -> Scene:
    width = draw(st.floats(20.0, 45.0))
    height = draw(st.floats(20.0, 45.0))
    zones = [ZoneShape("a", "Zone A", draw(st.integers(1, 5)), shapely.box(0, 0, width, height))]
    if draw(st.booleans()):
        # A second, skewed zone overlapping the right half of the first.
        quad = shapely.Polygon(
            [(width / 2, -4), (width + 6, 0), (width + 3, height / 2), (width / 2 + 2, height / 2)]
        )
        zones.append(ZoneShape("b", "Zone B", draw(st.integers(1, 5)), quad))
    blocks = draw(st.lists(obstacles(width, height), max_size=max_obstacles))
    blocked = shapely.union_all(blocks) if blocks else shapely.Polygon()
    count = draw(st.integers(1, max_cameras))
    cams = [draw(cameras(f"cam-{k}", width, height, blocked)) for k in range(count)]
    return Scene(zones, blocks, cams)


# ---------------------------------------------------------------- independent raster oracle


def _inside(px: np.ndarray, py: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even-odd point-in-ring test (ray to +x)."""
    inside = np.zeros(px.shape, dtype=bool)
    # The ring's edges in blocks against all points at once; per point and edge the arithmetic
    # is the one-edge-at-a-time formula, so the parity comes out the same.
    edges = np.hstack([ring[:-1], ring[1:]])
    for ax, ay, bx, by in _edge_blocks(edges, len(px)):
        crosses = (ay > py) != (by > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = ax + (py - ay) * (bx - ax) / (by - ay)
        inside ^= np.logical_xor.reduce(crosses & (px < xcross), axis=0)
    return inside


def _edge_blocks(
    edges: np.ndarray, points: int
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Edge coordinates as column vectors, a block at a time, for broadcasting against points."""
    step = max(1, _BLOCK_CELLS // max(points, 1))
    for start in range(0, len(edges), step):
        block = edges[start : start + step]
        yield block[:, 0:1], block[:, 1:2], block[:, 2:3], block[:, 3:4]


_BLOCK_CELLS = 1 << 21
"""Edges × points per broadcast block (a few MiB of temporaries each)."""


def in_polygon(px: np.ndarray, py: np.ndarray, polygon: shapely.Geometry) -> np.ndarray:
    out = np.zeros(px.shape, dtype=bool)
    for part in shapely.get_parts(polygon):
        # Only points in the part's box (with a margin far above rounding) can be inside: off
        # it, the ray meets no edge or crosses the ring an even number of times.
        minx, miny, maxx, maxy = part.bounds
        near = (px >= minx - _BOX_MARGIN) & (px <= maxx + _BOX_MARGIN)
        near &= (py >= miny - _BOX_MARGIN) & (py <= maxy + _BOX_MARGIN)
        qx, qy = px[near], py[near]
        mask = _inside(qx, qy, np.asarray(part.exterior.coords))
        for hole in part.interiors:
            mask &= ~_inside(qx, qy, np.asarray(hole.coords))
        out[near] |= mask
    return out


_BOX_MARGIN = 1e-6


def _edges(polygons: list[shapely.Geometry]) -> np.ndarray:
    edges = []
    for polygon in polygons:
        for part in shapely.get_parts(polygon):
            for ring in [part.exterior, *part.interiors]:
                coords = np.asarray(ring.coords)
                edges.append(np.hstack([coords[:-1], coords[1:]]))
    return np.vstack(edges) if edges else np.empty((0, 4))


def _blocked(cx: float, cy: float, px: np.ndarray, py: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Does the segment camera→point cross any obstacle edge?"""
    hit = np.zeros(px.shape, dtype=bool)
    # Edges in blocks against all points at once: per point and edge the same four cross
    # products as one edge at a time, so the same points come out hit.
    for ax, ay, bx, by in _edge_blocks(edges, len(px)):
        d1 = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
        d2 = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
        d3 = (px - cx) * (ay - cy) - (py - cy) * (ax - cx)
        d4 = (px - cx) * (by - cy) - (py - cy) * (bx - cx)
        hit |= ((d1 * d2 < 0) & (d3 * d4 < 0)).any(axis=0)
    return hit


def _sees(
    cx: float, cy: float, ok: np.ndarray, px: np.ndarray, py: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """`ok` less the points whose line of sight is blocked; only the `ok` points are traced."""
    visible = ok.copy()
    visible[ok] = ~_blocked(cx, cy, px[ok], py[ok], edges)
    return visible


def seen_by(
    camera: CameraGeometry, px: np.ndarray, py: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """Which ground points the camera sees: range, angle, dead zone and line of sight."""
    dx, dy = px - camera.x, py - camera.y
    dist = np.hypot(dx, dy)
    near, far = 0.0, camera.range_m
    if camera.height_m and camera.tilt_deg is not None and camera.vfov_deg:
        low = camera.tilt_deg + camera.vfov_deg / 2
        high = camera.tilt_deg - camera.vfov_deg / 2
        if low < 90:
            near = camera.height_m / math.tan(math.radians(low))
        if high > 0:
            far = min(far, camera.height_m / math.tan(math.radians(high)))
    ok = (dist >= near) & (dist <= far)
    if camera.hfov_deg < 360:
        bearing = np.degrees(np.arctan2(dx, dy))
        off = (bearing - camera.heading_deg + 180.0) % 360.0 - 180.0
        ok &= np.abs(off) <= camera.hfov_deg / 2
    visible: np.ndarray = _sees(camera.x, camera.y, ok, px, py, edges)
    return visible


def raster_coverage(
    scene: Scene, zone: ZoneShape, cell: float, healthy: set[str] | None = None
) -> tuple[float, float]:
    """(ground m², covered m²) of a zone estimated on a grid of cell centres."""
    minx, miny, maxx, maxy = zone.polygon.bounds
    xs = np.arange(minx + cell / 2, maxx, cell)
    ys = np.arange(miny + cell / 2, maxy, cell)
    px, py = (a.ravel() for a in np.meshgrid(xs, ys))
    ground = in_polygon(px, py, zone.polygon)
    for obstacle in scene.obstacles:
        ground &= ~in_polygon(px, py, obstacle)
    px, py = px[ground], py[ground]
    edges = _edges(scene.obstacles)
    seen = np.zeros(px.shape, dtype=bool)
    for camera in scene.cameras:
        if healthy is None or camera.id in healthy:
            seen |= seen_by(camera, px, py, edges)
    return len(px) * cell * cell, float(seen.sum()) * cell * cell
