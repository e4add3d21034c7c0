"""Road routing for road patrols: roads, footpaths, one-way streets, straight-line fallback."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from gapwatch.patrol.routing import RoadLine, RoadNetwork, UnitPosition, rank_units
from gapwatch.site.projection import LocalProjection

PROJ = LocalProjection(104.2, 35.1)

# An L of road: along y=0 from x=0 to 400, then north along x=400 to y=300.
ROAD = RoadLine("r", "road", ((0.0, 0.0), (400.0, 0.0), (400.0, 300.0)))
# A footpath short-cutting the corner diagonally.
PATH = RoadLine("p", "footpath", ((0.0, 0.0), (400.0, 300.0)))


def test_route_follows_the_road_and_walks_the_last_metres() -> None:
    net = RoadNetwork([ROAD])
    unit = UnitPosition("v", "vehicle", 0.0, -10.0)
    eta, distance, path, on_roads = net.plan(unit, (410.0, 300.0))
    assert on_roads
    # 10 m walk on, 700 m drive, 10 m walk off.
    assert distance == pytest.approx(720.0, abs=0.01)
    assert eta == pytest.approx(700 / (30 / 3.6) + 20 / (5 / 3.6), rel=1e-6)
    assert path[0] == (0.0, -10.0) and path[-1] == (410.0, 300.0)
    assert (400.0, 0.0) in path  # it turned the corner


def test_vehicles_keep_off_footpaths_but_walkers_take_them() -> None:
    net = RoadNetwork([ROAD, PATH])
    walker = net.plan(UnitPosition("f", "foot", 0.0, 0.0), (400.0, 300.0))
    driver = net.plan(UnitPosition("v", "vehicle", 0.0, 0.0), (400.0, 300.0))
    assert walker[1] == pytest.approx(500.0, abs=0.01)
    assert driver[1] == pytest.approx(700.0, abs=0.01)


def test_crossing_lines_are_joined_where_they_cross() -> None:
    cross = RoadLine("c", "road", ((200.0, -100.0), (200.0, 100.0)))
    net = RoadNetwork([ROAD, cross])
    _, distance, _, on_roads = net.plan(UnitPosition("v", "vehicle", 200.0, -100.0), (300.0, 0.0))
    assert on_roads and distance == pytest.approx(200.0, abs=0.01)


def test_one_way_road_is_driven_only_its_way() -> None:
    one_way = RoadLine("o", "road", ((0.0, 0.0), (100.0, 0.0)), oneway=True)
    net = RoadNetwork([one_way])
    forward = net.plan(UnitPosition("v", "vehicle", 0.0, 0.0), (100.0, 0.0))
    backward = net.plan(UnitPosition("v", "vehicle", 100.0, 0.0), (0.0, 0.0))
    walking = net.plan(UnitPosition("f", "foot", 100.0, 0.0), (0.0, 0.0))
    assert forward[3] and forward[1] == pytest.approx(100.0)
    assert not backward[3]  # no way round: straight line, and says so
    assert walking[3] and walking[1] == pytest.approx(100.0)


def test_no_roads_falls_back_to_the_straight_line() -> None:
    net = RoadNetwork([])
    eta, distance, path, on_roads = net.plan(UnitPosition("f", "foot", 0.0, 0.0), (300.0, 400.0))
    assert not on_roads and distance == pytest.approx(500.0)
    assert eta == pytest.approx(500.0 / (5 / 3.6))
    assert path == [(0.0, 0.0), (300.0, 400.0)]


def test_rank_units_orders_by_travel_time_and_skips_busy_and_unavailable() -> None:
    net = RoadNetwork([ROAD])
    gap = box(380.0, 280.0, 420.0, 320.0)
    units = [
        UnitPosition("walker-near", "foot", 400.0, 200.0),
        UnitPosition("car-far", "vehicle", 0.0, 0.0),
        UnitPosition("walker-far", "foot", 0.0, 0.0),
        UnitPosition("off-duty", "foot", 400.0, 290.0, available=False),
    ]
    plans = rank_units(net, units, gap, PROJ)
    assert [p.unit for p in plans] == ["walker-near", "car-far", "walker-far"]
    assert all(p.eta_s <= q.eta_s for p, q in itertools.pairwise(plans))
    # The unit goes to the point of the gap nearest the road (here where the road enters it).
    target = Point(PROJ.to_metres(*plans[0].target))
    road = LineString(ROAD.coords)
    assert gap.buffer(0.01).contains(target)
    assert road.distance(target) == pytest.approx(road.distance(gap), abs=0.01)
    assert plans[0].route[0] == pytest.approx(PROJ.to_lonlat(400.0, 200.0))
    assert (
        next(p.unit for p in rank_units(net, units, gap, PROJ, exclude={"walker-near"}))
        == "car-far"
    )


def test_custom_speed_is_used() -> None:
    net = RoadNetwork([])
    slow = UnitPosition("s", "vehicle", 0.0, 0.0, speed_kmh=10.0)
    assert net.plan(slow, (100.0, 0.0))[0] == pytest.approx(36.0)


@settings(max_examples=60, deadline=None)
@given(
    st.tuples(st.floats(-100, 500), st.floats(-100, 400)),
    st.tuples(st.floats(-100, 500), st.floats(-100, 400)),
    st.sampled_from(["foot", "vehicle"]),
)
def test_a_route_is_never_shorter_than_the_straight_line(
    start: tuple[float, float], end: tuple[float, float], kind: str
) -> None:
    net = RoadNetwork([ROAD, PATH])
    unit = UnitPosition("u", kind, *start)  # type: ignore[arg-type]
    eta, distance, path, _ = net.plan(unit, end)
    assert distance >= math.dist(start, end) - 1e-6
    walked = sum(math.dist(a, b) for a, b in itertools.pairwise(path))
    assert walked == pytest.approx(distance, rel=1e-6, abs=1e-6)
    assert eta >= math.dist(start, end) / unit.speed_ms - 1e-6
