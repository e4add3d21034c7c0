"""Terrain line of sight against an independent point-by-point oracle over the same GeoTIFF."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.transform
import shapely
from pyproj import CRS, Transformer

from gapwatch.coverage import CoverageModel
from gapwatch.site import load_site
from tests.coverage.terrain_scenes import (
    RELIEFS,
    UTM,
    OracleCamera,
    RasterHeights,
    lonlat_of,
    oracle_seen,
    site_yaml,
    write_dem,
    zone_points,
)


def _cameras() -> list[OracleCamera]:
    spots = [
        (-60.0, -80.0, 20.0, 90.0, 170.0, 4.0),
        (90.0, -20.0, 300.0, 70.0, 160.0, 6.0),
        (-20.0, 100.0, 160.0, 110.0, 150.0, 3.0),
        (0.0, 0.0, 0.0, 360.0, 110.0, 5.0),
        (-110.0, 30.0, 80.0, 60.0, 180.0, 8.0),
    ]
    out = []
    for east, north, heading, hfov, reach, height in spots:
        lon, lat = lonlat_of(east, north)
        out.append(OracleCamera(lon, lat, heading, hfov, reach, height))
    return out


def _zones() -> list[list[tuple[float, float]]]:
    boxes = [(-140.0, -120.0, 10.0, 40.0), (-10.0, -90.0, 140.0, 130.0), (-150.0, 40.0, 0, 150.0)]
    return [
        [lonlat_of(x0, y0), lonlat_of(x1, y0), lonlat_of(x1, y1), lonlat_of(x0, y1)]
        for x0, y0, x1, y1 in boxes
    ]


def oracle_agreement(tmp_path: Path, relief: str, crs: str, cell: float) -> list[float]:
    """Per zone: |engine covered − oracle covered| as a share of the zone's area."""
    dem = tmp_path / f"{relief}.tif"
    write_dem(dem, RELIEFS[relief], crs=crs, cell=cell)
    cameras = _cameras()
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, dem.name, cameras, _zones())
    site = load_site(site_file)
    model = CoverageModel.from_site(site)
    assert model.obstacles.terrain is not None
    result = model.compute()
    heights = RasterHeights(dem)
    shares = []
    for zone, figures in zip(model.zones, result.zones, strict=True):
        points = zone_points(zone.polygon, 2.0)
        seen = oracle_seen(site, heights, cameras, points, step_m=0.75)
        oracle_m2 = seen.mean() * zone.area_m2
        shares.append(abs(figures.covered_m2 - oracle_m2) / zone.area_m2)
    return shares


@pytest.mark.slow
@pytest.mark.parametrize("relief", sorted(RELIEFS))
# A geographic DEM repeats the check through one more reprojection: it runs with the long tests
# (test_terrain_site.py reads both kinds in `make test`).
@pytest.mark.parametrize("crs", [UTM, pytest.param("EPSG:4326", marks=pytest.mark.long)])
def test_terrain_shadows_agree_with_the_line_of_sight_oracle(
    tmp_path: Path, relief: str, crs: str
) -> None:
    shares = oracle_agreement(tmp_path, relief, crs, cell=2.0)
    print(f"oracle {relief} {crs}: " + " ".join(f"{s:.4%}" for s in shares))
    assert max(shares) <= 0.01


def _on_cell_centres(dem: Path, cameras: list[OracleCamera]) -> list[OracleCamera]:
    """The cameras moved to the centres of their DEM cells (GDAL's viewshed observes from one)."""
    with rasterio.open(dem) as src:
        to_src = Transformer.from_crs("EPSG:4326", src.crs.to_wkt(), always_xy=True)
        back = Transformer.from_crs(src.crs.to_wkt(), "EPSG:4326", always_xy=True)
        out = []
        for cam in cameras:
            e, n = to_src.transform(cam.lon, cam.lat)
            row, col = src.index(e, n)
            ce, cn = src.xy(row, col)
            lon, lat = back.transform(ce, cn)
            out.append(dataclasses.replace(cam, lon=lon, lat=lat))
    return out


def _gdal_seen(tmp_path: Path, dem: Path, cam: OracleCamera, k: int) -> tuple[Any, Any]:
    """GDAL's viewshed of one camera: visibility (0/1) and the UTM cell centres of its grid."""
    with rasterio.open(dem) as src:
        e, n = Transformer.from_crs("EPSG:4326", src.crs.to_wkt(), always_xy=True).transform(
            cam.lon, cam.lat
        )
    out = tmp_path / f"viewshed-{k}.tif"
    subprocess.run(
        [
            "gdal_viewshed", "-q", "-ox", repr(e), "-oy", repr(n), "-oz", str(cam.height_m),
            "-tz", "0", "-md", str(cam.range_m + 5.0), "-vv", "1", "-iv", "0", "-ov", "0",
            str(dem), str(out),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    with rasterio.open(out) as shed:
        seen = shed.read(1) == 1
        rows, cols = np.indices(seen.shape)
        xs, ys = rasterio.transform.xy(shed.transform, rows.ravel(), cols.ravel())
    return seen.ravel(), np.column_stack([np.asarray(xs), np.asarray(ys)])


def gdal_agreement(tmp_path: Path, relief: str, cell: float) -> list[float]:
    """Per zone: |engine covered − GDAL viewshed covered| as a share of the zone's area."""
    dem = tmp_path / f"{relief}.tif"
    write_dem(dem, RELIEFS[relief], crs=UTM, cell=cell)
    cameras = _on_cell_centres(dem, _cameras())
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, dem.name, cameras, _zones())
    site = load_site(site_file)
    model = CoverageModel.from_site(site)
    result = model.compute()
    to_local = Transformer.from_crs(UTM, CRS.from_proj4(site.projection.proj4), always_xy=True)
    seen_cells: dict[tuple[float, float], bool] = {}
    for k, cam in enumerate(cameras):
        seen, centres = _gdal_seen(tmp_path, dem, cam, k)
        lx, ly = to_local.transform(centres[:, 0], centres[:, 1])
        cx, cy = site.projection.to_metres(cam.lon, cam.lat)
        dx, dy = np.asarray(lx) - cx, np.asarray(ly) - cy
        off = (np.degrees(np.arctan2(dx, dy)) - cam.heading_deg + 180.0) % 360.0 - 180.0
        inside = np.hypot(dx, dy) <= cam.range_m
        if cam.hfov_deg < 360.0:
            inside &= np.abs(off) <= cam.hfov_deg / 2.0
        for e, n in centres[seen & inside]:
            seen_cells[(round(float(e), 3), round(float(n), 3))] = True
    visible = np.array(list(seen_cells), dtype=float).reshape(-1, 2)
    vx, vy = to_local.transform(visible[:, 0], visible[:, 1])
    shares = []
    for zone, figures in zip(model.zones, result.zones, strict=True):
        inside = shapely.contains_xy(zone.polygon, np.asarray(vx), np.asarray(vy))
        gdal_m2 = float(inside.sum()) * cell * cell
        shares.append(abs(figures.covered_m2 - gdal_m2) / zone.area_m2)
    return shares


@pytest.mark.slow
@pytest.mark.parametrize("relief", sorted(RELIEFS))
def test_terrain_shadows_agree_with_gdal_viewshed(tmp_path: Path, relief: str) -> None:
    if shutil.which("gdal_viewshed") is None:
        pytest.fail("gdal_viewshed is missing: install Debian's gdal-bin (see .ci/run)")
    shares = gdal_agreement(tmp_path, relief, cell=2.0)
    print(f"gdal {relief}: " + " ".join(f"{s:.4%}" for s in shares))
    assert max(shares) <= 0.01
