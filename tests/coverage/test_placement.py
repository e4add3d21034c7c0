"""Placement suggestions: greedy new cameras and PTZ re-aims, each with its weighted gain."""

from __future__ import annotations

import math

import pytest
import shapely

from gapwatch.coverage import CameraGeometry, CoverageModel, PresetGeometry, ZoneShape
from gapwatch.coverage.placement import CandidateSpec, sample_candidates, suggest_placements


def half_watched() -> CoverageModel:
    # A 100 × 50 m square (importance 3): the west half is watched by a 360° camera of 25 m.
    zone = ZoneShape("square", "Square", 3, shapely.box(0, 0, 100, 50))
    watch = CameraGeometry("west", 25.0, 25.0, 0.0, 360.0, 25.0)
    return CoverageModel.build([zone], [], [watch], min_blind_area_m2=0.0)


def test_new_camera_goes_where_the_blind_ground_is() -> None:
    model = half_watched()
    spec = CandidateSpec(hfov_deg=90.0, range_m=30.0, headings_deg=(0.0, 90.0, 180.0, 270.0))
    picks = suggest_placements(
        model, candidates=[(25.0, 0.0), (75.0, 0.0)], spec=spec, count=1, reaim=False
    )
    assert len(picks) == 1
    pick = picks[0]
    assert pick.kind == "new_camera"
    assert (pick.x, pick.y, pick.heading_deg) == (75.0, 0.0, 0.0)
    # A 90° sector of 30 m looking north from the south edge lies wholly in blind ground.
    expected = math.pi * 30.0**2 / 4.0
    assert pick.gain_m2 == pytest.approx(expected, rel=1e-3)
    assert pick.gain_weighted_m2 == pytest.approx(3 * pick.gain_m2)


def test_greedy_gains_never_grow_and_picks_do_not_repeat_ground() -> None:
    model = half_watched()
    points = [(x, y) for x in range(50, 101, 10) for y in (0.0, 50.0)]
    picks = suggest_placements(model, candidates=points, count=4, reaim=False)
    gains = [p.gain_weighted_m2 for p in picks]
    assert gains == sorted(gains, reverse=True)
    blind = model.compute().zones[0].blind_m2
    union = shapely.union_all([p.geometry for p in picks]).intersection(model.zones[0].polygon)
    seen_before = model.views["west"].geometry
    assert sum(p.gain_m2 for p in picks) == pytest.approx(
        union.difference(seen_before).area, rel=1e-6
    )
    assert sum(p.gain_m2 for p in picks) <= blind + 1e-6


def test_ptz_camera_is_re_aimed_when_its_ground_is_watched_anyway() -> None:
    zone = ZoneShape("square", "Square", 5, shapely.box(0, 0, 100, 50))
    cameras = [
        CameraGeometry("west", 25.0, 25.0, 0.0, 360.0, 25.0),
        CameraGeometry(
            "dome",
            50.0,
            25.0,
            270.0,  # looks west, into ground the 360° camera already sees
            40.0,
            20.0,
            presets=(PresetGeometry("east", 90.0, 40.0, 30.0),),
        ),
    ]
    model = CoverageModel.build([zone], [], cameras, min_blind_area_m2=0.0)
    picks = suggest_placements(model, candidates=[], count=2, heading_step_deg=None)
    assert [(p.kind, p.camera_id, p.preset_id) for p in picks] == [("ptz_preset", "dome", "east")]
    preset_view = model.preset_views[("dome", "east")].geometry
    lost = model.failure_gap("dome").area_m2
    gained = preset_view.difference(model.views["west"].geometry).intersection(zone.polygon).area
    assert picks[0].gain_m2 == pytest.approx(gained - lost, rel=1e-6)
    assert picks[0].gain_weighted_m2 == pytest.approx(5 * (gained - lost), rel=1e-6)


def test_ptz_camera_stays_when_moving_it_would_open_a_bigger_gap() -> None:
    zone = ZoneShape("square", "Square", 5, shapely.box(0, 0, 100, 50))
    dome = CameraGeometry(
        "dome", 50.0, 25.0, 0.0, 360.0, 30.0, presets=(PresetGeometry("narrow", 90.0, 20.0, 30.0),)
    )
    model = CoverageModel.build([zone], [], [dome])
    assert suggest_placements(model, candidates=[], count=3, heading_step_deg=None) == []


def test_candidates_follow_zone_edges_and_roads_clear_of_buildings() -> None:
    zone = ZoneShape("square", "Square", 3, shapely.box(0, 0, 100, 50))
    hall = shapely.box(40, -5, 60, 5)  # straddles the south edge
    model = CoverageModel.build([zone], [hall], [])
    road = shapely.LineString([(0, 25), (100, 25)])
    points = sample_candidates(model, roads=[road], spacing_m=10.0)
    assert points
    blocked = hall.buffer(0.5)
    assert not any(blocked.contains(shapely.Point(p)) for p in points)
    assert any(abs(y - 25.0) < 1e-9 for _, y in points)  # on the road
    ground = model.zones[0].polygon.boundary
    assert sum(ground.distance(shapely.Point(p)) < 1e-6 for p in points) >= 20
    with pytest.raises(ValueError, match="spacing"):
        sample_candidates(model, spacing_m=0.0)


def test_model_suggest_uses_sampled_candidates() -> None:
    model = half_watched()
    picks = model.suggest(count=2, spec=CandidateSpec(range_m=30.0))
    assert len(picks) == 2
    assert all(p.kind == "new_camera" and p.gain_weighted_m2 > 0 for p in picks)


def test_ground_given_up_by_a_re_aimed_camera_can_be_won_back_by_a_new_one() -> None:
    # The dome watches a small west patch alone; its preset reaches a much bigger blind east
    # area. Re-aiming first leaves the west patch blind; a candidate that sees only that patch
    # (worth nothing before the re-aim) then wins it back.
    zone = ZoneShape("square", "Square", 2, shapely.box(0, 0, 120, 60))
    dome = CameraGeometry(
        "dome", 40.0, 30.0, 270.0, 40.0, 15.0, presets=(PresetGeometry("east", 90.0, 90.0, 60.0),)
    )
    model = CoverageModel.build([zone], [], [dome], min_blind_area_m2=0.0)
    west_patch = model.views["dome"].geometry
    spec = CandidateSpec(hfov_deg=40.0, range_m=15.0, headings_deg=(270.0,))
    picks = suggest_placements(
        model, candidates=[(40.0, 30.0)], spec=spec, count=2, heading_step_deg=None
    )
    assert [p.kind for p in picks] == ["ptz_preset", "new_camera"]
    candidate_view = picks[1].geometry
    assert candidate_view.symmetric_difference(west_patch).area < 1e-6
    assert picks[1].gain_m2 == pytest.approx(west_patch.area, rel=1e-6)


def test_each_ptz_camera_is_suggested_once() -> None:
    zone = ZoneShape("square", "Square", 3, shapely.box(0, 0, 100, 100))
    dome = CameraGeometry(
        "dome",
        50.0,
        50.0,
        0.0,
        10.0,
        5.0,
        presets=tuple(PresetGeometry(f"p{k}", k * 90.0, 60.0, 40.0) for k in range(4)),
    )
    model = CoverageModel.build([zone], [], [dome])
    picks = suggest_placements(model, candidates=[], count=4, heading_step_deg=None)
    assert [p.camera_id for p in picks] == ["dome"]
