"""The site's digital elevation model: checked on load, read with rasterio and reprojected onto a
regular grid in the site's local metres.

Any raster GDAL reads works (a GeoTIFF in practice), in any CRS with heights in metres. Reading
happens only when a site names a DEM, so rasterio (and its GDAL) is imported lazily.
"""

from __future__ import annotations

import math
import stat
import threading
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gapwatch.site.problems import Locator, Problem

if TYPE_CHECKING:
    from gapwatch.site.loaded import Site
    from gapwatch.site.models import SiteFile
    from gapwatch.site.projection import LocalProjection

__all__ = [
    "MAX_DEM_CELLS",
    "DemError",
    "Elevation",
    "check_dem",
    "read_elevation",
    "site_elevation",
    "site_extent_m",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

MAX_DEM_CELLS = 16_000_000
"""The reprojected grid is coarsened beyond this many cells (64 MB of float32 heights)."""

# Ground this far beyond every position and camera range is still read, so that a hill just
# outside the drawn site can hide ground inside it.
_MARGIN_M = 50.0


class DemError(ValueError):
    """A DEM that cannot be used; `en` and `zh` say why."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh


@dataclass(frozen=True, eq=False)
class Elevation:
    """Ground heights (metres) on a regular grid in the site's local metres, x east, y north.

    Row 0 is the north edge; cell (i, j) is centred on (west + (j + ½)·cell, north − (i + ½)·cell).
    Ground beyond the grid's edge is taken as level with the edge (heights are clamped).
    """

    heights: np.ndarray[Any, np.dtype[np.float32]]
    west: float
    north: float
    cell_m: float

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.heights.shape
        return int(rows), int(cols)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the grid's outer cell edges, metres."""
        rows, cols = self.shape
        return (
            self.west,
            self.north - rows * self.cell_m,
            self.west + cols * self.cell_m,
            self.north,
        )

    def sample(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Bilinearly interpolated ground heights at metric points (any matching shapes)."""
        rows, cols = self.shape
        u = np.clip((np.asarray(x) - self.west) / self.cell_m - 0.5, 0.0, cols - 1.0)
        v = np.clip((self.north - np.asarray(y)) / self.cell_m - 0.5, 0.0, rows - 1.0)
        j = np.minimum(u.astype(np.intp), max(cols - 2, 0))
        i = np.minimum(v.astype(np.intp), max(rows - 2, 0))
        fu, fv = u - j, v - i
        flat = self.heights.reshape(-1)
        at = i * cols + j
        right = 1 if cols > 1 else 0
        down = cols if rows > 1 else 0
        top = flat[at] * (1.0 - fu) + flat[at + right] * fu
        bottom = flat[at + down] * (1.0 - fu) + flat[at + down + right] * fu
        out: FloatArray = top * (1.0 - fv) + bottom * fv
        return out


def site_extent_m(spec: SiteFile, projection: LocalProjection) -> tuple[float, float, float, float]:
    """(west, south, east, north) in local metres of everything in the site, camera ranges and a
    margin included: the ground whose shape can matter."""
    xs: list[float] = []
    ys: list[float] = []
    reach = _MARGIN_M

    def add(lon: float, lat: float) -> None:
        x, y = projection.to_metres(lon, lat)
        xs.append(x)
        ys.append(y)

    for zone in spec.zones:
        for lon, lat in zone.polygon:
            add(lon, lat)
    for obstacle in spec.obstacles:
        for lon, lat in obstacle.polygon:
            add(lon, lat)
    for camera in spec.cameras:
        add(*camera.location)
        longest = max([camera.range_m, *(p.range_m for p in camera.ptz)])
        reach = max(reach, longest + _MARGIN_M)
    for unit in spec.patrol_units:
        add(*unit.location)
    if not xs:
        return (0.0, 0.0, 0.0, 0.0)
    return (min(xs) - reach, min(ys) - reach, max(xs) + reach, max(ys) + reach)


def _open(path: Path) -> Any:
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    if not path.exists():
        raise DemError(f"DEM file not found: {path}", f"找不到 DEM 文件：{path}")
    if path.is_dir():
        raise DemError(f"{path} is a folder, not a DEM file", f"{path} 是文件夹，不是 DEM 文件")
    try:
        with warnings.catch_warnings():
            # A raster without georeferencing is reported as an error of its own (no CRS).
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(path)
    except RasterioIOError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise DemError(
            f"{path} is not a raster GDAL can read ({reason})",
            f"{path} 不是 GDAL 能读取的栅格文件（{reason}）",
        ) from None


def _check_source(dataset: Any, band: int, path: Path) -> None:
    if dataset.crs is None:
        raise DemError(
            f"{path} has no coordinate reference system; write one into the GeoTIFF "
            "(e.g. gdal_edit.py -a_srs EPSG:4326)",
            f"{path} 没有坐标参考系；请写入 GeoTIFF（例如 gdal_edit.py -a_srs EPSG:4326）",
        )
    if band > dataset.count:
        raise DemError(
            f"band {band} does not exist: {path} has {dataset.count} band(s)",
            f"波段 {band} 不存在：{path} 只有 {dataset.count} 个波段",
        )


def _overlap(
    dataset: Any, projection: LocalProjection, extent: tuple[float, float, float, float]
) -> tuple[float, float, float, float] | None:
    """The part of `extent` (local metres) the raster covers, or None."""
    from rasterio.crs import CRS
    from rasterio.warp import transform_bounds

    local = CRS.from_proj4(projection.proj4)
    west, south, east, north = transform_bounds(dataset.crs, local, *dataset.bounds, densify_pts=21)
    out = (max(west, extent[0]), max(south, extent[1]), min(east, extent[2]), min(north, extent[3]))
    if out[0] >= out[2] or out[1] >= out[3]:
        return None
    return out


def _native_cell_m(dataset: Any, projection: LocalProjection) -> float:
    """The raster's own cell size, in metres of the local projection."""
    from rasterio.crs import CRS
    from rasterio.warp import calculate_default_transform

    local = CRS.from_proj4(projection.proj4)
    transform, _, _ = calculate_default_transform(
        dataset.crs, local, dataset.width, dataset.height, *dataset.bounds
    )
    return float(min(abs(transform.a), abs(transform.e)))


def read_elevation(
    path: Path,
    *,
    projection: LocalProjection,
    extent: tuple[float, float, float, float],
    band: int = 1,
) -> Elevation:
    """Read the DEM at `path` onto a grid over `extent` (local metres) at its own resolution.

    Raises DemError when the file is missing, not a raster, has no CRS, misses the extent or
    has no heights over it.

    The last few grids read are kept, keyed by the file's identity (device, inode, size, times of
    last change) and the grid asked for: loading a site checks its DEM with the very read the
    coverage model then uses, and a service that loads its site again reads an unchanged DEM
    once. The heights of a kept grid are read-only.
    """
    from rasterio.errors import RasterioError

    key = _read_key(path, projection, extent, band)
    if key is not None:
        with _KEPT_LOCK:
            kept = _KEPT.get(key)
            if kept is not None:
                _KEPT.move_to_end(key)
                return kept
    try:
        elevation = _read(path, projection=projection, extent=extent, band=band)
    except RasterioError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DemError(
            f"{path} cannot be reprojected to the site ({reason})",
            f"{path} 无法重投影到站点坐标（{reason}）",
        ) from None
    elevation.heights.setflags(write=False)
    if key is not None:
        with _KEPT_LOCK:
            _KEPT[key] = elevation
            while len(_KEPT) > _KEEP:
                _KEPT.popitem(last=False)
    return elevation


_KEEP = 2
"""Grids kept by `read_elevation` (at most 64 MB each, MAX_DEM_CELLS)."""
_KEPT: OrderedDict[tuple[object, ...], Elevation] = OrderedDict()
_KEPT_LOCK = threading.Lock()


def _read_key(
    path: Path,
    projection: LocalProjection,
    extent: tuple[float, float, float, float],
    band: int,
) -> tuple[object, ...] | None:
    """What names one read: the file as it is now and the grid asked for (None: not a file)."""
    try:
        status = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    identity = (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )
    return (*identity, projection.proj4, tuple(extent), band)


def _read(
    path: Path,
    *,
    projection: LocalProjection,
    extent: tuple[float, float, float, float],
    band: int,
) -> Elevation:
    from rasterio.crs import CRS
    from rasterio.fill import fillnodata
    from rasterio.transform import from_origin
    from rasterio.warp import Resampling, reproject

    with _open(path) as dataset:
        _check_source(dataset, band, path)
        area = _overlap(dataset, projection, extent)
        if area is None:
            raise DemError(
                f"{path} does not overlap the site: the DEM covers other ground",
                f"{path} 与站点不重叠：该 DEM 覆盖的是别处的地面",
            )
        west, south, east, north = area
        cell = _native_cell_m(dataset, projection)
        cell = max(cell, math.sqrt((east - west) * (north - south) / MAX_DEM_CELLS))
        cols = max(2, math.ceil((east - west) / cell))
        rows = max(2, math.ceil((north - south) / cell))
        heights = np.full((rows, cols), np.nan, dtype=np.float32)
        reproject(
            source=dataset.read(band, masked=False).astype(np.float32),
            destination=heights,
            src_transform=dataset.transform,
            src_crs=dataset.crs,
            src_nodata=dataset.nodatavals[band - 1],
            dst_transform=from_origin(west, north, cell, cell),
            dst_crs=CRS.from_proj4(projection.proj4),
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    known = np.isfinite(heights)
    if not known.any():
        raise DemError(
            f"{path} has no heights over the site (only nodata)",
            f"{path} 在站点范围内没有高程值（全是无数据值）",
        )
    if not known.all():
        # Holes (nodata) are filled from the surrounding heights, as GDAL's gdal_fillnodata does.
        heights = fillnodata(np.where(known, heights, 0.0).astype(np.float32), mask=known)
        heights = np.where(np.isfinite(heights), heights, float(np.nanmean(heights)))
    return Elevation(heights=heights.astype(np.float32), west=west, north=north, cell_m=cell)


def check_dem(
    spec: SiteFile | None,
    data: dict[str, Any],
    locator: Locator,
    site_path: Path,
    positions: list[tuple[float, float]],
    site_spec: SiteFile | None = None,
) -> list[Problem]:
    """Errors of the site's `terrain.dem` (missing, not a raster, no CRS, no overlap).

    `site_spec` is the site as it will be served (coordinates converted), when it has no other
    errors: the DEM is then read over exactly the ground the coverage model reads it over.
    """
    raw = data.get("terrain")
    if not isinstance(raw, dict) or not isinstance(raw.get("dem"), str) or not positions:
        return []
    from gapwatch.site.projection import LocalProjection

    projection = LocalProjection.around(positions)
    candidate = Path(raw["dem"])
    path = candidate if candidate.is_absolute() else site_path.parent / candidate
    band = raw.get("band", 1)
    band = band if isinstance(band, int) and band >= 1 else 1
    if site_spec is not None:
        extent = site_extent_m(site_spec, projection)
    else:
        reach = _MARGIN_M
        if spec is not None and spec.cameras:
            reach += max(c.range_m for c in spec.cameras)
        xy = np.array([projection.to_metres(*p) for p in positions])
        low, high = xy.min(axis=0) - reach, xy.max(axis=0) + reach
        extent = (float(low[0]), float(low[1]), float(high[0]), float(high[1]))
    try:
        # Read it as the service will, so that `validate` accepts exactly what `serve` can use.
        read_elevation(path, projection=projection, extent=extent, band=band)
    except DemError as exc:
        return [locator.problem(("terrain", "dem"), exc.en, exc.zh)]
    return []


def site_elevation(site: Site) -> Elevation | None:
    """The site's DEM on its local grid, or None when the site names none."""
    terrain = site.spec.terrain
    if terrain is None:
        return None
    return read_elevation(
        site.resolve(terrain.dem),
        projection=site.projection,
        extent=site_extent_m(site.spec, site.projection),
        band=terrain.band,
    )
