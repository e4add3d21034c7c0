"""Per-camera baselines: day and night apart, only healthy samples learned, stored and read."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gapwatch.vision.baseline import Baseline, BaselineError, picture_mode
from gapwatch.vision.types import Frame, Verdict

U8 = npt.NDArray[np.uint8]


def day_picture(seed: int = 0) -> U8:
    rng = np.random.default_rng(seed)
    coarse = cv2.resize(rng.integers(30, 220, (24, 32, 3)).astype(np.float32), (640, 480))
    fine = cv2.GaussianBlur(rng.normal(0, 25, (480, 640, 3)).astype(np.float32), (0, 0), 1.2)
    return np.clip(coarse + fine, 0, 255).astype(np.uint8)


def night_picture(seed: int = 0) -> U8:
    g = cv2.cvtColor(day_picture(seed), cv2.COLOR_BGR2GRAY) // 2 + 20
    return np.asarray(cv2.merge([g, g, g]), np.uint8)


def test_picture_mode_tells_colour_from_infrared() -> None:
    assert picture_mode(day_picture()) == "day"
    assert picture_mode(night_picture()) == "night"


def test_day_and_night_are_learned_separately() -> None:
    b = Baseline()
    assert b.learn([Frame(0.0, day_picture(1)), Frame(1.0, day_picture(2))]) == 2
    assert b.knows("day") and not b.knows("night")
    b.learn([Frame(0.0, night_picture(1))])
    assert b.day.samples == 2 and b.night.samples == 1
    assert b.night.mean("brightness") < b.day.mean("brightness")
    assert b.day.stats["sharpness"].n == 2


def test_only_healthy_verdicts_update() -> None:
    b = Baseline()
    frames = [Frame(0.0, day_picture())]
    assert not b.update(Verdict("degraded", ["blur"]), frames)
    assert b.day.samples == 0
    assert b.update(Verdict("ok", []), frames)
    assert b.day.samples == 1


def test_round_trip_through_dict_and_bytes() -> None:
    b = Baseline()
    b.learn([Frame(0.0, day_picture(3)), Frame(0.0, night_picture(4))])
    back = Baseline.from_bytes(b.to_bytes())
    for mode in ("day", "night"):
        old, new = b.mode(mode), back.mode(mode)
        assert new.samples == old.samples
        assert old.reference is not None and new.reference is not None
        assert np.array_equal(new.reference, old.reference)  # PNG is lossless
        assert new.mean("sharpness") == pytest.approx(old.mean("sharpness"))
        assert new.texture is not None and old.texture is not None
        assert np.allclose(new.texture, old.texture, atol=1e-3)
    assert Baseline.from_dict(b.to_dict()).to_dict() == b.to_dict()


def test_reset_forgets_one_mode_or_both() -> None:
    b = Baseline()
    b.learn([Frame(0.0, day_picture()), Frame(0.0, night_picture())])
    b.reset("night")
    assert b.knows("day") and not b.knows("night")
    b.reset()
    assert not b.knows("day")


def test_from_image_and_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "ref.png"
    cv2.imwrite(str(path), day_picture())
    assert Baseline.from_image(path).knows("day")
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not a picture")
    with pytest.raises(BaselineError, match=r"junk\.png"):
        Baseline.from_image(junk)
    tiny = tmp_path / "tiny.png"
    cv2.imwrite(str(tiny), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(BaselineError, match="too small"):
        Baseline.from_image(tiny)
    with pytest.raises(BaselineError):
        Baseline.from_bytes(b"\xff\x00")
    with pytest.raises(BaselineError, match="format"):
        Baseline.from_dict({"format": 99})


def test_the_reference_is_the_median_of_recent_healthy_pictures() -> None:
    b = Baseline()
    pictures = [day_picture(7) for _ in range(3)]
    car = pictures[1].copy()
    car[200:300, 100:300] = (20, 20, 200)  # a red car passing in one picture only
    pictures[1] = car
    for k, picture in enumerate(pictures):
        b.learn([Frame(float(k), picture)])
    reference = b.day.reference
    assert reference is not None
    clean = cv2.cvtColor(cv2.resize(day_picture(7), (320, 240), interpolation=cv2.INTER_AREA),
                         cv2.COLOR_BGR2GRAY)  # fmt: skip
    assert np.abs(reference.astype(int) - clean.astype(int)).max() <= 1  # the car is not normal
    mobile = b.day.mobile
    assert mobile is not None
    assert mobile[13:18, 7:18].mean() > 0.8  # the blocks the car passed (8 px at 320 wide)
    assert mobile[:10].mean() < 0.05  # the rest holds still
    for _ in range(10):
        b.learn([Frame(0.0, day_picture(7))])
    assert len(b.day.stack) == 5  # only the latest healthy pictures are kept


def test_stored_pictures_round_trip_and_older_baselines_still_load() -> None:
    b = Baseline()
    for seed in range(3):
        b.learn([Frame(0.0, day_picture(seed))])
    back = Baseline.from_bytes(b.to_bytes())
    assert len(back.day.stack) == 3
    assert back.day.mobile is not None and b.day.mobile is not None
    assert np.array_equal(back.day.mobile, b.day.mobile)
    older = b.to_dict()
    del older["day"]["stack_png"]  # stored before the pictures were kept
    restored = Baseline.from_dict(older)
    assert restored.day.reference is not None and b.day.reference is not None
    assert np.array_equal(restored.day.reference, b.day.reference)
    assert restored.day.learned("temporal_grain") is None  # learned from now on
