"""Zone crowds: people seen by overlapping views are counted once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gapwatch.crowd import (
    CameraCrowd,
    CameraPose,
    CrowdCount,
    CrowdMap,
    PersonBlob,
    camera_crowd,
    zone_crowds,
)

boxes = st.tuples(st.floats(0, 80), st.floats(0, 80), st.floats(5, 60), st.floats(5, 60)).map(
    lambda b: shapely.box(b[0], b[1], b[0] + b[2], b[1] + b[3])
)


@settings(max_examples=80, deadline=None)
@example(
    # Edges 1e-308, 7e-172 and 2e-228 m above y = 0: GEOS's floating overlay divided by zero.
    views=[
        shapely.box(70.0896, 1.1125369292536007e-308, 126.2220, 51.6367),
        shapely.box(67.8896, 6.553668256185764e-172, 96.8623, 50.0539),
    ],
    people=[(69.4821, 39.8028)],
    zone=shapely.box(59.8758, 1.8327154225776404e-228, 105.1352, 50.0),
)
@given(
    views=st.lists(boxes, min_size=1, max_size=5),
    people=st.lists(st.tuples(st.floats(0, 140), st.floats(0, 140)), max_size=30),
    zone=boxes,
)
def test_every_person_in_watched_ground_counts_once(
    views: list[shapely.Polygon], people: list[tuple[float, float]], zone: shapely.Polygon
) -> None:
    xy = np.array(people, dtype=float).reshape(-1, 2)
    crowds = []
    for i, view in enumerate(views):
        seen = shapely.contains_xy(view, xy[:, 0], xy[:, 1]) if len(xy) else np.zeros(0, bool)
        crowds.append(
            CameraCrowd(f"c{i}", float(seen.sum()), view.area, xy[seen], np.ones(int(seen.sum())))
        )
    got = zone_crowds(crowds, {f"c{i}": v for i, v in enumerate(views)}, {"z": zone})["z"]
    inside = [
        p
        for p in people
        if any(v.contains(shapely.Point(p)) for v in views) and zone.contains(shapely.Point(p))
    ]
    assert got.people == pytest.approx(len(inside), abs=1e-9)
    # The oracle overlays on a 1 µm grid, which is exact here but for edges 1e-308 apart.
    with np.errstate(all="ignore"):  # the grid's rounding of such edges raises the flags
        union = shapely.union_all(views, grid_size=1e-6)
        watched = shapely.intersection(union, zone, grid_size=1e-6).area
    assert got.watched_m2 == pytest.approx(watched, rel=1e-6, abs=1e-3 * zone.length)


def test_a_camera_places_its_people_on_the_ground_and_drops_those_outside_its_view() -> None:
    pose = CameraPose(0.0, 0.0, 6.0, 0.0, 30.0, 60.0, 640, 480)  # looking north
    near = pose.pixels(np.array([[0.0, 8.0, 0.0]]))[0]
    far = pose.pixels(np.array([[0.0, 40.0, 0.0]]))[0]
    count = CrowdCount(
        people=3.0,
        blobs=(PersonBlob(near[0], near[1], 2.0), PersonBlob(far[0], far[1], 1.0)),
    )
    view = shapely.box(-20, 0, 20, 20)  # the camera's range ends at 20 m
    got = camera_crowd("c1", count, pose, view)
    assert got.people == pytest.approx(2.0)
    assert got.xy[0] == pytest.approx([0.0, 8.0], abs=1e-6)
    assert got.density_per_m2 == pytest.approx(2.0 / 800.0)


def test_a_view_without_a_count_this_round_does_not_halve_anyone() -> None:
    left, right = shapely.box(0, 0, 60, 40), shapely.box(40, 0, 100, 40)
    zone = shapely.box(0, 0, 100, 40)
    crowd_map = CrowdMap({"a": left, "b": right}, {"z": zone})
    person = np.array([[50.0, 20.0]])  # where both views overlap
    only_a = [CameraCrowd("a", 1.0, left.area, person, np.ones(1))]
    got = crowd_map.zone_crowds(only_a)["z"]
    assert got.people == pytest.approx(1.0)
    assert got.cameras == ("a",)
    both = [*only_a, CameraCrowd("b", 1.0, right.area, person, np.ones(1))]
    assert crowd_map.zone_crowds(both)["z"].people == pytest.approx(1.0)
    assert crowd_map.zone_crowds([])["z"].people == 0.0
