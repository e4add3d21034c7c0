"""Synthetic DEMs (hills, a valley, a ridge) written as GeoTIFF, site files over them, and an
independent point-by-point line-of-sight oracle that reads the GeoTIFF itself.

The oracle shares no code with the engine: it interpolates the raster in the raster's own CRS
(pyproj transforms each marched point there), marches every sight line in fine steps, and
decides each sample point on its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import shapely
from pyproj import CRS, Transformer
from rasterio.transform import from_origin

from gapwatch.site import Site

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
Relief = Callable[[FloatArray, FloatArray], FloatArray]

LON0, LAT0 = 104.05, 35.13  # 渭源县
UTM = "EPSG:32648"
CURVATURE = 6.0 / 7.0
EARTH_R = 6_371_008.8


def _bump(x: FloatArray, y: FloatArray, cx: float, cy: float, sx: float, sy: float) -> FloatArray:
    out: FloatArray = np.exp(-((x - cx) ** 2) / (2 * sx**2) - ((y - cy) ** 2) / (2 * sy**2))
    return out


def hills(x: FloatArray, y: FloatArray) -> FloatArray:
    """Two round hills and a knoll, metres east/north of the scene's centre."""
    return (
        1800.0
        + 28.0 * _bump(x, y, 40.0, 70.0, 22.0, 22.0)
        + 18.0 * _bump(x, y, -70.0, -30.0, 18.0, 25.0)
        + 6.0 * _bump(x, y, 10.0, -60.0, 8.0, 8.0)
    )


def valley(x: FloatArray, y: FloatArray) -> FloatArray:
    """A river valley running north-east with a bend, steep banks on both sides."""
    along = (x + y) / math.sqrt(2.0)
    across = (x - y) / math.sqrt(2.0) - 25.0 * np.sin(along / 60.0)
    return 1750.0 + 0.05 * along + 30.0 * (1.0 - np.exp(-(across**2) / (2 * 35.0**2)))


def ridge(x: FloatArray, y: FloatArray) -> FloatArray:
    """A ridge running north-south with a saddle, on a gentle slope."""
    crest = 24.0 * np.exp(-((x - 20.0) ** 2) / (2 * 12.0**2))
    saddle = 1.0 - 0.6 * np.exp(-(y**2) / (2 * 25.0**2))
    return 1700.0 + 0.03 * y + crest * saddle


RELIEFS: dict[str, Relief] = {"hills": hills, "valley": valley, "ridge": ridge}


def _metres(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Metres east/north of the scene centre (a plain local tangent plane, enough for relief)."""
    x = (lon - LON0) * 111_320.0 * math.cos(math.radians(LAT0))
    y = (lat - LAT0) * 110_574.0
    return x, y


def write_dem(path: Path, relief: Relief, *, crs: str, cell: float, half_m: float = 260.0) -> None:
    """Write `relief` around the scene centre as a GeoTIFF in `crs` (UTM metres or EPSG:4326)."""
    if crs == "EPSG:4326":
        dlon = cell / (111_320.0 * math.cos(math.radians(LAT0)))
        dlat = cell / 110_574.0
        cols = math.ceil(2 * half_m / cell)
        west, north = LON0 - cols / 2 * dlon, LAT0 + cols / 2 * dlat
        lon = west + dlon * (np.arange(cols) + 0.5)
        lat = north - dlat * (np.arange(cols) + 0.5)
        glon, glat = np.meshgrid(lon, lat)
        transform = from_origin(west, north, dlon, dlat)
    else:
        to_crs = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        ex, ny = to_crs.transform(LON0, LAT0)
        cols = math.ceil(2 * half_m / cell)
        west, north = ex - cols / 2 * cell, ny + cols / 2 * cell
        east = west + cell * (np.arange(cols) + 0.5)
        nor = north - cell * (np.arange(cols) + 0.5)
        ge, gn = np.meshgrid(east, nor)
        back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        glon, glat = back.transform(ge, gn)
        transform = from_origin(west, north, cell, cell)
    heights = relief(*_metres(np.asarray(glon), np.asarray(glat))).astype(np.float32)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=heights.shape[0],
        width=heights.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=-9999.0,
    ) as out:
        out.write(heights, 1)


@dataclass(frozen=True)
class OracleCamera:
    lon: float
    lat: float
    heading_deg: float
    hfov_deg: float
    range_m: float
    height_m: float


def lonlat_of(east_m: float, north_m: float) -> tuple[float, float]:
    """The position `east_m`/`north_m` metres from the scene centre (inverse of _metres)."""
    return (
        LON0 + east_m / (111_320.0 * math.cos(math.radians(LAT0))),
        LAT0 + north_m / 110_574.0,
    )


def site_yaml(
    path: Path,
    dem: str,
    cameras: list[OracleCamera],
    zones: list[list[tuple[float, float]]],
) -> None:
    """A site file with the given cameras and zones (lon/lat) over the DEM `dem`."""
    lines = ["site: {id: terrain-test, name: terrain test}", f"terrain: {{dem: {dem}}}", "zones:"]
    for k, ring in enumerate(zones):
        points = ", ".join(f"[{lon:.8f}, {lat:.8f}]" for lon, lat in ring)
        lines.append(f"  - {{id: z{k}, name: zone {k}, importance: 3, polygon: [{points}]}}")
    lines.append("cameras:")
    for k, cam in enumerate(cameras):
        lines.append(
            f"  - {{id: c{k}, name: cam {k}, stream: rtsp://10.0.0.{k + 1}/s, "
            f"location: [{cam.lon:.8f}, {cam.lat:.8f}], heading_deg: {cam.heading_deg}, "
            f"hfov_deg: {cam.hfov_deg}, range_m: {cam.range_m}, height_m: {cam.height_m}}}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class RasterHeights:
    """Bilinear heights of a GeoTIFF in its own CRS, at WGS84 points."""

    def __init__(self, path: Path) -> None:
        with rasterio.open(path) as src:
            self.z = src.read(1).astype(np.float64)
            self.inverse = ~src.transform
            self.to_src = Transformer.from_crs("EPSG:4326", src.crs.to_wkt(), always_xy=True)

    def at(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        sx, sy = self.to_src.transform(lon, lat)
        inv = self.inverse
        sx, sy = np.asarray(sx), np.asarray(sy)
        col = inv.a * sx + inv.b * sy + inv.c
        row = inv.d * sx + inv.e * sy + inv.f
        rows, cols = self.z.shape
        u = np.clip(np.asarray(col) - 0.5, 0.0, cols - 1.0)
        v = np.clip(np.asarray(row) - 0.5, 0.0, rows - 1.0)
        j = np.minimum(np.floor(u).astype(int), cols - 2)
        i = np.minimum(np.floor(v).astype(int), rows - 2)
        fu, fv = u - j, v - i
        z = self.z
        top = z[i, j] * (1 - fu) + z[i, j + 1] * fu
        bottom = z[i + 1, j] * (1 - fu) + z[i + 1, j + 1] * fu
        out: FloatArray = top * (1 - fv) + bottom * fv
        return out


def oracle_seen(
    site: Site,
    heights: RasterHeights,
    cameras: list[OracleCamera],
    points: FloatArray,
    *,
    step_m: float = 0.5,
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """For local-metre `points` (n, 2): seen by at least one camera, by marching each sight line."""
    proj = site.projection
    back = Transformer.from_crs(CRS.from_proj4(proj.proj4), "EPSG:4326", always_xy=True)
    seen = np.zeros(len(points), dtype=bool)
    for cam in cameras:
        cx, cy = proj.to_metres(cam.lon, cam.lat)
        dx, dy = points[:, 0] - cx, points[:, 1] - cy
        dist = np.hypot(dx, dy)
        bearing = np.degrees(np.arctan2(dx, dy))
        off = (bearing - cam.heading_deg + 180.0) % 360.0 - 180.0
        candidate = (dist <= cam.range_m) & (dist > 0) & (np.abs(off) <= cam.hfov_deg / 2.0)
        if cam.hfov_deg >= 360.0:
            candidate = (dist <= cam.range_m) & (dist > 0)
        idx = np.flatnonzero(candidate & ~seen)
        if len(idx) == 0:
            continue
        lens = float(heights.at(np.array([cam.lon]), np.array([cam.lat]))[0]) + cam.height_m
        steps = math.ceil(cam.range_m / step_m)
        frac = np.arange(1, steps + 1) / steps  # march in fractions of each point's distance
        for chunk in np.array_split(idx, max(1, len(idx) // 2000)):
            d = dist[chunk]
            n = np.maximum(np.ceil(d / step_m).astype(int), 1)
            t = frac[None, :] * (steps / n)[:, None]  # k-th sample at k·d/n
            valid = t < 1.0 - 1e-9
            px = cx + dx[chunk, None] * t
            py = cy + dy[chunk, None] * t
            lon, lat = back.transform(px, py)
            z = heights.at(np.asarray(lon), np.asarray(lat))
            r = d[:, None] * t
            z = z - CURVATURE * r * r / (2 * EARTH_R)
            tlon, tlat = back.transform(points[chunk, 0], points[chunk, 1])
            target = heights.at(np.asarray(tlon), np.asarray(tlat)) - CURVATURE * d * d / (
                2 * EARTH_R
            )
            sight = lens + (target - lens)[:, None] * t
            blocked = ((z > sight + 1e-6) & valid).any(axis=1)
            seen[chunk[~blocked]] = True
    return seen


def zone_points(zone: Any, spacing: float) -> FloatArray:
    """A regular lattice of points inside `zone` (local metres), offset half a step."""
    x0, y0, x1, y1 = zone.bounds
    xs = np.arange(x0 + spacing / 2, x1, spacing)
    ys = np.arange(y0 + spacing / 2, y1, spacing)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    inside = shapely.contains_xy(zone, pts[:, 0], pts[:, 1])
    out: FloatArray = pts[inside]
    return out
