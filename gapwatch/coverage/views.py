"""Each camera's ground view: field-of-view sector, dead zone, obstacle shadows, pixel density.

Pure, vectorised geometry over numpy arrays and shapely 2. Bearings are degrees clockwise from
north; x is east and y north, in metres.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gapwatch.coverage.types import DENSITY_BANDS, CameraGeometry

__all__ = [
    "ARC_STEP_DEG",
    "ObstacleIndex",
    "camera_views",
    "density_bands",
    "density_range_m",
    "ground_limits",
    "sectors",
    "shadows",
]

Geometry = Any
FloatArray = np.ndarray[Any, np.dtype[np.float64]]

ARC_STEP_DEG = 2.0
"""Arc resolution of view polygons; the inscribed polygon loses 0.02 % of a sector's area."""

# Far points of a shadow are spread over its angular span in this many steps, so every step is
# at most 180/_SHADOW_STEPS degrees and the far edge never dips inside the camera's range.
_SHADOW_STEPS = 6
_SHADOW_REACH = 1.0 / math.cos(math.radians(90.0 / _SHADOW_STEPS)) * 1.001
# A camera this close to (or inside) an obstacle piece is mounted on it: that piece does not
# hide anything from it.
_MOUNT_TOLERANCE_M = 0.01


def effective_vfov_deg(camera: CameraGeometry) -> float | None:
    """The vertical field of view: given, or derived from hfov and the sensor's aspect ratio."""
    if camera.vfov_deg is not None:
        return camera.vfov_deg
    if camera.resolution is not None and camera.hfov_deg < 180.0:
        width, height = camera.resolution
        half = math.atan(math.tan(math.radians(camera.hfov_deg) / 2.0) * height / width)
        return math.degrees(2.0 * half)
    return None


def ground_limits(camera: CameraGeometry) -> tuple[float, float]:
    """(near, far) ground distances the camera sees: dead zone under it and the image's top edge.

    Near is h / tan(tilt + vfov/2) (nothing closer is in the picture); far is the range, or
    h / tan(tilt - vfov/2) when the top edge of the image points below the horizon.
    """
    near, far = 0.0, camera.range_m
    vfov = effective_vfov_deg(camera)
    if camera.height_m is None or camera.tilt_deg is None or vfov is None:
        return near, far
    lower = camera.tilt_deg + vfov / 2.0
    upper = camera.tilt_deg - vfov / 2.0
    if lower < 90.0:
        near = camera.height_m / math.tan(math.radians(lower))
    if upper > 0.0:
        far = min(far, camera.height_m / math.tan(math.radians(upper)))
    return min(near, far), far


def _arc(
    x: float, y: float, heading: float, hfov: float, radius: float, step: float
) -> list[tuple[float, float]]:
    count = max(2, math.ceil(hfov / step) + 1)
    start = heading - hfov / 2.0
    out = []
    for k in range(count):
        bearing = math.radians(start + hfov * k / (count - 1))
        out.append((x + radius * math.sin(bearing), y + radius * math.cos(bearing)))
    return out


def _full_circle(x: float, y: float, near: float, far: float, step: float) -> Geometry:
    shell = _arc(x, y, 0.0, 360.0, far, step)[:-1]
    if near <= 0.0:
        return shapely.Polygon(shell)
    hole = _arc(x, y, 0.0, 360.0, near, step)[:-1]
    return shapely.Polygon(shell, [hole])


def sectors(
    cameras: Sequence[CameraGeometry], step_deg: float = ARC_STEP_DEG
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Each camera's field-of-view ground before shadows: an (annular) sector or disc."""
    out = np.empty(len(cameras), dtype=object)
    coords: list[FloatArray] = []
    ring_of: list[np.ndarray[Any, np.dtype[np.intp]]] = []
    slots: list[int] = []
    for i, cam in enumerate(cameras):
        near, far = ground_limits(cam)
        if far <= near:
            out[i] = shapely.Polygon()
            continue
        if cam.hfov_deg >= 360.0:
            out[i] = _full_circle(cam.x, cam.y, near, far, step_deg)
            continue
        count = max(2, math.ceil(cam.hfov_deg / step_deg) + 1)
        bearings = np.radians(
            cam.heading_deg - cam.hfov_deg / 2.0 + np.linspace(0.0, cam.hfov_deg, count)
        )
        sin, cos = np.sin(bearings), np.cos(bearings)
        outer = np.column_stack([cam.x + far * sin, cam.y + far * cos])
        if near > 0.0:
            inner = np.column_stack([cam.x + near * sin, cam.y + near * cos])[::-1]
            ring = np.vstack([outer, inner, outer[:1]])
        else:
            apex = np.array([[cam.x, cam.y]])
            ring = np.vstack([apex, outer, apex])
        coords.append(ring)
        ring_of.append(np.full(len(ring), len(slots), dtype=np.intp))
        slots.append(i)
    if slots:
        rings = shapely.linearrings(np.vstack(coords), indices=np.concatenate(ring_of))
        out[np.array(slots)] = shapely.polygons(rings)
    return out


@dataclass(frozen=True)
class ObstacleIndex:
    """Obstacles split into convex pieces (a convex piece's shadow is one convex hull)."""

    pieces: np.ndarray[Any, np.dtype[np.object_]]
    vertices: FloatArray  # (n_pieces, m, 2), padded by repeating the first vertex
    tree: shapely.STRtree
    union: Geometry

    @classmethod
    def build(cls, obstacles: Sequence[Geometry]) -> ObstacleIndex:
        """Split obstacles into convex pieces and index them."""
        pieces: list[Geometry] = []
        for obstacle in obstacles:
            for part in _polygons(obstacle):
                if part.area <= 0.0:
                    continue
                hull = part.convex_hull
                if not part.interiors and hull.area - part.area <= 1e-9 * max(hull.area, 1.0):
                    pieces.append(shapely.Polygon(part.exterior))
                else:
                    triangles = shapely.constrained_delaunay_triangles(part)
                    pieces.extend(t for t in _polygons(triangles) if t.area > 0.0)
        arr = np.empty(len(pieces), dtype=object)
        arr[:] = pieces
        width = max((len(p.exterior.coords) - 1 for p in pieces), default=3)
        vertices = np.empty((len(pieces), width, 2))
        for k, piece in enumerate(pieces):
            ring = np.asarray(piece.exterior.coords)[:-1]
            vertices[k, : len(ring)] = ring
            vertices[k, len(ring) :] = ring[0]
        union = shapely.union_all(arr) if len(arr) else shapely.Polygon()
        return cls(pieces=arr, vertices=vertices, tree=shapely.STRtree(arr), union=union)


def _polygons(geometry: Geometry) -> list[Geometry]:
    if geometry is None or geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in _polygons(g)]
    return []


def shadows(
    origins: FloatArray, reach: FloatArray, vertices: FloatArray
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Ground hidden behind convex pieces: for each row, the piece plus everything behind it
    as seen from `origins[i]`, out to at least `reach[i]` metres.

    A convex piece's shadow is convex, so it is the hull of the piece's vertices and points far
    out along rays that span its silhouette.
    """
    rel = vertices - origins[:, None, :]
    centre = rel.mean(axis=1)
    base = np.arctan2(centre[:, 1], centre[:, 0])
    cos_b, sin_b = np.cos(base)[:, None], np.sin(base)[:, None]
    along = rel[..., 0] * cos_b + rel[..., 1] * sin_b
    across = rel[..., 1] * cos_b - rel[..., 0] * sin_b
    offsets = np.arctan2(across, along)
    low, high = offsets.min(axis=1), offsets.max(axis=1)
    steps = np.linspace(0.0, 1.0, _SHADOW_STEPS + 1)
    angles = base[:, None] + low[:, None] + (high - low)[:, None] * steps[None, :]
    # Far points must lie behind the piece on every ray, so beyond its farthest vertex too.
    farthest = np.hypot(rel[..., 0], rel[..., 1]).max(axis=1)
    distance = (np.maximum(reach, farthest) * _SHADOW_REACH)[:, None]
    far = np.stack(
        [
            origins[:, None, 0] + distance * np.cos(angles),
            origins[:, None, 1] + distance * np.sin(angles),
        ],
        axis=-1,
    )
    points = np.concatenate([vertices, far], axis=1)
    hulls: np.ndarray[Any, np.dtype[np.object_]] = shapely.convex_hull(shapely.multipoints(points))
    return hulls


def camera_views(
    cameras: Sequence[CameraGeometry],
    obstacles: ObstacleIndex,
    step_deg: float = ARC_STEP_DEG,
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Each camera's seen ground: its sector minus the shadows of nearby obstacle pieces."""
    fov = sectors(cameras, step_deg)
    if len(obstacles.pieces) == 0 or len(fov) == 0:
        return fov
    cam_idx, piece_idx = obstacles.tree.query(fov, predicate="intersects")
    if len(cam_idx) == 0:
        return fov
    origins = np.array([[c.x, c.y] for c in cameras])[cam_idx]
    reach = np.array([ground_limits(c)[1] for c in cameras])[cam_idx]
    # Pieces the camera stands on or in do not block it (a mast on a roof, a bracket on a wall).
    mounted = (
        shapely.distance(shapely.points(origins), obstacles.pieces[piece_idx]) < _MOUNT_TOLERANCE_M
    )
    if mounted.any():
        keep = ~mounted
        cam_idx, piece_idx, origins, reach = (
            cam_idx[keep],
            piece_idx[keep],
            origins[keep],
            reach[keep],
        )
    hidden = shadows(origins, reach, obstacles.vertices[piece_idx])
    # One row per camera, one column per shadow, None-padded: union_all(axis=1) works row-wise in C.
    order = np.argsort(cam_idx, kind="stable")
    cam_sorted = cam_idx[order]
    starts = np.searchsorted(cam_sorted, cam_sorted, side="left")
    column = np.arange(len(cam_sorted)) - starts
    affected = np.unique(cam_sorted)
    width = int(column.max()) + 1 if len(column) else 1
    grid = np.full((len(affected), width), None, dtype=object)
    row = np.searchsorted(affected, cam_sorted)
    grid[row, column] = hidden[order]
    blocked = shapely.union_all(grid, axis=1)
    out = fov.copy()
    out[affected] = shapely.difference(fov[affected], blocked)
    return out


def density_range_m(camera: CameraGeometry, pixels_per_m: float) -> float | None:
    """Distance up to which the camera reaches `pixels_per_m` on the ground (None: no resolution).

    Scene width at distance d is 2·d·tan(hfov/2) (IEC 62676-4); for fields of view of 180° and
    more the arc length d·hfov is used instead, since the tangent no longer describes the image.
    """
    if camera.resolution is None:
        return None
    width_px = camera.resolution[0]
    hfov = math.radians(camera.hfov_deg)
    per_metre = 2.0 * math.tan(hfov / 2.0) if camera.hfov_deg < 180.0 else hfov
    return width_px / (per_metre * pixels_per_m)


def density_bands(camera: CameraGeometry, view: Geometry) -> dict[str, Geometry]:
    """Ground seen at each IEC 62676-4 density (detect, observe, recognise, identify)."""
    bands: dict[str, Geometry] = {}
    if camera.resolution is None:
        return bands
    near, far = ground_limits(camera)
    for name, ppm in DENSITY_BANDS.items():
        limit = density_range_m(camera, ppm)
        assert limit is not None
        if limit >= far:
            bands[name] = view
        elif limit <= near:
            bands[name] = shapely.Polygon()
        else:
            disc = _full_circle(camera.x, camera.y, 0.0, limit, ARC_STEP_DEG)
            bands[name] = shapely.intersection(view, disc)
    return bands
