"""Hand-computed views: one sector, one building's shadow, a dead zone ring, density bands."""

from __future__ import annotations

import math

import pytest
import shapely

from gapwatch.coverage import CameraGeometry, CoverageModel, ZoneShape, density_range_m
from gapwatch.coverage.views import ObstacleIndex, camera_views, ground_limits, sectors

# Arcs are drawn as inscribed polygons with 2° steps: they lose (2°)²/6 ≈ 2e-4 of the area.
ARC_TOLERANCE = 5e-4


def view_of(
    camera: CameraGeometry, obstacles: list[shapely.Polygon] | None = None
) -> shapely.Polygon:
    return camera_views([camera], ObstacleIndex.build(obstacles or []))[0]


@pytest.mark.parametrize("hfov", [1.0, 37.5, 90.0, 179.0, 180.0, 270.0, 359.0, 360.0])
def test_sector_area_is_pi_r_squared_times_share_of_circle(hfov: float) -> None:
    camera = CameraGeometry("c", 100.0, -40.0, 33.0, hfov, 25.0)
    area = sectors([camera])[0].area
    assert area == pytest.approx(math.pi * 25.0**2 * hfov / 360.0, rel=ARC_TOLERANCE)


def test_sector_points_along_heading_clockwise_from_north() -> None:
    east = view_of(CameraGeometry("c", 0.0, 0.0, 90.0, 60.0, 10.0))
    assert east.contains(shapely.Point(9.0, 0.0))
    assert not east.contains(shapely.Point(0.0, 9.0))
    assert not east.contains(shapely.Point(-9.0, 0.0))
    north_east = view_of(CameraGeometry("c", 0.0, 0.0, 45.0, 20.0, 10.0))
    assert north_east.contains(shapely.Point(6.0, 6.0))
    assert not north_east.contains(shapely.Point(6.0, -6.0))


def test_square_building_hides_itself_and_the_wedge_behind_it() -> None:
    # Camera at the origin sees all round; building x 5..7, y -1..1. The silhouette runs through
    # the near corners (5, ±1): a wedge of half-angle atan(1/5) beyond the near face is hidden.
    camera = CameraGeometry("c", 0.0, 0.0, 0.0, 360.0, 20.0)
    building = shapely.box(5.0, -1.0, 7.0, 1.0)
    full = sectors([camera])[0].area
    seen = view_of(camera, [building])
    half = math.atan(1.0 / 5.0)
    hidden_expected = 20.0**2 * half - 5.0  # wedge area minus the triangle in front of the face
    assert full - seen.area == pytest.approx(hidden_expected, rel=ARC_TOLERANCE * 4)
    assert not seen.contains(shapely.Point(15.0, 0.0))
    assert seen.contains(shapely.Point(15.0, 3.5))  # outside the wedge (angle 13°)
    assert seen.contains(shapely.Point(4.5, 0.0))  # in front of the building


def test_thin_wall_close_to_camera_hides_nearly_half_the_disc() -> None:
    # A 200 m wall 1 m east of the camera subtends almost 180°: everything east of it is hidden.
    camera = CameraGeometry("c", 0.0, 0.0, 0.0, 360.0, 30.0)
    wall = shapely.box(1.0, -100.0, 1.2, 100.0)
    seen = view_of(camera, [wall])
    strip = shapely.box(0.0, -30.0, 1.0, 30.0).intersection(sectors([camera])[0])
    west = shapely.box(-30.0, -30.0, 0.0, 30.0).intersection(sectors([camera])[0])
    assert seen.area == pytest.approx(west.area + strip.area, rel=1e-3)
    assert not seen.intersects(shapely.box(1.2, -30.0, 30.0, 30.0).buffer(-0.01))


def test_l_shaped_building_does_not_hide_its_own_notch() -> None:
    # An L (non-convex): a camera looking into the notch sees the notch's inner corner.
    ell = shapely.Polygon([(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)])
    camera = CameraGeometry("c", 9.0, 9.0, 225.0, 90.0, 30.0)
    seen = view_of(camera, [ell])
    assert seen.contains(shapely.Point(4.5, 4.5))
    assert not seen.intersects(ell.buffer(-0.01))
    assert not seen.contains(shapely.Point(-3.0, -3.0))  # behind the corner block


def test_dead_zone_ring_from_height_tilt_and_vfov() -> None:
    # 6 m up, tilted 30° down, 40° vertical field: near = 6/tan(50°), far = 6/tan(10°).
    camera = CameraGeometry(
        "c", 0.0, 0.0, 0.0, 360.0, 50.0, height_m=6.0, tilt_deg=30.0, vfov_deg=40.0
    )
    near, far = ground_limits(camera)
    assert near == pytest.approx(6.0 / math.tan(math.radians(50.0)))
    assert far == pytest.approx(6.0 / math.tan(math.radians(10.0)))
    seen = view_of(camera)
    assert seen.area == pytest.approx(math.pi * (far**2 - near**2), rel=ARC_TOLERANCE)
    assert not seen.contains(shapely.Point(0.0, near * 0.9))
    assert seen.contains(shapely.Point(0.0, near * 1.1))
    assert not seen.contains(shapely.Point(0.0, far * 1.05))


def test_dead_zone_of_a_sector_and_range_limits_far_edge() -> None:
    # Tilt 20°, vfov 50°: the top edge points above the horizon, so the range is the far limit.
    camera = CameraGeometry(
        "c", 0.0, 0.0, 90.0, 90.0, 40.0, height_m=4.0, tilt_deg=20.0, vfov_deg=50.0
    )
    near, far = ground_limits(camera)
    assert far == 40.0
    assert near == pytest.approx(4.0 / math.tan(math.radians(45.0)))
    assert view_of(camera).area == pytest.approx(
        math.pi * (far**2 - near**2) / 4.0, rel=ARC_TOLERANCE
    )


def test_camera_looking_at_the_sky_sees_no_ground_limit_beyond_range() -> None:
    camera = CameraGeometry(
        "c", 0.0, 0.0, 0.0, 60.0, 30.0, height_m=3.0, tilt_deg=0.0, vfov_deg=30.0
    )
    near, far = ground_limits(camera)
    assert far == 30.0
    assert near == pytest.approx(3.0 / math.tan(math.radians(15.0)))


def test_pixel_density_bands_follow_iec_62676_4() -> None:
    # 1920 px over a scene 2·d·tan(45°) = 2d wide: 960/d px/m. Detect (25) reaches 38.4 m,
    # observe (62) 15.48 m, recognise (125) 7.68 m, identify (250) 3.84 m.
    camera = CameraGeometry("c", 0.0, 0.0, 0.0, 90.0, 50.0, resolution=(1920, 1080))
    assert density_range_m(camera, 25.0) == pytest.approx(38.4)
    model = CoverageModel.build(
        [ZoneShape("z", "Z", 1, shapely.box(-60, -60, 60, 60))], [], [camera]
    )
    bands = model.views["c"].density_bands
    for name, ppm in [("detect", 25), ("observe", 62), ("recognise", 125), ("identify", 250)]:
        reach = 960.0 / ppm
        assert bands[name].area == pytest.approx(math.pi * reach**2 / 4.0, rel=ARC_TOLERANCE * 2)


def test_no_resolution_means_no_density_bands() -> None:
    model = CoverageModel.build([], [], [CameraGeometry("c", 0.0, 0.0, 0.0, 90.0, 50.0)])
    assert model.views["c"].density_bands == {}


def test_camera_mounted_on_a_building_is_not_blinded_by_it() -> None:
    house = shapely.box(0.0, 0.0, 10.0, 10.0)
    camera = CameraGeometry("c", 10.0, 5.0, 90.0, 90.0, 20.0)  # on the east wall, looking east
    seen = view_of(camera, [house])
    assert seen.area == pytest.approx(math.pi * 400.0 / 4.0, rel=ARC_TOLERANCE)
    # Looking back across its own roof it sees past the building, but not the roof itself.
    back = CameraGeometry("b", 10.0, 5.0, 270.0, 90.0, 20.0)
    fan = sectors([back])[0]
    seen_back = view_of(back, [house])
    assert seen_back.area == pytest.approx(fan.difference(house).area, rel=1e-9)
    assert seen_back.contains(shapely.Point(-5.0, 5.0))


def test_camera_tilted_above_the_horizon_sees_no_ground() -> None:
    camera = CameraGeometry(
        "c", 0.0, 0.0, 0.0, 90.0, 30.0, height_m=5.0, tilt_deg=-30.0, vfov_deg=20.0
    )
    assert view_of(camera).is_empty


@pytest.mark.parametrize(
    ("field", "value"), [("hfov_deg", 0.0), ("hfov_deg", 361.0), ("range_m", -1.0)]
)
def test_bad_camera_geometry_is_refused_with_its_name(field: str, value: float) -> None:
    values = {"hfov_deg": 90.0, "range_m": 10.0, field: value}
    with pytest.raises(ValueError, match=f"camera cam-9: {field}"):
        CameraGeometry("cam-9", 0.0, 0.0, 0.0, values["hfov_deg"], values["range_m"])


def test_building_inside_the_dead_zone_still_hides_the_ground_behind_it() -> None:
    # A kiosk 1 m in front of a camera whose picture starts 10 m out hides the whole narrow view.
    camera = CameraGeometry(
        "c", 0.0, 0.0, 0.0, 5.0, 17.0, height_m=2.0, tilt_deg=3.0, vfov_deg=16.0
    )
    assert ground_limits(camera)[0] > 10.0
    kiosk = shapely.box(-0.5, 0.75, 0.5, 1.25)
    assert view_of(camera).area > 7.0
    assert view_of(camera, [kiosk]).area == pytest.approx(0.0, abs=1e-9)
