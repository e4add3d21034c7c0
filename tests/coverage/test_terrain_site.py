"""The site file's `terrain:` key: DEM errors as FILE:LINE, reprojection, slant-distance bands."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import shapely

from gapwatch.coverage import CameraGeometry, CoverageModel
from gapwatch.coverage.terrain import Terrain, slant_reach
from gapwatch.coverage.views import ObstacleIndex, camera_views, density_range_m
from gapwatch.site import SiteError, load_site
from gapwatch.site.dem import Elevation
from tests.coverage.terrain_scenes import (
    UTM,
    OracleCamera,
    hills,
    lonlat_of,
    ridge,
    site_yaml,
    write_dem,
)

_CAMERA = OracleCamera(*lonlat_of(0.0, 0.0), 0.0, 90.0, 100.0, 4.0)
_ZONE = [lonlat_of(-50, -50), lonlat_of(50, -50), lonlat_of(50, 80), lonlat_of(-50, 80)]


def _refusal(site_file: Path) -> list[str]:
    with pytest.raises(SiteError) as caught:
        load_site(site_file)
    return caught.value.render("en") + caught.value.render("zh")


def _dem_line(site_file: Path) -> int:
    lines = site_file.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if "terrain:" in text)


def test_a_missing_dem_is_refused_at_its_line(tmp_path: Path) -> None:
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "no-such.tif", [_CAMERA], [_ZONE])
    lines = _refusal(site_file)
    assert f"{site_file}:{_dem_line(site_file)}: terrain.dem: DEM file not found" in lines[0]
    assert "找不到 DEM 文件" in lines[1]


def test_a_file_that_is_not_a_raster_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.tif").write_text("not a raster", encoding="utf-8")
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "notes.tif", [_CAMERA], [_ZONE])
    lines = _refusal(site_file)
    assert lines[0].startswith(f"{site_file}:{_dem_line(site_file)}: terrain.dem: ")
    assert "is not a raster GDAL can read" in lines[0]


def test_a_dem_of_other_ground_is_refused(tmp_path: Path) -> None:
    write_dem(tmp_path / "far.tif", hills, crs=UTM, cell=5.0)
    far_camera = OracleCamera(*lonlat_of(30_000.0, 0.0), 0.0, 90.0, 100.0, 4.0)
    far_zone = [(lon + 0.4, lat) for lon, lat in _ZONE]
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "far.tif", [far_camera], [far_zone])
    lines = _refusal(site_file)
    assert f":{_dem_line(site_file)}: terrain.dem: " in lines[0]
    assert "does not overlap the site" in lines[0]


def test_a_dem_without_crs_is_refused(tmp_path: Path) -> None:
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        # Writing a raster without georeferencing is the point of this test.
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        _write_bare(tmp_path / "bare.tif")
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "bare.tif", [_CAMERA], [_ZONE])
    lines = _refusal(site_file)
    assert "has no coordinate reference system" in lines[0]


def test_a_dem_with_only_nodata_over_the_site_is_refused(tmp_path: Path) -> None:
    import rasterio

    write_dem(tmp_path / "empty.tif", hills, crs=UTM, cell=5.0)
    with rasterio.open(tmp_path / "empty.tif", "r+") as dem:
        dem.write(np.full((dem.height, dem.width), -9999.0, dtype=np.float32), 1)
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "empty.tif", [_CAMERA], [_ZONE])
    lines = _refusal(site_file)
    assert f":{_dem_line(site_file)}: terrain.dem: " in lines[0]
    assert "has no heights over the site" in lines[0]
    assert "没有高程值" in lines[1]


def _write_bare(path: Path) -> None:
    import rasterio

    with rasterio.open(
        path, "w", driver="GTiff", height=4, width=4, count=1, dtype="float32"
    ) as out:
        out.write(np.zeros((4, 4), dtype=np.float32), 1)


@pytest.mark.parametrize("crs", [UTM, "EPSG:4326"])
def test_the_dem_is_reprojected_to_the_local_plane(tmp_path: Path, crs: str) -> None:
    write_dem(tmp_path / "ridge.tif", ridge, crs=crs, cell=2.0)
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "ridge.tif", [_CAMERA], [_ZONE])
    site = load_site(site_file)
    model = CoverageModel.from_site(site)
    terrain = model.obstacles.terrain
    assert terrain is not None
    # The crest stands 20 m east of the centre: heights sampled in local metres must find it.
    x0, y0 = site.projection.to_metres(*lonlat_of(0.0, 0.0))
    east = np.arange(-40.0, 80.0, 1.0)
    profile = terrain.ground(x0 + east, np.full_like(east, y0 + 60.0))
    assert abs(east[int(np.argmax(profile))] - 20.0) <= 2.0
    expected = ridge(np.array([20.0]), np.array([60.0]))[0]
    assert abs(float(profile.max()) - expected) < 0.5


def test_loading_and_modelling_read_the_dem_once_and_a_new_dem_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gapwatch.site import dem

    reads: list[Path] = []
    plain = dem._read

    def counted(path: Path, **kwargs: object) -> Elevation:
        reads.append(path)
        return plain(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dem, "_read", counted)
    write_dem(tmp_path / "relief.tif", ridge, crs=UTM, cell=2.0)
    site_file = tmp_path / "site.yaml"
    site_yaml(site_file, "relief.tif", [_CAMERA], [_ZONE])
    first = CoverageModel.from_site(load_site(site_file)).obstacles.terrain
    assert first is not None and len(reads) == 1  # the check's read is the model's
    with pytest.raises(ValueError, match="read-only"):
        first.elevation.heights[0, 0] = 0.0
    # The same file again: no second read. Another file at the same path: read, and used.
    assert CoverageModel.from_site(load_site(site_file)).obstacles.terrain is not None
    assert len(reads) == 1
    write_dem(tmp_path / "relief.tif", hills, crs=UTM, cell=2.0)
    second = CoverageModel.from_site(load_site(site_file)).obstacles.terrain
    assert second is not None and len(reads) == 2
    assert not np.array_equal(first.elevation.heights, second.elevation.heights)


def _flat(height: float = 100.0) -> Terrain:
    heights = np.full((200, 200), height, dtype=np.float32)
    return Terrain(Elevation(heights, west=-200.0, north=200.0, cell_m=2.0), mount_height_m=3.0)


def test_flat_ground_hides_nothing() -> None:
    camera = CameraGeometry("c", 0.0, 0.0, 30.0, 100.0, 120.0, height_m=6.0)
    plain = camera_views([camera], ObstacleIndex.build([]))[0]
    over = camera_views([camera], ObstacleIndex.build([], terrain=_flat()))[0]
    assert over.symmetric_difference(plain).area < 1e-6 * plain.area


def test_a_wall_of_ground_hides_what_is_behind_it() -> None:
    terrain = _flat()
    heights = terrain.elevation.heights.copy()
    heights[:, 130:135] += 30.0  # a 10 m wide bank 60..70 m east of the camera
    bank = Terrain(Elevation(heights, -200.0, 200.0, 2.0), 3.0)
    camera = CameraGeometry("c", 0.0, 0.0, 90.0, 60.0, 150.0, height_m=3.0)
    view = camera_views([camera], ObstacleIndex.build([], terrain=bank))[0]
    assert view.contains(shapely.Point(40.0, 0.0))
    assert not view.intersects(shapely.box(80.0, -5.0, 145.0, 5.0))
    assert view.bounds[2] < 72.0


def test_density_bands_use_the_slant_distance() -> None:
    # A camera on a 60 m cliff edge looking down onto a plain: the slant distance to the ground
    # is longer than the horizontal one, so every density band reaches less far.
    heights = np.full((200, 200), 100.0, dtype=np.float32)
    heights[:, :100] = 160.0  # the cliff top, west of x = 0
    terrain = Terrain(Elevation(heights, -200.0, 200.0, 2.0), 3.0)
    camera = CameraGeometry(
        "c", -1.0, 0.0, 90.0, 60.0, 180.0, height_m=3.0, resolution=(3840, 2160)
    )
    limit = density_range_m(camera, 25.0)
    assert limit is not None
    reach = slant_reach(camera, terrain, limit)
    drop = 163.0 - 100.0
    horizontal = math.sqrt(limit**2 - drop**2)
    far_x = reach.bounds[2] + 1.0  # the camera stands at x = -1
    assert abs(far_x - horizontal) < 2.5
    model = CoverageModel.build([], [], [camera], terrain=terrain)
    detect = model.views["c"].density_bands["detect"]
    assert abs(detect.bounds[2] + 1.0 - horizontal) < 2.5
