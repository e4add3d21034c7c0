"""The judge against the camera's own normal: natural scenes stay ok, faults are change.

Synthetic pictures with known physics: a still scene carries fresh sensor grain in every frame,
a frozen feed repeats its pixels, tinted light moves the chroma a little, a lost white balance a
lot, a turned camera moves its features, a cover takes a region's detail and layout away.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from gapwatch.vision.baseline import Baseline
from gapwatch.vision.judge import judge
from gapwatch.vision.types import CONFIDENT, Frame, Verdict

U8 = npt.NDArray[np.uint8]


def scene(seed: int = 0) -> npt.NDArray[np.float32]:
    """A detailed colour view with large shapes and fine texture (the scene, without grain)."""
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.integers(40, 210, (12, 16, 3)).astype(np.float32), (640, 480))
    fine = cv2.GaussianBlur(rng.normal(0, 25, (480, 640, 3)).astype(np.float32), (0, 0), 1.2)
    return np.asarray(coarse + fine, np.float32)


def shot(base: npt.NDArray[np.float32], seed: int, grain: float = 2.0) -> U8:
    """One exposure of the scene: fresh sensor grain each time."""
    noise = np.random.default_rng(1000 + seed).normal(0, grain, base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def frames(pictures: list[U8], start: float = 0.0) -> list[Frame]:
    return [Frame(start + 1.5 * n, p) for n, p in enumerate(pictures)]


def learned(base: npt.NDArray[np.float32]) -> Baseline:
    """A baseline taught the way the service teaches one: healthy probes through update()."""
    baseline = Baseline()
    for probe in range(4):
        shots = frames([shot(base, 10 * probe + k) for k in range(3)])
        assert baseline.update(judge(shots, baseline), shots)
    return baseline


def confident(verdict: Verdict, fault: str) -> bool:
    return fault in verdict.faults and verdict.scores[fault] >= CONFIDENT


def test_a_still_scene_is_not_frozen_and_its_stillness_is_in_the_metrics() -> None:
    base = scene()
    verdict = judge(frames([shot(base, k, grain=1.0) for k in range(3)]))
    assert (verdict.status, verdict.faults) == ("ok", []), verdict.scores
    assert verdict.metrics["motion_coarse"] < 0.5  # nothing moved
    assert verdict.metrics["identical_share"] < 0.5  # but the grain did


def test_bit_identical_pictures_seconds_apart_are_frozen() -> None:
    stuck = shot(scene(), 0)
    verdict = judge(frames([stuck, stuck.copy(), stuck.copy()]))
    assert verdict.status == "degraded"
    assert confident(verdict, "frozen")


def test_a_repeated_timestamp_on_a_repeated_picture_is_frozen() -> None:
    base = scene()
    stuck = shot(base, 0)
    # The source sends its last frame again: same timestamp, the picture re-coded in parts.
    resent = []
    for k in range(3):
        picture = stuck.copy()
        picture[: 24 + 8 * k] = shot(base, 50 + k)[: 24 + 8 * k]
        resent.append(picture)
    # The timestamps advanced, then stuck: the source sends its last frame again.
    stamped = [Frame(1.5 * k, p, pts=12.0 if k else 10.5) for k, p in enumerate(resent)]
    stamped = [Frame(0.0, shot(base, 60), pts=9.0), *stamped]
    assert confident(judge(stamped), "frozen")
    assert "frozen" not in judge([Frame(1.5 * k, p) for k, p in enumerate(resent)]).faults
    # Some servers stamp every frame alike: that is no evidence, nor on a moving picture.
    same_stamp = [Frame(1.5 * k, p, pts=0.0) for k, p in enumerate(resent)]
    assert "frozen" not in judge(same_stamp).faults
    moving = [Frame(1.5 * k, shot(base, k), pts=12.0) for k in range(3)]
    assert "frozen" not in judge(moving).faults


def test_unchanged_since_the_last_probe_while_the_camera_should_show_grain_is_frozen() -> None:
    base = scene()
    baseline = learned(base)
    stuck = shot(base, 99)
    # The previous probe minutes ago saw this picture; now the feed repeats it, re-coded.
    earlier = frames([stuck, shot(base, 98), shot(base, 97)])
    baseline.update(judge(earlier, baseline), earlier)
    recoded = [cv2.GaussianBlur(stuck, (3, 3), 0.3) for _ in range(3)]
    assert confident(judge(frames(recoded, 600.0), baseline), "frozen")
    # The same camera still live: fresh grain, however still the scene.
    live = frames([shot(base, 200 + k) for k in range(3)], 600.0)
    assert "frozen" not in judge(live, baseline).faults


def test_tinted_light_is_not_a_colour_cast_but_lost_white_balance_is() -> None:
    base = scene()
    baseline = learned(base)
    warm = base * np.array([0.82, 0.97, 1.15], np.float32)
    verdict = judge(frames([shot(warm, k) for k in range(3)]), baseline)
    assert "color_cast" not in verdict.faults, verdict.metrics
    assert "color_cast" not in judge(frames([shot(warm, k) for k in range(3)])).faults
    cast = base * np.array([0.55, 0.95, 1.4], np.float32)
    assert confident(judge(frames([shot(cast, k) for k in range(3)]), baseline), "color_cast")


def test_dusk_and_fog_against_the_baseline_are_ok() -> None:
    base = scene()
    baseline = learned(base)
    dusk = frames([shot(base * 0.35, k, grain=1.0) for k in range(3)])
    assert judge(dusk, baseline).status == "ok", judge(dusk, baseline).scores
    fog = frames([shot(base * 0.6 + 0.4 * 200, k) for k in range(3)])
    assert judge(fog, baseline).status == "ok", judge(fog, baseline).scores


def test_a_plain_wall_is_a_normal_scene() -> None:
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    wall = np.repeat((150 + 20 * xx / 640 - 10 * yy / 480)[..., None], 3, axis=2)
    wall[330:, :] = 225  # a white table edge
    wall[200:330, 300:330] = (160, 120, 60)  # a bottle
    pictures = [shot(wall, 100 + k, grain=1.0) for k in range(3)]
    assert judge(frames(pictures)).status == "ok", judge(frames(pictures)).scores
    baseline = learned(wall)
    assert judge(frames(pictures), baseline).status == "ok"


def test_a_sheet_of_paper_over_the_lens_is_occluded_not_no_signal() -> None:
    base = scene()
    baseline = learned(base)
    yy, xx = np.mgrid[0:480, 0:640].astype(np.float32)
    paper = np.repeat((190 + 30 * xx / 640 + 15 * yy / 480)[..., None], 3, axis=2)
    # Faint grain: an encoder smooths most of it away on a plain surface.
    verdict = judge(frames([shot(paper, k, grain=0.5) for k in range(3)]), baseline)
    assert verdict.faults == ["occluded"], verdict.scores
    assert verdict.status == "degraded"


def test_a_camera_knocked_sideways_is_shifted_not_occluded() -> None:
    base = scene()
    baseline = learned(base)
    turned = [np.roll(shot(base, k), (30, 90), axis=(0, 1)) for k in range(3)]
    verdict = judge(frames(turned), baseline)
    assert confident(verdict, "shifted"), verdict.scores
    assert "occluded" not in verdict.faults


def test_leaves_in_the_wind_are_not_noise_but_grain_all_over_is() -> None:
    base = scene()

    def windy(seed: int, grain: float = 1.0) -> U8:
        picture = base.copy()
        # The lower half is foliage that looks different in every exposure.
        picture[240:] = scene(50 + seed)[240:]
        return shot(picture, seed, grain=grain)

    baseline = Baseline()
    for probe in range(4):
        shots = frames([windy(10 * probe + k) for k in range(3)])
        baseline.update(judge(shots, baseline), shots)
    assert baseline.knows("day")
    calm_day = judge(frames([windy(100 + k) for k in range(3)]), baseline)
    assert "noise" not in calm_day.faults, calm_day.metrics
    assert "noise" not in judge(frames([windy(110 + k) for k in range(3)])).faults
    noisy = judge(frames([windy(120 + k, grain=12.0) for k in range(3)]), baseline)
    assert confident(noisy, "noise"), noisy.metrics


def test_a_naturally_tinted_camera_is_judged_against_its_own_colour() -> None:
    warm_room = scene() * np.array([0.7, 0.95, 1.3], np.float32)  # tungsten-lit room
    baseline = learned(warm_room)
    verdict = judge(frames([shot(warm_room, 100 + k) for k in range(3)]), baseline)
    assert verdict.status == "ok", verdict.scores
    greener = warm_room * np.array([0.8, 1.5, 0.8], np.float32)
    assert confident(judge(frames([shot(greener, k) for k in range(3)]), baseline), "color_cast")


def test_a_road_with_passing_cars_is_normal_but_a_card_over_the_lens_is_not() -> None:
    base = scene()

    def road(seed: int, cars_at: tuple[int, ...]) -> U8:
        picture = base.copy()
        picture[200:440] = 90.0  # plain asphalt across the lower half
        for x in cars_at:  # cars seen from above: bright bodies with dark windows
            picture[220:420, x : x + 150] = (200, 200, 210)
            picture[250:300, x + 20 : x + 130] = (30, 30, 40)
            picture[340:390, x + 20 : x + 130] = (30, 30, 40)
        return shot(picture, seed)

    baseline = Baseline()
    traffic = ((0, 320), (160, 480), (), (0, 480), ())
    for probe, cars_at in enumerate(traffic):
        shots = frames([road(10 * probe + k, cars_at) for k in range(3)])
        assert baseline.update(judge(shots, baseline), shots)
    for cars_at in ((), (240,), (80, 400)):
        verdict = judge(frames([road(200 + k, cars_at) for k in range(3)]), baseline)
        assert verdict.status == "ok", (cars_at, verdict.scores)
    card = [road(300 + k, ()) for k in range(3)]
    for picture in card:
        picture[:, :400] = 45  # a dark card over the left of the lens
    assert confident(judge(frames(card), baseline), "occluded")
