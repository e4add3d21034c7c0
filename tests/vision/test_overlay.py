"""Burned-in clock and name: found, and kept from deciding anything."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gapwatch.vision.baseline import analysis_keep
from gapwatch.vision.judge import judge
from gapwatch.vision.overlay import find_overlay
from gapwatch.vision.types import Frame

U8 = npt.NDArray[np.uint8]


def scene(seed: int = 0) -> U8:
    """A 640×480 colour picture with sharp shapes and no pixel noise, standing in for a view."""
    rng = np.random.default_rng(seed)
    out = np.asarray(
        cv2.resize(rng.integers(60, 190, (6, 8, 3)).astype(np.uint8), (640, 480)), np.uint8
    )
    for _ in range(120):
        x, y = int(rng.integers(0, 620)), int(rng.integers(60, 440))
        w, h = (int(v) for v in rng.integers(4, 40, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, -1)
    return out


def burn_clock(image: U8, second: int) -> U8:
    out = image.copy()
    text = f"2026-07-30 21:07:{second:02d}"
    cv2.putText(out, text, (18, 34), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (0, 0, 0), 5, cv2.LINE_AA)
    cv2.putText(out, text, (18, 34), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (255, 255, 255), 2)
    cv2.putText(out, "CAM-017", (500, 460), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
    return out


def grey(image: U8) -> U8:
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)


def test_clock_and_name_are_found_where_they_are_drawn() -> None:
    frames = [burn_clock(scene(), s) for s in (3, 4, 5)]
    mask = find_overlay([grey(f) for f in frames])
    assert mask[20:32, 25:250].mean() > 0.9  # the clock line
    assert mask[445:458, 505:590].mean() > 0.9  # the camera name
    assert mask[100:400, 100:450].mean() == 0.0  # the scene itself is left alone
    assert mask.mean() < 0.08


def test_a_scene_without_text_has_no_overlay() -> None:
    mask = find_overlay([grey(scene(s)) for s in (1, 2, 3)])
    assert mask.mean() < 0.01


def test_frozen_picture_with_ticking_clock_is_frozen() -> None:
    still = scene()
    frames = [Frame(float(t), burn_clock(still, 10 + 2 * t)) for t in range(3)]
    verdict = judge(frames)
    assert verdict.faults == ["frozen"]
    assert verdict.status == "degraded"


def test_live_picture_with_ticking_clock_is_not_frozen() -> None:
    frames = [Frame(float(t), burn_clock(scene(t), 10 + 2 * t)) for t in range(3)]
    assert "frozen" not in judge(frames).faults


def test_black_screen_with_text_is_black() -> None:
    black = np.full((480, 640, 3), 5, np.uint8)
    frames = [Frame(float(t), burn_clock(black, t)) for t in range(3)]
    verdict = judge(frames)
    assert verdict.faults == ["black"]


def test_text_is_found_at_full_size_and_masked_at_analysis_size() -> None:
    frames = [burn_clock(scene(), s) for s in (3, 4, 5)]
    keep = analysis_keep(frames, (240, 320))
    assert keep.shape == (240, 320)
    assert not keep[10:16, 12:118].any()  # the clock, at half size
    assert keep[60:200, 60:220].all()
