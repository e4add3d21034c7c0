"""Hillshade: the same numbers as GDAL's gdaldem, and drawn under the audit map's layers."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio

from gapwatch.coverage.hillshade import hillshade, hillshade_rgba
from gapwatch.coverage.mapdraw import draw_hillshade
from gapwatch.site.dem import Elevation
from tests.coverage.terrain_scenes import RELIEFS, UTM, write_dem


@pytest.mark.parametrize("relief", sorted(RELIEFS))
def test_hillshade_matches_gdaldem(tmp_path: Path, relief: str) -> None:
    if shutil.which("gdaldem") is None:
        pytest.fail("gdaldem is missing: install Debian's gdal-bin (see .ci/run)")
    dem = tmp_path / "dem.tif"
    write_dem(dem, RELIEFS[relief], crs=UTM, cell=3.0)
    out = tmp_path / "shade.tif"
    subprocess.run(["gdaldem", "hillshade", "-q", str(dem), str(out)], check=True)
    with rasterio.open(dem) as src:
        heights = src.read(1)
    with rasterio.open(out) as shaded:
        gdal = shaded.read(1).astype(float)
    ours = 1.0 + 254.0 * hillshade(heights, 3.0)
    inner = (slice(1, -1), slice(1, -1))  # gdaldem leaves the edge cells as nodata
    assert np.abs(ours[inner] - gdal[inner]).max() <= 1.0
    assert gdal[inner].std() > 5.0  # the relief is really there


def test_slopes_facing_the_sun_are_light_and_the_others_dark() -> None:
    x = np.arange(50, dtype=float)
    rising_east = np.tile(x * 0.5, (50, 1))  # faces west
    shade = hillshade(rising_east[:, ::-1], 2.0)  # rising west: faces east, away from the sun
    lit = hillshade(rising_east, 2.0)
    flat = hillshade(np.zeros((10, 10)), 2.0)
    assert np.allclose(flat, np.cos(np.radians(45.0)), atol=1e-6)
    assert lit[25, 25] > flat[0, 0] > shade[25, 25]
    rgba = hillshade_rgba(np.concatenate([flat, shade[:10, :10], lit[:10, :10]]))
    assert rgba[0, 0, 3] < 5  # flat ground is left clear
    assert rgba[15, 5, 0] < rgba[25, 5, 0]  # shaded slopes darker than lit ones
    assert rgba[15, 5, 3] > 20 and rgba[25, 5, 3] > 5


def test_the_audit_map_draws_hillshade_beneath_every_layer() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from gapwatch.coverage.mapdraw import draw_layers
    from gapwatch.coverage.mapplot import MapLayers

    heights = np.fromfunction(lambda i, j: 20.0 * np.sin(i / 7.0) + j * 0.2, (100, 120))
    elevation = Elevation(heights.astype(np.float32), west=-300.0, north=200.0, cell_m=5.0)
    figure = Figure()
    ax = figure.add_subplot()
    draw_hillshade(ax, elevation, (-100.0, 100.0, -100.0, 100.0))
    (image,) = ax.get_images()
    west, east, south, north = image.get_extent()
    assert west <= -100.0 and east >= 100.0 and south <= -100.0 and north >= 100.0
    assert east - west < 230.0  # only the cells under the panel, not the whole DEM
    layers = MapLayers("t", "s", [], [], [], [], terrain=elevation)
    figure = Figure()
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    draw_layers(ax, layers, (-100.0, 100.0, -100.0, 100.0))
    assert [i.get_zorder() for i in ax.get_images()] == [0]
