"""People counted in the probe path: healthy verdicts with a background and a pose only."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from gapwatch.crowd import CameraPose
from gapwatch.vision import Frame, ProbePool
from gapwatch.vision.baseline import Baseline

POSE = CameraPose(0.0, 0.0, 6.0, 0.0, 25.0, 60.0, 640, 480)
PEOPLE = 5


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An empty textured scene (PNG) and a clip of it with five people walking across (mp4)."""
    out = tmp_path_factory.mktemp("crowd")
    heights = POSE.person_heights()
    rng = np.random.default_rng(1)
    empty = np.zeros((480, 640, 3), np.uint8)
    for _ in range(60):
        x, y = (int(v) for v in rng.integers(0, 600, 2))
        size = (int(v) for v in rng.integers(10, 80, 2))
        colour = tuple(int(c) for c in rng.integers(60, 200, 3))
        w, h = size
        cv2.rectangle(empty, (x, y % 470), (x + w, y % 470 + h), colour, -1)
    empty = np.asarray(cv2.GaussianBlur(empty, (3, 3), 0), np.uint8)
    cv2.imwrite(str(out / "empty.png"), empty)
    writer = cv2.VideoWriter(
        str(out / "people.mp4"), cv2.VideoWriter.fourcc(*"mp4v"), 10, (640, 480)
    )
    for f in range(50):
        noise = rng.integers(-3, 4, empty.shape)
        picture = np.clip(empty.astype(np.int16) + noise, 0, 255).astype(np.uint8)
        for k in range(PEOPLE):
            feet = 300 + 25 * k
            tall = round(heights[feet])
            wide = max(2, round(0.25 * tall))
            u = 80 + 100 * k + f
            picture[feet - tall : feet, u : u + wide] = (30, 30, 40)
        writer.write(picture)
    writer.release()
    return out / "empty.png", out / "people.mp4"


def test_a_healthy_probe_counts_the_people_against_the_background(
    scene: tuple[Path, Path], judged_pool: ProbePool
) -> None:
    empty, clip = scene
    result = judged_pool.probe(str(clip), baseline=Baseline.from_image(empty), pose=POSE)
    assert (result.status, result.faults) == ("ok", [])
    assert result.crowd is not None and result.crowd.counted
    assert result.crowd.people == pytest.approx(PEOPLE, abs=1.0)
    # Feet come back in the pose's pixels, on the rows the people stand on.
    assert sorted(round(b.v / 25) * 25 for b in result.crowd.blobs) == [300, 325, 350, 375, 400]


def test_the_pose_names_the_pixels_whatever_size_is_decoded(
    scene: tuple[Path, Path], judged_pool: ProbePool
) -> None:
    empty, clip = scene
    big = CameraPose(0.0, 0.0, 6.0, 0.0, 25.0, 60.0, 1280, 960)
    result = judged_pool.probe(str(clip), baseline=Baseline.from_image(empty), pose=big)
    assert result.crowd is not None
    assert max(b.v for b in result.crowd.blobs) == pytest.approx(800, abs=20)


def test_no_count_without_a_pose_or_without_a_background(
    scene: tuple[Path, Path], judged_pool: ProbePool
) -> None:
    empty, clip = scene
    assert judged_pool.probe(str(clip), baseline=Baseline.from_image(empty)).crowd is None
    assert judged_pool.probe(str(clip), baseline=None, pose=POSE).crowd is None
    assert judged_pool.probe(str(clip), baseline=Baseline(), pose=POSE).crowd is None


def test_a_faulty_picture_gives_no_count(clip_dir: Path, judged_pool: ProbePool) -> None:
    background = Baseline()
    background.learn(first_frame(clip_dir / "clean_day.mp4"))
    black = judged_pool.probe(str(clip_dir / "fault_black.mp4"), baseline=background, pose=POSE)
    assert black.status == "degraded"
    assert black.crowd is None


def first_frame(clip: Path) -> list[Frame]:
    capture = cv2.VideoCapture(str(clip))
    ok, image = capture.read()
    capture.release()
    assert ok
    return [Frame(0.0, np.asarray(image, np.uint8))]
