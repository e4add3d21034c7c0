"""Terrain line of sight against an independent point-by-point oracle over the same GeoTIFF."""

from __future__ import annotations

from pathlib import Path

import pytest

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
@pytest.mark.parametrize("crs", [UTM, "EPSG:4326"])
def test_terrain_shadows_agree_with_the_line_of_sight_oracle(
    tmp_path: Path, relief: str, crs: str
) -> None:
    shares = oracle_agreement(tmp_path, relief, crs, cell=2.0)
    print(f"oracle {relief} {crs}: " + " ".join(f"{s:.4%}" for s in shares))
    assert max(shares) <= 0.01
