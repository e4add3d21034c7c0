"""Line of sight over terrain: the ground hills hide from each camera, as polygons.

For every camera a radial sweep samples the DEM along rays fanned across its sector. Along a ray,
a ground point is seen when it rises above every sight line to the ground nearer the lens; the
*clearance* of a sample is its height above the steepest earlier sight line, negative where the
ground is hidden. The clearance is a continuous field over the (ray, distance) grid, so its
negative region is polygonised with marching squares (contourpy) with sub-sample boundaries, in
one call for a whole batch of cameras, and then mapped from grid indices to metres.

Heights include Earth curvature with standard refraction (the same correction GDAL's viewshed
applies by default), which matters only for ranges of a kilometre or more.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from gapwatch.coverage.slivers import drop_slivers
from gapwatch.coverage.types import CameraGeometry
from gapwatch.site.dem import Elevation, site_elevation

if TYPE_CHECKING:
    from gapwatch.site import Site

__all__ = [
    "CURVATURE_COEFFICIENT",
    "EARTH_RADIUS_M",
    "Terrain",
    "cut_terrain_shadows",
    "site_terrain",
    "slant_reach",
    "terrain_shadows",
]

Geometry = Any
FloatArray = np.ndarray[Any, np.dtype[np.float64]]
IntArray = np.ndarray[Any, np.dtype[np.intp]]
ObjectArray = np.ndarray[Any, np.dtype[np.object_]]

EARTH_RADIUS_M = 6_371_008.8
CURVATURE_COEFFICIENT = 6.0 / 7.0
"""Share of the Earth's curvature drop that remains after refraction (k = 1/7); GDAL's default."""

# Ground this far (metres) below the sight line is hidden: flat ground with rounding noise in
# its heights does not cast shadows.
_HIDDEN_BELOW_M = 0.01
# Samples along a ray: at least this many, at most _MAX_SAMPLES, else half a DEM cell apart.
_MIN_SAMPLES = 8
_MAX_SAMPLES = 256
# Hidden ground reaches this far (radians) beyond a sector's side edges.
_SIDE_OVERLAP_RAD = 1e-6
# Samples swept at once (bounds the temporary arrays to a few tens of MB).
_CHUNK_SAMPLES = 100_000


@dataclass(frozen=True, eq=False)
class Terrain:
    """The ground's shape for line of sight: a DEM and the lens height of cameras without one."""

    elevation: Elevation
    mount_height_m: float = 3.0

    def ground(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Ground heights at metric points."""
        return self.elevation.sample(x, y)

    def lens(self, cameras: Sequence[CameraGeometry]) -> FloatArray:
        """Each camera's lens height above the datum: ground under it plus its mount height."""
        x = np.array([c.x for c in cameras], dtype=float)
        y = np.array([c.y for c in cameras], dtype=float)
        mount = np.array(
            [self.mount_height_m if c.height_m is None else c.height_m for c in cameras],
            dtype=float,
        )
        out: FloatArray = self.ground(x, y) + mount
        return out


@dataclass(frozen=True)
class _Fan:
    """The sampling of one batch of cameras: rays (rows) by distances (columns)."""

    camera: IntArray  # per ray: index into the batch
    bearing: FloatArray  # per ray, radians clockwise from north
    step: FloatArray  # per ray: distance between samples, metres
    samples: IntArray  # per ray: valid samples (columns beyond are padding)
    first_ray: IntArray  # per camera: its first ray
    rays: IntArray  # per camera: number of rays
    camera_samples: IntArray  # per camera: samples along each of its rays


def _fan(cameras: Sequence[CameraGeometry], far: FloatArray, cell_m: float) -> _Fan:
    """Rays across each camera's sector, about half a DEM cell apart at its far edge."""
    far = np.maximum(far, 1e-3)
    step = np.clip(np.minimum(cell_m / 2.0, far / _MIN_SAMPLES), far / _MAX_SAMPLES, None)
    # One sample beyond the range, so hidden ground reaches past the sector's arc.
    samples = np.ceil(far / step).astype(np.intp) + 1
    hfov = np.radians([c.hfov_deg for c in cameras])
    heading = np.radians([c.heading_deg for c in cameras])
    rays = np.maximum(np.ceil(hfov * far / step).astype(np.intp) + 1, 3)
    rays = np.maximum(rays, np.ceil(np.degrees(hfov) / 5.0).astype(np.intp) + 1)
    camera = np.repeat(np.arange(len(cameras)), rays)
    first = np.concatenate([[0], np.cumsum(rays)[:-1]]).astype(np.intp)
    t = (np.arange(len(camera)) - first[camera]) / (rays[camera] - 1)
    # The fan opens a hair wider than the sector, so hidden ground along its side edges is cut
    # cleanly instead of leaving zero-width spikes on them.
    spread = hfov + np.where(hfov < 2.0 * math.pi, 2.0 * _SIDE_OVERLAP_RAD, 0.0)
    bearing = heading[camera] - spread[camera] / 2.0 + spread[camera] * t
    return _Fan(camera, bearing, step[camera], samples[camera], first, rays, samples)


def _clearance(
    terrain: Terrain,
    origin: FloatArray,
    lens: FloatArray,
    fan: _Fan,
    rows: IntArray,
) -> FloatArray:
    """Height of the ground above the steepest earlier sight line, for the given rays (NaN in
    the padding beyond a ray's last sample)."""
    width = int(fan.samples[rows].max())
    k = np.arange(1, width + 1, dtype=float)
    r = fan.step[rows, None] * k[None, :]
    cam = fan.camera[rows]
    bearing = fan.bearing[rows]
    x = origin[cam, 0, None] + r * np.sin(bearing)[:, None]
    y = origin[cam, 1, None] + r * np.cos(bearing)[:, None]
    drop = CURVATURE_COEFFICIENT * r * r / (2.0 * EARTH_RADIUS_M)
    rise = terrain.ground(x, y) - drop - lens[cam, None]
    slope = rise / r
    horizon = np.maximum.accumulate(slope, axis=1)
    clearance = np.empty_like(rise)
    clearance[:, 1:] = rise[:, 1:] - horizon[:, :-1] * r[:, 1:]
    clearance[:, 0] = terrain.elevation.cell_m  # nothing stands between the lens and it
    clearance[k[None, :] > fan.samples[rows, None]] = np.nan
    return clearance


def _polygons(clearance: FloatArray) -> tuple[FloatArray, IntArray, IntArray] | None:
    """Marching-squares polygons of the hidden region (NaN cells left out): points as
    (column, row), ring offsets into the points, polygon offsets into the rings."""
    import contourpy

    masked: Any = np.ma.masked_invalid(clearance)
    generator = contourpy.contour_generator(
        z=masked, fill_type="ChunkCombinedOffsetOffset", corner_mask=False
    )
    low = min(float(np.nanmin(clearance)), -_HIDDEN_BELOW_M) - 1.0
    found: Any = generator.filled(low, -_HIDDEN_BELOW_M)
    points, offsets, outers = found
    if not points or points[0] is None:
        return None
    return (
        np.asarray(points[0], dtype=float),
        np.asarray(offsets[0], dtype=np.intp),
        np.asarray(outers[0], dtype=np.intp),
    )


def terrain_shadows(
    cameras: Sequence[CameraGeometry],
    far: FloatArray,
    terrain: Terrain,
) -> ObjectArray:
    """Ground each camera cannot see for the hills, out to `far[i]` metres (None: nothing hidden).

    The result is a MultiPolygon per camera in local metres, or None.
    """
    out = np.full(len(cameras), None, dtype=object)
    if not cameras:
        return out
    origin = np.array([[c.x, c.y] for c in cameras], dtype=float)
    lens = terrain.lens(cameras)
    fan = _fan(cameras, np.asarray(far, dtype=float), terrain.elevation.cell_m)
    per_camera = fan.rays * fan.camera_samples
    start = 0
    while start < len(cameras):
        # A batch of whole cameras of about _CHUNK_SAMPLES samples.
        budget = np.cumsum(per_camera[start:])
        stop = start + max(1, int(np.searchsorted(budget, _CHUNK_SAMPLES)))
        _sweep(range(start, stop), origin, lens, fan, terrain, out)
        start = stop
    return out


def _sweep(
    batch: range,
    origin: FloatArray,
    lens: FloatArray,
    fan: _Fan,
    terrain: Terrain,
    out: ObjectArray,
) -> None:
    """Hidden ground of the cameras in `batch`, written into `out`."""
    rows = np.arange(
        fan.first_ray[batch.start], fan.first_ray[batch.stop - 1] + fan.rays[batch.stop - 1]
    )
    clearance = _clearance(terrain, origin, lens, fan, rows)
    with np.errstate(invalid="ignore"):
        hidden_ray = (clearance < -_HIDDEN_BELOW_M).any(axis=1)
    shadowed = np.unique(fan.camera[rows][hidden_ray])
    if len(shadowed) == 0:
        return
    # Stack the shadowed cameras' rays with one masked row between cameras, so that marching
    # squares never joins two cameras' grids.
    sizes = fan.rays[shadowed]
    block = np.concatenate([[0], np.cumsum(sizes + 1)[:-1]]).astype(np.intp)
    grid = np.full((int((sizes + 1).sum()), clearance.shape[1]), np.nan)
    row_camera = np.full(grid.shape[0], -1, dtype=np.intp)
    for cam, at, size in zip(shadowed, block, sizes, strict=True):
        local = fan.first_ray[cam] - rows[0]
        grid[at : at + size] = clearance[local : local + size]
        row_camera[at : at + size] = cam
    found = _polygons(grid)
    if found is None:
        return
    points, offsets, outers = found
    column, row = points[:, 0], points[:, 1]
    # Interpolated rows come out a rounding error off whole numbers (232.99999999999997 for
    # a camera's first ray at row 233): snap before looking up the owner.
    snapped = np.clip(np.floor(row + 1e-6).astype(np.intp), 0, grid.shape[0] - 1)
    owner = row_camera[snapped]
    lost = owner < 0
    owner[lost] = row_camera[np.maximum(snapped[lost] - 1, 0)]
    first_ray = fan.first_ray[owner]
    at = block[np.searchsorted(shadowed, owner)]
    ray = np.clip(row - at, 0.0, fan.rays[owner] - 1.0)  # fractional ray within the camera
    span = fan.bearing[first_ray + 1] - fan.bearing[first_ray]
    bearing = fan.bearing[first_ray] + ray * span
    distance = (column + 1.0) * fan.step[first_ray]
    xy = np.column_stack(
        [
            origin[owner, 0] + distance * np.sin(bearing),
            origin[owner, 1] + distance * np.cos(bearing),
        ]
    )
    ring_of_point = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    rings = shapely.linearrings(xy, indices=ring_of_point)
    polygon_of_ring = np.repeat(np.arange(len(outers) - 1), np.diff(outers))
    polygons = shapely.polygons(rings, indices=polygon_of_ring)
    polygon_camera = owner[offsets[outers[:-1]]]
    order = np.argsort(polygon_camera, kind="stable")
    polygons, polygon_camera = polygons[order], polygon_camera[order]
    cams, compact = np.unique(polygon_camera, return_inverse=True)
    hidden = shapely.multipolygons(polygons, indices=compact)
    # Pieces of a 360° fan meet along its seam ray, which makes their MultiPolygon invalid:
    # such sets are unioned instead.
    for i in np.flatnonzero(~shapely.is_valid(hidden)):
        hidden[i] = shapely.union_all(shapely.make_valid(shapely.get_parts(hidden[i])))
    out[cams] = hidden


def cut_terrain_shadows(
    views: ObjectArray,
    cameras: Sequence[CameraGeometry],
    far: FloatArray,
    terrain: Terrain,
) -> ObjectArray:
    """`views` minus the ground the hills hide from each camera."""
    hidden = terrain_shadows(cameras, far, terrain)
    which = np.flatnonzero([h is not None for h in hidden])
    if len(which) == 0:
        return views
    out = views.copy()
    out[which] = drop_slivers(shapely.difference(views[which], hidden[which]))
    return out


def slant_reach(camera: CameraGeometry, terrain: Terrain, limit_m: float) -> Geometry:
    """Ground within `limit_m` metres of the lens along the line of sight (slant distance),
    as a polygon over the camera's sector (or full circle)."""
    fan = _fan([camera], np.array([limit_m]), terrain.elevation.cell_m)
    rows = np.arange(len(fan.camera))
    k = np.arange(1, int(fan.samples.max()) + 1, dtype=float)
    r = fan.step[:, None] * k[None, :]
    x = camera.x + r * np.sin(fan.bearing)[:, None]
    y = camera.y + r * np.cos(fan.bearing)[:, None]
    lens = terrain.lens([camera])[0]
    slant = np.hypot(r, lens - terrain.ground(x, y))
    beyond = slant > limit_m
    # Along each ray: the distance where the slant distance first passes the limit, interpolated.
    first = np.where(beyond.any(axis=1), beyond.argmax(axis=1), r.shape[1] - 1)
    before = np.maximum(first - 1, 0)
    s0, s1 = slant[rows, before], slant[rows, first]
    r0, r1 = r[rows, before], r[rows, first]
    t = np.clip((limit_m - s0) / np.where(s1 > s0, s1 - s0, 1.0), 0.0, 1.0)
    reach = np.where(first == 0, r1 * np.minimum(1.0, limit_m / s1), r0 + t * (r1 - r0))
    ends = np.column_stack(
        [camera.x + reach * np.sin(fan.bearing), camera.y + reach * np.cos(fan.bearing)]
    )
    if camera.hfov_deg >= 360.0:
        return shapely.make_valid(shapely.Polygon(ends))
    apex = np.array([[camera.x, camera.y]])
    return shapely.make_valid(shapely.Polygon(np.concatenate([apex, ends, apex])))


def site_terrain(site: Site) -> Terrain | None:
    """The terrain of a loaded site (its DEM in local metres), or None without a DEM."""
    elevation = site_elevation(site)
    if elevation is None or site.spec.terrain is None:
        return None
    return Terrain(elevation, site.spec.terrain.mount_height_m)
