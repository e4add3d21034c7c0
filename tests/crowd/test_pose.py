"""Camera pose: pixels to ground and back, and the picture height of a standing person."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapwatch.crowd import PERSON_HEIGHT_M, CameraPose

poses = st.builds(  # from a low oblique view to looking straight down
    CameraPose,
    x=st.floats(-1000, 1000),
    y=st.floats(-1000, 1000),
    height_m=st.floats(1.5, 60),
    heading_deg=st.floats(0, 360),
    tilt_deg=st.floats(5, 90),
    hfov_deg=st.floats(20, 120),
    width=st.sampled_from([320, 640, 1920]),
    height=st.sampled_from([240, 480, 1080]),
)


@settings(max_examples=60, deadline=None)
@given(pose=poses, fu=st.floats(0.05, 0.95), fv=st.floats(0.05, 0.95))
def test_a_ground_point_projects_back_to_its_pixel(pose: CameraPose, fu: float, fv: float) -> None:
    u, v = fu * pose.width, fv * pose.height
    ground = pose.ground_points([u], [v])
    if not np.isfinite(ground).all():
        return  # above the horizon: no ground there
    back = pose.pixels(np.array([[ground[0, 0], ground[0, 1], 0.0]]))
    assert back[0] == pytest.approx([u, v], abs=1e-6 * max(pose.width, pose.height) + 1e-6)


def test_the_picture_centre_of_a_camera_looking_down_lies_below_it() -> None:
    pose = CameraPose(10.0, -5.0, 12.0, 37.0, 90.0, 60.0, 640, 480)
    ground = pose.ground_points([320], [240])[0]
    assert ground == pytest.approx([10.0, -5.0], abs=1e-9)


def test_the_optical_axis_meets_the_ground_at_height_over_tan_tilt() -> None:
    pose = CameraPose(0.0, 0.0, 6.0, 90.0, 30.0, 60.0, 640, 480)  # looking east
    x, y = pose.ground_points([320], [240])[0]
    assert x == pytest.approx(6.0 / math.tan(math.radians(30.0)))
    assert y == pytest.approx(0.0, abs=1e-9)


def test_people_look_taller_nearer_the_camera_and_none_stand_above_the_horizon() -> None:
    pose = CameraPose(0.0, 0.0, 5.5, 0.0, 0.0, 60.0, 768, 576)  # level: horizon mid-picture
    heights = pose.person_heights()
    ground = np.isfinite(heights)
    assert not ground.all() and ground[-1]  # the horizon is in the picture
    rows = heights[ground]
    assert (np.diff(rows) > 0).all()
    # a level camera over flat ground: a person's picture height is their share of the mount
    # height times the distance of their feet below the horizon, exactly
    for row in (300, 400, 575):
        assert heights[row] == pytest.approx((row + 0.5 - 288) * PERSON_HEIGHT_M / 5.5)


def test_resampled_heights_scale_with_the_picture() -> None:
    pose = CameraPose(0.0, 0.0, 8.0, 0.0, 30.0, 60.0, 1920, 1080)
    full = pose.person_heights()
    small = pose.person_heights(240)
    assert small[-1] == pytest.approx(full[-1] * 240 / 1080, rel=0.02)
