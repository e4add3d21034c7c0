"""The judge on synthetic frames: the cases that follow from its rules, not from tuning."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from gapwatch.vision.baseline import Baseline
from gapwatch.vision.judge import REASONS, decide, judge
from gapwatch.vision.types import CONFIDENT, FAULT_CODES, Frame

U8 = npt.NDArray[np.uint8]


def view(seed: int) -> U8:
    """A detailed colour scene that changes a little from seed to seed (people walking)."""
    rng = np.random.default_rng(0)
    coarse = cv2.resize(rng.integers(30, 220, (24, 32, 3)).astype(np.float32), (640, 480))
    fine = cv2.GaussianBlur(rng.normal(0, 30, (480, 640, 3)).astype(np.float32), (0, 0), 1.0)
    out = np.clip(coarse + fine, 0, 255).astype(np.uint8)
    walker = np.random.default_rng(seed)
    for _ in range(6):
        x, y = (int(v) for v in walker.integers(0, 600, 2))
        cv2.rectangle(out, (x, y % 440), (x + 20, y % 440 + 40), (30, 30, 30), -1)
    return out


def frames_of(pictures: list[U8]) -> list[Frame]:
    return [Frame(1.5 * n, p) for n, p in enumerate(pictures)]


def test_no_frames_is_offline_no_signal_with_a_reason() -> None:
    verdict = judge([])
    assert verdict.status == "offline"
    assert verdict.faults == ["no_signal"]
    assert verdict.reason is not None and "未读取" in verdict.reason


def test_healthy_view_is_ok_and_carries_its_metrics() -> None:
    verdict = judge(frames_of([view(s) for s in range(3)]))
    assert verdict.status == "ok", verdict
    assert verdict.faults == []
    assert verdict.reason is None
    for key in ("brightness", "sharpness", "noise", "motion_coarse", "cast_k", "uniformity"):
        assert key in verdict.metrics


def test_uniform_no_video_screen_is_offline() -> None:
    blue = np.full((480, 640, 3), (170, 60, 10), np.uint8)
    cv2.putText(blue, "NO VIDEO", (220, 250), cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 3)
    verdict = judge(frames_of([blue, blue.copy(), blue.copy()]))
    assert (verdict.status, verdict.faults) == ("offline", ["no_signal"])
    assert verdict.reason is not None and "/" in verdict.reason  # English / 中文


def test_one_frame_cannot_show_a_freeze() -> None:
    assert "frozen" not in judge([Frame(0.0, view(0))]).faults


def test_blur_is_judged_against_the_cameras_own_sharpness() -> None:
    baseline = Baseline()
    baseline.learn(frames_of([view(s) for s in range(3)]))
    soft = [cv2.GaussianBlur(view(s), (0, 0), 4.0) for s in range(3, 6)]
    assert "blur" in judge(frames_of(soft), baseline).faults
    assert judge(frames_of([view(s) for s in range(6, 9)]), baseline).faults == []


def test_dusk_is_not_blur() -> None:
    baseline = Baseline()
    baseline.learn(frames_of([view(s) for s in range(3)]))
    dusk = [(view(s).astype(np.float32) * 0.45).astype(np.uint8) for s in range(3, 6)]
    assert "blur" not in judge(frames_of(dusk), baseline).faults


def test_a_cover_over_half_the_view_is_occluded_against_the_cameras_own_picture() -> None:
    baseline = Baseline()
    baseline.learn(frames_of([view(s) for s in range(3)]))
    covered = []
    for s in range(3, 6):
        picture = view(s)
        picture[:, :360] = (70, 72, 75)  # a plain board over the left part
        covered.append(picture)
    verdict = judge(frames_of(covered), baseline)
    assert (verdict.status, verdict.faults) == ("degraded", ["occluded"])
    # Without the camera's own picture half a plain picture is a plain wall, not a cover.
    assert "occluded" not in judge(frames_of(covered)).faults


def test_turned_camera_is_shifted_only_with_a_reference() -> None:
    baseline = Baseline()
    baseline.learn([Frame(0.0, view(0))])
    turned = [np.roll(view(s), (40, 70), axis=(0, 1)) for s in range(3)]
    assert "shifted" not in judge(frames_of(turned)).faults
    verdict = judge(frames_of(turned), baseline)
    assert "shifted" in verdict.faults
    assert verdict.metrics["shift_displacement"] > 0.04


def test_decide_orders_whole_picture_faults_first() -> None:
    dark = {"frames": 3.0, "dark_share": 0.99, "brightness": 4.0, "motion_coarse": 0.0}
    assert decide(dark | {"span_s": 3.0}) == ["black"]  # black, not also frozen
    assert decide({"frames": 0.0}) == ["no_signal"]


def test_every_fault_has_a_reason_in_both_languages() -> None:
    for code in FAULT_CODES:
        en, zh = REASONS[code]
        assert en and zh and en != zh


def test_frames_too_small_to_judge_are_unknown_not_an_outage() -> None:
    verdict = judge([Frame(0.0, np.zeros((8, 8, 3), np.uint8))])
    assert (verdict.status, verdict.faults) == ("unknown", [])
    assert verdict.reason is not None and "too small" in verdict.reason


def test_grey_and_mixed_size_frames_are_judged() -> None:
    grey = np.asarray(cv2.cvtColor(view(0), cv2.COLOR_BGR2GRAY), np.uint8)
    verdict = judge([Frame(0.0, grey), Frame(1.5, view(1)), Frame(3.0, view(2)[:200, :300])])
    assert verdict.status in ("ok", "degraded")
    assert verdict.metrics["frames"] == 2.0  # a frame of another size is left out


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(32, 120),
    width=st.integers(32, 160),
    level=st.integers(0, 255),
    spread=st.integers(0, 120),
    count=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_any_picture_gets_a_well_formed_verdict(
    height: int, width: int, level: int, spread: int, count: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    frames = []
    for n in range(count):
        noise = rng.normal(0, spread, (height, width, 3))
        image = np.clip(level + noise, 0, 255).astype(np.uint8)
        frames.append(Frame(float(n), image))
    verdict = judge(frames)
    assert set(verdict.faults) <= set(FAULT_CODES)
    assert (verdict.status == "ok") <= (not verdict.faults)
    assert bool(verdict.faults) <= (verdict.status != "ok")
    if verdict.status == "offline":
        assert verdict.faults == ["no_signal"]
    assert set(verdict.scores) == set(FAULT_CODES)
    assert all(0.0 <= v <= 1.0 for v in verdict.scores.values())
    listed = [verdict.scores[f] for f in verdict.faults]
    assert all(v >= 0.5 for v in listed)
    # A verdict opens alerts only when sure: degraded/offline need a confident fault.
    if verdict.status in ("degraded", "offline"):
        assert max(listed) >= CONFIDENT
    if verdict.status == "unknown":
        assert max(listed) < CONFIDENT
    assert all(np.isfinite(v) for v in verdict.metrics.values())
