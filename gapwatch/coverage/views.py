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

from gapwatch.coverage import overlay
from gapwatch.coverage.grid import group_unions
from gapwatch.coverage.slivers import drop_slivers
from gapwatch.coverage.terrain import Terrain, cut_terrain_shadows, slant_reach
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
# Up to this many shadows are subtracted one by one; more are unioned first.
_SEQUENTIAL_SHADOWS = 8
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
    if lower <= 0.0:  # the whole picture is above the horizon: no ground at all
        return far, far
    if lower < 90.0:
        near = camera.height_m / math.tan(math.radians(lower))
    if upper > 0.0:
        far = min(far, camera.height_m / math.tan(math.radians(upper)))
    return min(near, far), far


def ground_limits_of(cameras: Sequence[CameraGeometry]) -> FloatArray:
    """ground_limits for many cameras at once, as an (n, 2) array of (near, far)."""
    out = np.zeros((len(cameras), 2))
    out[:, 1] = [c.range_m for c in cameras]
    for i, cam in enumerate(cameras):
        # Only a camera with a mount height and a tilt has a dead zone or a near horizon.
        if cam.height_m is not None and cam.tilt_deg is not None:
            out[i] = ground_limits(cam)
    return out


def _circle_rings(
    x: FloatArray, y: FloatArray, radius: FloatArray, step: float
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Closed rings approximating circles (inscribed polygons, counter-clockwise)."""
    count = max(3, math.ceil(360.0 / step))
    angles = np.linspace(0.0, 2.0 * math.pi, count + 1)
    angles[-1] = 0.0  # close exactly
    xs = x[:, None] + radius[:, None] * np.cos(angles)[None, :]
    ys = y[:, None] + radius[:, None] * np.sin(angles)[None, :]
    rings: np.ndarray[Any, np.dtype[np.object_]] = shapely.linearrings(np.stack([xs, ys], axis=-1))
    return rings


def _discs(
    x: FloatArray, y: FloatArray, near: FloatArray, far: FloatArray, step: float
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Discs of radius `far`, with a hole of radius `near` where near > 0."""
    out: np.ndarray[Any, np.dtype[np.object_]] = shapely.polygons(_circle_rings(x, y, far, step))
    holed = np.flatnonzero(near > 0.0)
    if len(holed):
        shells = _circle_rings(x[holed], y[holed], far[holed], step)
        holes = _circle_rings(x[holed], y[holed], near[holed], step)
        out[holed] = shapely.polygons(shells, holes=holes[:, None])
    return out


def _full_circle(x: float, y: float, near: float, far: float, step: float) -> Geometry:
    one = np.array([1.0])
    return _discs(one * x, one * y, one * near, one * far, step)[0]


def sectors(
    cameras: Sequence[CameraGeometry],
    step_deg: float = ARC_STEP_DEG,
    limits: FloatArray | None = None,
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Each camera's field-of-view ground before shadows: an (annular) sector or disc.

    `limits` are the cameras' (near, far) ground distances when already known.
    """
    out = np.empty(len(cameras), dtype=object)
    if not cameras:
        return out
    if limits is None:
        limits = ground_limits_of(cameras)
    near, far = limits[:, 0], limits[:, 1]
    hfov = np.array([c.hfov_deg for c in cameras])
    blank = far <= near
    out[blank] = shapely.Polygon()
    full = np.flatnonzero(~blank & (hfov >= 360.0))
    if len(full):
        x = np.array([cameras[int(i)].x for i in full])
        y = np.array([cameras[int(i)].y for i in full])
        out[full] = _discs(x, y, near[full], far[full], step_deg)
    fan = np.flatnonzero(~blank & (hfov < 360.0))
    if len(fan):
        out[fan] = _fans(cameras, fan, near[fan], far[fan], step_deg)
    return out


def _fans(
    cameras: Sequence[CameraGeometry],
    which: np.ndarray[Any, np.dtype[np.intp]],
    near: FloatArray,
    far: FloatArray,
    step_deg: float,
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Sectors (apex, arc) or annular sectors (outer arc, inner arc) for hfov < 360, built as
    one coordinate array: every ring position gets its arc index k and its radius."""
    x = np.array([cameras[int(i)].x for i in which])
    y = np.array([cameras[int(i)].y for i in which])
    heading = np.array([cameras[int(i)].heading_deg for i in which])
    hfov = np.array([cameras[int(i)].hfov_deg for i in which])
    arc = np.maximum(2, np.ceil(hfov / step_deg).astype(np.intp) + 1)
    ring = np.where(near > 0.0, 2 * arc + 1, arc + 2)
    owner = np.repeat(np.arange(len(which)), ring)
    starts = np.concatenate([[0], np.cumsum(ring)[:-1]])
    pos = np.arange(int(ring.sum())) - starts[owner]
    n = arc[owner]
    annular = near[owner] > 0.0
    # Annulus: outer arc k = pos for pos < n, inner arc backwards, then back to the first point.
    k_ann = np.where(pos < n, pos, np.where(pos < 2 * n, 2 * n - 1 - pos, 0))
    r_ann = np.where((pos >= n) & (pos < 2 * n), near[owner], far[owner])
    # Plain sector: apex, outer arc, apex.
    k_fan = np.clip(pos - 1, 0, n - 1)
    r_fan = np.where((pos == 0) | (pos == n + 1), 0.0, far[owner])
    k = np.where(annular, k_ann, k_fan)
    r = np.where(annular, r_ann, r_fan)
    bearing = np.radians(heading[owner] - hfov[owner] / 2.0 + hfov[owner] * k / (n - 1))
    coords = np.column_stack([x[owner] + r * np.sin(bearing), y[owner] + r * np.cos(bearing)])
    polygons: np.ndarray[Any, np.dtype[np.object_]] = shapely.polygons(
        shapely.linearrings(coords, indices=owner)
    )
    return polygons


@dataclass(frozen=True)
class ObstacleIndex:
    """Obstacles split into convex pieces (a convex piece's shadow is one convex hull)."""

    pieces: np.ndarray[Any, np.dtype[np.object_]]
    vertices: FloatArray  # (n_pieces, m, 2), padded by repeating the first vertex
    tree: shapely.STRtree
    union: Geometry
    terrain: Terrain | None = None
    """The ground's shape, when the site has a DEM: hills hide ground too (coverage/terrain.py)."""

    @classmethod
    def build(cls, obstacles: Sequence[Geometry], terrain: Terrain | None = None) -> ObstacleIndex:
        """Split obstacles into convex pieces and index them."""
        parts = shapely.get_parts(np.array(list(obstacles), dtype=object)) if obstacles else []
        parts = np.array(
            [p for p in parts if p.geom_type == "Polygon" and p.area > 0.0], dtype=object
        )
        if len(parts) == 0:
            empty = np.empty(0, dtype=object)
            return cls(
                empty, np.empty((0, 3, 2)), shapely.STRtree(empty), shapely.Polygon(), terrain
            )
        hull_area = shapely.area(shapely.convex_hull(parts))
        area = shapely.area(parts)
        convex = (shapely.get_num_interior_rings(parts) == 0) & (
            hull_area - area <= 1e-9 * np.maximum(hull_area, 1.0)
        )
        pieces = list(shapely.polygons(shapely.get_exterior_ring(parts[convex])))
        for part in parts[~convex]:
            triangles = shapely.get_parts(shapely.constrained_delaunay_triangles(part))
            pieces.extend(t for t in triangles if t.area > 0.0)
        arr = np.empty(len(pieces), dtype=object)
        arr[:] = pieces
        # Padded vertex table: each ring without its closing point, padded with its first point.
        coords, owner = shapely.get_coordinates(shapely.get_exterior_ring(arr), return_index=True)
        sizes = np.bincount(owner, minlength=len(arr))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        width = int(sizes.max()) - 1
        column = np.arange(width)[None, :]
        real = column <= (sizes - 2)[:, None]
        vertices = coords[starts[:, None] + np.where(real, column, 0)]
        union = overlay.disjoint_union_all(parts)
        tree = shapely.STRtree(arr)
        tree.query(shapely.Point(0.0, 0.0))  # GEOS builds the tree on first use: do it now, once
        return cls(pieces=arr, vertices=vertices, tree=tree, union=union, terrain=terrain)


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
    """Each camera's seen ground: its sector minus the shadows of hills and obstacle pieces."""
    limits = ground_limits_of(cameras)
    fov = sectors(cameras, step_deg, limits)
    if obstacles.terrain is not None and len(fov):
        # Hook: the ground hills hide is cut like a building's shadow (coverage/terrain.py).
        fov = cut_terrain_shadows(fov, cameras, limits[:, 1], obstacles.terrain)
    if len(obstacles.pieces) == 0 or len(fov) == 0:
        return fov
    # A building inside the dead zone still hides ground behind it: look for blockers over the
    # whole fan from the camera out, not only over the ground in the picture.
    fan = fov
    holed = np.flatnonzero(limits[:, 0] > 0.0)
    if len(holed):
        fan = fov.copy()
        solid = limits[holed].copy()
        solid[:, 0] = 0.0
        fan[holed] = sectors([cameras[int(i)] for i in holed], step_deg, solid)
    cam_idx, piece_idx = obstacles.tree.query(fan, predicate="intersects")
    if len(cam_idx) == 0:
        return fov
    origins = np.array([[c.x, c.y] for c in cameras])
    if np.any(np.diff(cam_idx) < 0):
        order = np.argsort(cam_idx, kind="stable")
        cam_idx, piece_idx = cam_idx[order], piece_idx[order]
    hidden = shadows(origins[cam_idx], limits[cam_idx, 1], obstacles.vertices[piece_idx])
    # A piece the camera stands on or in (a mast on a roof, a bracket on a wall) casts no shadow
    # for it, but its footprint is still not ground the camera watches.
    on_cam, on_piece = obstacles.tree.query(
        shapely.points(origins), predicate="dwithin", distance=_MOUNT_TOLERANCE_M
    )
    if len(on_cam):
        size = len(obstacles.pieces)
        mounted = np.isin(cam_idx * size + piece_idx, on_cam * size + on_piece)
        hidden[mounted] = obstacles.pieces[piece_idx[mounted]]
    affected, starts, counts = np.unique(cam_idx, return_index=True, return_counts=True)
    out = fov.copy()
    # A camera behind a few buildings: subtract their shadows one by one, all cameras at once
    # column by column (cheaper than a union per camera). Behind many: union them first.
    few = counts <= _SEQUENTIAL_SHADOWS
    rows = np.repeat(np.arange(len(affected)), counts)
    column = np.arange(len(cam_idx)) - np.repeat(starts, counts)
    seen = out[affected]
    for k in range(int(counts[few].max()) if few.any() else 0):
        pick = (column == k) & few[rows]
        target = rows[pick]
        seen[target] = drop_slivers(overlay.difference(seen[target], hidden[pick]))
    many = np.flatnonzero(~few)
    if len(many):
        groups = [np.arange(starts[r], starts[r] + counts[r]) for r in many]
        seen[many] = drop_slivers(overlay.difference(seen[many], group_unions(groups, hidden)))
    out[affected] = seen
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


def density_bands(
    camera: CameraGeometry, view: Geometry, terrain: Terrain | None = None
) -> dict[str, Geometry]:
    """Ground seen at each IEC 62676-4 density (detect, observe, recognise, identify).

    With terrain, the density limit is a slant distance from the lens (horizontal distance and
    height difference), not a distance over flat ground.
    """
    bands: dict[str, Geometry] = {}
    if camera.resolution is None:
        return bands
    near, far = ground_limits(camera)
    for name, ppm in DENSITY_BANDS.items():
        limit = density_range_m(camera, ppm)
        assert limit is not None
        if terrain is not None:
            # Hook: slant distance over the DEM (coverage/terrain.py).
            bands[name] = shapely.intersection(view, slant_reach(camera, terrain, limit))
        elif limit >= far:
            bands[name] = view
        elif limit <= near:
            bands[name] = shapely.Polygon()
        else:
            disc = _full_circle(camera.x, camera.y, 0.0, limit, ARC_STEP_DEG)
            bands[name] = overlay.intersection(view, disc)
    return bands
