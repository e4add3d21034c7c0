"""Coverage, blind spots, failure gaps, live changes and patrol options on small known sites."""

from __future__ import annotations

import math

import pytest
import shapely

from gapwatch.coverage import (
    CameraGeometry,
    CoverageModel,
    PresetGeometry,
    UnknownCameraError,
    ZoneShape,
)


def two_camera_site(**kwargs: float) -> CoverageModel:
    # Two 90°, 20 m cameras facing each other across a 40 × 40 m square; a kiosk between them.
    zone = ZoneShape("plaza", "Plaza 广场", 4, shapely.box(-5, -20, 35, 20))
    kiosk = shapely.box(14.0, -1.0, 16.0, 1.0)
    cameras = [
        CameraGeometry("west", 0.0, 0.0, 90.0, 90.0, 20.0, group="pole-1"),
        CameraGeometry("east", 30.0, 0.0, 270.0, 90.0, 20.0, group="pole-1"),
    ]
    return CoverageModel.build([zone], [kiosk], cameras, **kwargs)


def test_zone_area_leaves_out_buildings() -> None:
    model = two_camera_site()
    assert model.zones[0].area_m2 == pytest.approx(40 * 40 - 4)
    result = model.compute()
    assert result.zones[0].area_m2 == pytest.approx(1596.0)


def test_no_camera_means_the_whole_zone_is_one_blind_spot() -> None:
    model = two_camera_site()
    result = model.compute(healthy=[])
    assert result.zones[0].covered_m2 == 0.0
    assert result.zones[0].coverage_ratio == 0.0
    assert sum(b.area_m2 for b in result.blind_spots) == pytest.approx(1596.0)
    assert {b.zone for b in result.blind_spots} == {"plaza"}


def test_covered_plus_blind_is_the_zone_and_overlap_is_seen_twice() -> None:
    model = two_camera_site(min_blind_area_m2=0.0)
    result = model.compute()
    zone = result.zones[0]
    blind = sum(b.area_m2 for b in result.blind_spots)
    assert zone.covered_m2 + blind == pytest.approx(zone.area_m2, rel=1e-9)
    views = [model.views[c].geometry for c in ("west", "east")]
    twice = views[0].intersection(views[1]).intersection(model.zones[0].polygon)
    assert zone.overlap_m2 == pytest.approx(twice.area, rel=1e-9)
    assert zone.overlap_m2 is not None and zone.overlap_m2 > 0.0
    assert result.overlap is not None
    assert result.overlap["plaza"].symmetric_difference(twice).area < 1e-6


def test_failure_gap_is_the_ground_only_that_camera_sees() -> None:
    model = two_camera_site()
    west, east = model.views["west"].geometry, model.views["east"].geometry
    zone = model.zones[0].polygon
    gap = model.failure_gap("west")
    expected = west.difference(east).intersection(zone).area
    assert gap.area_m2 == pytest.approx(expected, rel=1e-9)
    assert gap.weighted_m2 == pytest.approx(4 * expected, rel=1e-9)
    assert sum(p.area_m2 for p in gap.pieces) == pytest.approx(expected, rel=1e-9)
    # With its partner down, the whole of its (zone) view is its failure gap.
    alone = model.failure_gap("west", healthy={"west"})
    assert alone.area_m2 == pytest.approx(west.intersection(zone).area, rel=1e-9)
    assert model.failure_gap("west", healthy={"east"}).area_m2 == 0.0


def test_failure_gaps_rank_the_most_harmful_first() -> None:
    zones = [
        ZoneShape("gate", "Gate", 5, shapely.box(0, 0, 30, 30)),
        ZoneShape("lawn", "Lawn", 1, shapely.box(100, 0, 160, 60)),
    ]
    cameras = [
        CameraGeometry("gate-cam", 0.0, 0.0, 45.0, 90.0, 20.0),
        CameraGeometry("lawn-cam", 100.0, 0.0, 45.0, 90.0, 40.0),  # 4× the ground, 1/5 the weight
    ]
    model = CoverageModel.build(zones, [], cameras)
    ranked = model.failure_gaps()
    assert [g.camera_id for g in ranked] == ["gate-cam", "lawn-cam"]
    assert ranked[0].area_m2 < ranked[1].area_m2
    assert ranked[0].weighted_m2 == pytest.approx(5 * math.pi * 400 / 4, rel=1e-3)


def test_slivers_are_dropped_from_blind_spots_but_not_from_figures() -> None:
    zone = ZoneShape("z", "Z", 3, shapely.box(0, 0, 10, 10))
    # Sees everything but a 10 × 0.1 m strip along the top edge (1 m²).
    camera = CameraGeometry("c", 5.0, -100.0, 0.0, 60.0, 109.9)
    loose = CoverageModel.build([zone], [], [camera], min_blind_area_m2=0.0).compute()
    strict = CoverageModel.build([zone], [], [camera], min_blind_area_m2=2.0).compute()
    assert loose.blind_spots and not strict.blind_spots
    assert strict.zones[0].covered_m2 == pytest.approx(loose.zones[0].covered_m2)
    assert strict.zones[0].blind_m2 == pytest.approx(sum(b.area_m2 for b in loose.blind_spots))


def test_live_take_down_reports_exactly_the_newly_unwatched_ground() -> None:
    model = two_camera_site(min_blind_area_m2=0.0)
    live = model.live()
    before = model.compute()
    change = live.take_down(["west"])
    after = model.compute(healthy={"east"})
    assert change.cameras == ("west",)
    assert change.area_m2 == pytest.approx(before.covered_m2 - after.covered_m2, rel=1e-9)
    assert change.by_zone == {"plaza": pytest.approx(change.area_m2)}
    assert live.healthy == frozenset({"east"})
    assert sum(b.area_m2 for b in live.blind_spots()) == pytest.approx(
        sum(b.area_m2 for b in after.blind_spots), rel=1e-9
    )
    # Taking it down twice changes nothing, and the healthy set stays the same object (the
    # service publishes a snapshot after every commit and tells "unchanged" by identity).
    same = live.healthy
    assert live.take_down(["west"]).empty
    assert live.healthy is same
    back = live.bring_up(["west"])
    assert back.area_m2 == pytest.approx(change.area_m2, rel=1e-9)
    assert live.healthy == frozenset({"west", "east"})


@pytest.mark.parametrize("turn_deg", [0.0, 17.5, 30.0])
def test_a_camera_on_a_slanted_wall_loses_all_its_ground_when_it_fails(turn_deg: float) -> None:
    # The camera hangs on a turned building's top wall, looking north-east, so its view's box
    # has its corner on the camera, on the slanted wall. GEOS's clip_by_rect, which cut the zone
    # to that box, kept 0.13 of 14.8 m² at 17.5°, and the camera's failure reported no
    # unwatched ground at all (found by the town fuzz, a terrace with a camera on a wall).
    yard = ZoneShape("yard", "Yard 院子", 2, shapely.box(0, 0, 10, 10))
    building = shapely.affinity.rotate(shapely.box(3, 2, 6, 4), turn_deg, origin=(4.5, 3))
    ring = list(building.exterior.coords)
    top = max(range(4), key=lambda k: ring[k][1] + ring[k + 1][1])
    (x0, y0), (x1, y1) = ring[top], ring[top + 1]
    camera = CameraGeometry("wall", x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0), 45.0, 60.0, 4.0)
    model = CoverageModel.build([yard], [building], [camera], min_blind_area_m2=0.0)
    seen = model.compute().covered_m2
    # (within the 1 mm grid the zone's ground is drawn on)
    assert seen == pytest.approx(model.views["wall"].geometry.area, abs=1e-3)
    assert seen > 8.0
    change = model.live().take_down(["wall"])
    assert change.by_zone == {"yard": pytest.approx(seen, rel=1e-9)}
    assert model.failure_gap("wall").area_m2 == pytest.approx(seen, rel=1e-9)


@pytest.mark.parametrize("turn_deg", [17.5, 30.0, 45.0])
def test_a_building_with_a_wall_on_the_zone_edge_is_taken_out_of_the_zone(turn_deg: float) -> None:
    # Turned separately, the shared edge's ends differ in their last bits; at 45° GEOS's
    # floating overlay then said the two did not overlap (98 m² of ground where 78.8 is right).
    def turned(g: shapely.Geometry) -> shapely.Geometry:
        return shapely.affinity.rotate(g, turn_deg, origin=(0, 0))

    zone = ZoneShape("half", "Half 半区", 1, turned(shapely.box(-3, -3, 4, 11)))
    building = turned(shapely.box(0, 0, 4, 4.8))
    model = CoverageModel.build([zone], [building], [], min_blind_area_m2=0.0)
    result = model.compute()
    assert result.zones[0].area_m2 == pytest.approx(98.0 - 19.2, abs=0.01)
    assert sum(s.area_m2 for s in result.blind_spots) == pytest.approx(78.8, abs=0.01)


def test_a_whole_pole_going_down_at_once() -> None:
    model = two_camera_site(min_blind_area_m2=0.0)
    live = model.live()
    preview = live.gap_if_down(["west", "east"])
    assert live.healthy == frozenset({"west", "east"})
    change = live.take_down(["west", "east"])
    assert change.area_m2 == pytest.approx(model.compute().covered_m2, rel=1e-9)
    assert preview.area_m2 == pytest.approx(change.area_m2, rel=1e-12)


def test_unknown_camera_ids_are_named() -> None:
    model = two_camera_site()
    with pytest.raises(UnknownCameraError, match="cam-x, cam-y"):
        model.live().take_down(["west", "cam-y", "cam-x"])
    with pytest.raises(UnknownCameraError, match="nope"):
        model.failure_gap("nope")
    with pytest.raises(UnknownCameraError, match="ghost"):
        model.compute(healthy=["ghost"])


def test_duplicate_ids_are_refused() -> None:
    cam = CameraGeometry("c", 0.0, 0.0, 0.0, 90.0, 10.0)
    with pytest.raises(ValueError, match="camera id 'c' appears twice"):
        CoverageModel.build([], [], [cam, cam])


def test_views_into_ranks_cameras_and_ptz_presets_by_ground_seen() -> None:
    zone = ZoneShape("z", "Z", 3, shapely.box(-50, -50, 50, 50))
    cameras = [
        CameraGeometry("fixed", 0.0, -30.0, 0.0, 40.0, 40.0),
        CameraGeometry(
            "dome",
            30.0,
            30.0,
            90.0,
            30.0,
            25.0,
            presets=(
                PresetGeometry("toward-gap", 225.0, 40.0, 45.0),
                PresetGeometry("away", 45.0, 40.0, 45.0),
            ),
        ),
        CameraGeometry("broken", 0.0, 0.0, 0.0, 360.0, 50.0),
    ]
    model = CoverageModel.build([zone], [], cameras)
    gap = shapely.box(-5.0, -5.0, 5.0, 5.0)
    options = model.views_into(gap, healthy={"fixed", "dome"})
    names = [(o.camera_id, o.preset_id) for o in options]
    assert ("broken", None) not in names
    assert ("dome", "away") not in names
    # The fixed camera sees the whole box; the dome's preset reaches only its near part.
    assert names == [("fixed", None), ("dome", "toward-gap")]
    assert options[0].share == pytest.approx(1.0)
    assert 0.0 < options[1].share < 1.0
    for option in options:
        assert 0.0 < option.share <= 1.0
        assert option.seen_m2 == pytest.approx(option.share * 100.0)
    assert [o.seen_m2 for o in options] == sorted((o.seen_m2 for o in options), reverse=True)


def test_a_camera_almost_at_the_origin_counts_like_one_at_it() -> None:
    # Found by the live-coverage property test: a position of 9e-222 m made GEOS fill the hole
    # of a ring-shaped view (a 360° camera with a dead zone), reporting 33.7 m² instead of 2.5.
    zone = ZoneShape("a", "A", 1, shapely.box(0, 0, 20, 20))
    ring = CameraGeometry(
        "ring", 0.0, 3.0, 0.0, 360.0, 5.0, height_m=2.0, tilt_deg=15.0, vfov_deg=14.0
    )

    def covered(x: float) -> float:
        cameras = [
            CameraGeometry("c0", 0.0, 0.0, 0.0, 5.0, 5.0),
            CameraGeometry("c1", 0.0, 0.0, 1.0, 5.0, 8.0),
            ring,
            CameraGeometry("c3", x, 0.0, 0.0, 5.0, 4.0),
        ]
        return CoverageModel.build([zone], [], cameras).compute(overlap=False).zones[0].covered_m2

    assert covered(9.080372605968767e-222) == pytest.approx(covered(0.0), abs=1e-6)
    assert covered(0.0) < 3.0  # the dead zone inside the ring is not seen
