"""Property tests over random small sites: the engine's figures are consistent with each other."""

from __future__ import annotations

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapwatch.coverage import CoverageModel, overlay
from tests.coverage.scenes import Scene, scenes

# Overlays drop needle slivers of up to 1e-6 m² between steps (slivers.py), so areas reached by
# different sequences of overlays agree to a few of those.
AREA_TOLERANCE = 1e-5

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def build(scene: Scene, min_blind: float = 0.0) -> CoverageModel:
    return CoverageModel.build(
        scene.zones, scene.obstacles, scene.cameras, min_blind_area_m2=min_blind
    )


def covered_by_hand(model: CoverageModel, healthy: set[str]) -> dict[str, float]:
    """Zone ∩ union of healthy views, straight from the published views."""
    views = [v.geometry for cid, v in model.views.items() if cid in healthy]
    seen = shapely.union_all(views) if views else shapely.Polygon()
    return {z.id: z.polygon.intersection(seen).area for z in model.zones}


@pytest.mark.slow
@PROPERTY
@given(scenes())
def test_covered_plus_blind_is_the_ground_outside_obstacles(scene: Scene) -> None:
    model = build(scene)
    result = model.compute()
    by_hand = covered_by_hand(model, {c.id for c in scene.cameras})
    obstacles = shapely.union_all(scene.obstacles) if scene.obstacles else shapely.Polygon()
    for shape, zone in zip(scene.zones, result.zones, strict=True):
        ground = shape.polygon.difference(obstacles)
        outside = ground.area
        # A zone with buildings in it is drawn on the 1 mm grid: each edge moves by half a
        # millimetre at most.
        snapped = ground.length * overlay.GRID_M / 2 + 1e-9
        blind = sum(b.area_m2 for b in result.blind_spots if b.zone == zone.id)
        assert zone.area_m2 == pytest.approx(outside, abs=snapped)
        assert zone.covered_m2 + blind == pytest.approx(zone.area_m2, rel=1e-7, abs=1e-7)
        assert zone.covered_m2 == pytest.approx(by_hand[zone.id], rel=1e-7, abs=AREA_TOLERANCE)
        assert 0.0 <= zone.coverage_ratio <= 1.0 + 1e-12
    # No blind spot lies on a building or outside its zone.
    for spot in result.blind_spots:
        grid_edge = spot.geometry.length * overlay.GRID_M / 2  # the grid's rounding
        assert spot.geometry.intersection(obstacles).area <= 1e-6 + grid_edge
        zone_polygon = next(z.polygon for z in scene.zones if z.id == spot.zone)
        assert spot.geometry.difference(zone_polygon).area <= 1e-6 + grid_edge


@pytest.mark.slow
@PROPERTY
@given(scenes(), st.data())
def test_taking_a_camera_down_never_increases_coverage(scene: Scene, data: st.DataObject) -> None:
    model = build(scene)
    everyone = {c.id for c in scene.cameras}
    healthy = set(data.draw(st.sets(st.sampled_from(sorted(everyone)))))
    before = model.compute(healthy)
    for camera in sorted(healthy):
        after = model.compute(healthy - {camera})
        for b, a in zip(before.zones, after.zones, strict=True):
            assert a.covered_m2 <= b.covered_m2 + 1e-7


@pytest.mark.slow
@PROPERTY
@given(scenes())
def test_failure_gap_is_coverage_with_minus_coverage_without(scene: Scene) -> None:
    model = build(scene)
    everyone = {c.id for c in scene.cameras}
    all_on = model.compute(overlap=False)
    for camera in scene.cameras:
        without = model.compute(everyone - {camera.id}, overlap=False)
        gap = model.failure_gap(camera.id)
        assert gap.area_m2 == pytest.approx(
            all_on.covered_m2 - without.covered_m2, abs=AREA_TOLERANCE
        )
        weighted = sum(
            z.importance * (a.covered_m2 - w.covered_m2)
            for z, a, w in zip(model.zones, all_on.zones, without.zones, strict=True)
        )
        assert gap.weighted_m2 == pytest.approx(weighted, abs=10 * AREA_TOLERANCE)
    ranked = model.failure_gaps()
    assert [g.weighted_m2 for g in ranked] == sorted((g.weighted_m2 for g in ranked), reverse=True)
    for gap in ranked:  # the all-at-once ranking agrees with one camera at a time
        one = model.failure_gap(gap.camera_id)
        assert gap.area_m2 == pytest.approx(one.area_m2, abs=AREA_TOLERANCE)
        assert len(gap.pieces) == len(one.pieces)


@PROPERTY
@given(scenes(), st.data())
def test_overlap_is_ground_seen_by_two_or_more(scene: Scene, data: st.DataObject) -> None:
    model = build(scene)
    result = model.compute()
    assert result.overlap is not None
    views = [v.geometry for v in model.views.values()]
    pairs = [a.intersection(b) for i, a in enumerate(views) for b in views[i + 1 :]]
    twice = shapely.union_all(pairs) if pairs else shapely.Polygon()
    for zone, figures in zip(model.zones, result.zones, strict=True):
        expected = zone.polygon.intersection(twice).area
        assert figures.overlap_m2 == pytest.approx(expected, abs=AREA_TOLERANCE)


@pytest.mark.slow
@PROPERTY
@given(scenes(max_cameras=6), st.data())
def test_live_changes_match_computing_from_scratch(scene: Scene, data: st.DataObject) -> None:
    model = build(scene)
    ids = sorted(c.id for c in scene.cameras)
    start = set(data.draw(st.sets(st.sampled_from(ids))))
    live = model.live(start)
    healthy = set(start)
    for _ in range(data.draw(st.integers(1, 6))):
        group = set(data.draw(st.sets(st.sampled_from(ids), min_size=1, max_size=4)))
        going_down = data.draw(st.booleans())
        before = model.compute(healthy, overlap=False)
        if going_down:
            preview = live.gap_if_down(group)
            change = live.take_down(group)
            assert preview.area_m2 == pytest.approx(change.area_m2, abs=1e-9)
            healthy -= group
        else:
            change = live.bring_up(group)
            healthy |= group
        after = model.compute(healthy, overlap=False)
        assert live.healthy == frozenset(healthy)
        for b, a in zip(before.zones, after.zones, strict=True):
            moved = abs(b.covered_m2 - a.covered_m2)
            assert change.by_zone.get(b.id, 0.0) == pytest.approx(moved, abs=AREA_TOLERANCE)
        assert change.area_m2 == pytest.approx(
            abs(before.covered_m2 - after.covered_m2), abs=AREA_TOLERANCE
        )
        # The current blind spots are those of a computation from scratch.
        spots = live.blind_spots()
        for zone in after.zones:
            mine = sum(s.area_m2 for s in spots if s.zone == zone.id)
            assert mine == pytest.approx(zone.blind_m2, abs=AREA_TOLERANCE)
