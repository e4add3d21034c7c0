"""Properties of terrain line of sight on random hills (hypothesis)."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from gapwatch.coverage import CameraGeometry
from gapwatch.coverage.terrain import Terrain
from gapwatch.coverage.views import ObstacleIndex, camera_views
from gapwatch.site.dem import Elevation


@st.composite
def terrains(draw: st.DrawFn) -> Terrain:
    """Random hills and hollows on a 4 m grid, 400 m square around the origin."""
    cell = 4.0
    centres = (np.arange(100) + 0.5) * cell - 200.0
    gx, gy = np.meshgrid(centres, -centres)
    heights = np.full(gx.shape, 500.0)
    for _ in range(draw(st.integers(1, 5))):
        cx, cy = draw(st.floats(-150, 150)), draw(st.floats(-150, 150))
        spread = draw(st.floats(8.0, 80.0))
        rise = draw(st.floats(-30.0, 40.0))
        heights += rise * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * spread**2))
    return Terrain(Elevation(heights.astype(np.float32), -200.0, 200.0, cell), 3.0)


@st.composite
def cameras(draw: st.DrawFn) -> CameraGeometry:
    return CameraGeometry(
        id="c",
        x=draw(st.floats(-100, 100)),
        y=draw(st.floats(-100, 100)),
        heading_deg=draw(st.floats(0, 360)),
        hfov_deg=draw(st.sampled_from([30.0, 90.0, 179.0, 360.0])),
        range_m=draw(st.floats(10.0, 150.0)),
        height_m=draw(st.floats(1.0, 20.0)),
    )


@settings(max_examples=60, deadline=None)
@given(terrain=terrains(), camera=cameras(), lift=st.floats(0.5, 30.0))
def test_views_are_valid_inside_the_sector_and_grow_with_the_mount(
    terrain: Terrain, camera: CameraGeometry, lift: float
) -> None:
    plain = camera_views([camera], ObstacleIndex.build([]))[0]
    low = camera_views([camera], ObstacleIndex.build([], terrain=terrain))[0]
    assert low.is_valid
    assert low.difference(plain).area <= 1e-6 * max(plain.area, 1.0)
    # From higher up, every sight line to a ground point lies above the lower one: nothing
    # seen from below is lost.
    assert camera.height_m is not None
    higher = CameraGeometry(
        camera.id, camera.x, camera.y, camera.heading_deg, camera.hfov_deg, camera.range_m,
        height_m=camera.height_m + lift,
    )  # fmt: skip
    high = camera_views([higher], ObstacleIndex.build([], terrain=terrain))[0]
    assert high.is_valid
    assert low.difference(high).area <= 1e-6 * max(plain.area, 1.0) + 1e-6
    assert shapely.area(high) >= shapely.area(low) - 1e-6
