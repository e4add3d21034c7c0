"""People counting against an empty-scene background, on drawn scenes with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from gapwatch.crowd import CameraPose, count_people

POSE = CameraPose(0.0, 0.0, 6.0, 0.0, 25.0, 60.0, 640, 480)
HEIGHTS = POSE.person_heights()


def _ground(seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.full((480, 640), 150, np.int16) + rng.integers(-6, 7, (480, 640))
    return np.clip(base, 0, 255).astype(np.uint8)


def _person(img: np.ndarray, u: int, feet: int, *, grey: int = 40) -> None:
    """A silhouette as tall as a person standing there, a quarter as wide (area ≈ 0.25 h²)."""
    h = round(HEIGHTS[feet])
    w = max(2, round(0.25 * h))
    img[feet - h : feet, u - w // 2 : u - w // 2 + w] = grey


@pytest.mark.parametrize("people", [0, 1, 4, 9])
def test_separate_people_are_each_counted_once(people: int) -> None:
    bg = _ground()
    pic = _ground(2)
    spots = [(60 + 65 * i, 300 + 18 * (i % 5)) for i in range(people)]
    for u, feet in spots:
        _person(pic, u, feet)
    got = count_people(pic, bg, HEIGHTS)
    assert got.counted
    assert got.people == pytest.approx(people, abs=0.25 * people + 0.01)
    assert len(got.blobs) == people


def test_a_group_merged_into_one_blob_still_counts_as_several() -> None:
    bg, pic = _ground(), _ground(2)
    h = round(HEIGHTS[400])
    for k in range(3):  # shoulder to shoulder
        _person(pic, 300 + k * round(0.25 * h), 400)
    got = count_people(pic, bg, HEIGHTS)
    assert len(got.blobs) == 1
    assert got.people == pytest.approx(3.0, abs=0.6)


def test_litter_and_small_changes_are_nobody() -> None:
    bg, pic = _ground(), _ground(2)
    pic[440:446, 100:130] = 30  # a bag on the ground: far too short for a person there
    pic[200:203, 400:403] = 250  # a speck
    assert count_people(pic, bg, HEIGHTS).people == 0


def test_a_changed_scene_cannot_be_counted() -> None:
    bg = _ground()
    pic = np.full_like(bg, 20)  # lights off, camera moved: most of the picture differs
    got = count_people(pic, bg, HEIGHTS)
    assert not got.counted and got.people == 0


def test_ground_that_always_moves_needs_a_larger_difference() -> None:
    bg, pic = _ground(), _ground(2)
    pic[300:420, 100:140] = np.clip(pic[300:420, 100:140].astype(int) + 40, 0, 255)  # ripples
    spread = np.zeros(bg.shape, np.float32)
    spread[280:440, 80:160] = 20.0  # this patch of water usually moves by 20 grey levels
    assert count_people(pic, bg, HEIGHTS).people >= 1
    assert count_people(pic, bg, HEIGHTS, spread=spread).people == 0


def test_blob_positions_come_back_in_picture_pixels() -> None:
    bg, pic = _ground(), _ground(2)
    _person(pic, 500, 450)
    (blob,) = count_people(pic, bg, HEIGHTS).blobs
    assert blob.u == pytest.approx(500, abs=4)
    assert blob.v == pytest.approx(450, abs=4)
