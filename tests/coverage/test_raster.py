"""An independent check: decide visibility point by point on a grid (range, angle, dead zone,
line of sight crossing no obstacle edge) and agree with the polygons within 1 % of each zone."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import HealthCheck, given, settings

from gapwatch.coverage import CameraGeometry, CoverageModel, ZoneShape
from tests.coverage.scenes import Scene, raster_coverage, scenes

CELL_M = 0.15


def assert_agrees(scene: Scene, healthy: set[str] | None = None) -> None:
    model = CoverageModel.build(scene.zones, scene.obstacles, scene.cameras, min_blind_area_m2=0.0)
    result = model.compute(healthy)
    for zone, figures in zip(scene.zones, result.zones, strict=True):
        ground, covered = raster_coverage(scene, zone, CELL_M, healthy)
        assert abs(ground - figures.area_m2) <= 0.01 * figures.area_m2, (zone.id, ground)
        assert abs(covered - figures.covered_m2) <= 0.01 * figures.area_m2, (
            zone.id,
            covered,
            figures.covered_m2,
        )


def test_plaza_with_buildings_agrees_with_the_raster() -> None:
    ell = shapely.Polygon([(20, 20), (28, 20), (28, 23), (23, 23), (23, 30), (20, 30)])
    scene = Scene(
        zones=[ZoneShape("plaza", "Plaza", 5, shapely.box(0, 0, 40, 40))],
        obstacles=[shapely.box(8, 8, 12, 11), ell, shapely.box(30, 2, 31, 14)],
        cameras=[
            CameraGeometry("gate", 2.0, 2.0, 45.0, 90.0, 45.0),
            CameraGeometry(
                "dome", 25.0, 26.0, 0.0, 360.0, 18.0, height_m=6.0, tilt_deg=35.0, vfov_deg=40.0
            ),
            CameraGeometry("wall", 39.0, 20.0, 250.0, 60.0, 35.0),
        ],
    )
    assert_agrees(scene)
    assert_agrees(scene, healthy={"gate", "wall"})


def test_colonnade_of_many_pillars_agrees_with_the_raster() -> None:
    # Fourteen pillars in front of one camera: more shadows than are subtracted one by one.
    pillars = [shapely.box(4.0 + 2.2 * k, 12.0, 4.8 + 2.2 * k, 12.8) for k in range(14)]
    scene = Scene(
        zones=[ZoneShape("hall", "Hall", 3, shapely.box(0, 0, 40, 30))],
        obstacles=pillars,
        cameras=[
            CameraGeometry("north", 20.0, 1.0, 0.0, 150.0, 35.0),
            CameraGeometry("corner", 39.0, 29.0, 225.0, 70.0, 30.0),
        ],
    )
    assert_agrees(scene)


@pytest.mark.slow
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(scenes(max_cameras=4, max_obstacles=4))
def test_random_sites_agree_with_the_raster(scene: Scene) -> None:
    assert_agrees(scene)
