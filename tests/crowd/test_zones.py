"""Zone crowds: people seen by overlapping views are counted once."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
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
    union = shapely.union_all(views)
    inside = [
        p for p in people if union.contains(shapely.Point(p)) and zone.contains(shapely.Point(p))
    ]
    assert got.people == pytest.approx(len(inside), abs=1e-9)
    assert got.watched_m2 == pytest.approx(shapely.intersection(union, zone).area, rel=1e-9)


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
