"""People counted in a probe's picture, on healthy verdicts only, against the learned background.

The probe already holds decoded frames and the camera's baseline; its reference picture of the
picture's mode (day or night) is the empty scene the counter compares against. The reference is
taken *before* the judge teaches the baseline with this probe's frames, so the people in them
are not already part of the background they are counted against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from gapwatch.crowd import CameraPose, CrowdCount, PersonBlob, count_people
from gapwatch.vision.types import Frame, Verdict

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline

__all__ = ["Backgrounds", "backgrounds_of", "count_crowd"]

U8 = npt.NDArray[np.uint8]

Backgrounds = tuple["U8 | None", "U8 | None"]
"""The baseline's reference pictures (day, night) as they were before the probe's judging."""


def backgrounds_of(baseline: Baseline | None) -> Backgrounds:
    """The reference pictures to count against, held before the judge updates the baseline."""
    if baseline is None:
        return (None, None)
    # learn() replaces the arrays rather than writing into them: holding them is enough.
    return (baseline.day.reference, baseline.night.reference)


@lru_cache(maxsize=4096)
def _heights(pose: CameraPose) -> npt.NDArray[np.float64]:
    return pose.person_heights()


def count_crowd(
    frames: Sequence[Frame], verdict: Verdict, backgrounds: Backgrounds, pose: CameraPose
) -> CrowdCount | None:
    """People in the probe's middle frame, blobs in the pose's pixels; None when not counted.

    Only a healthy verdict (ok, no fault) with a learned background of the picture's mode is
    counted: a faulty or unknown picture says nothing about people.
    """
    from gapwatch.vision.baseline import picture_mode
    from gapwatch.vision.metrics import downscale

    if verdict.status != "ok" or verdict.faults or not frames:
        return None
    picture = frames[len(frames) // 2].image
    day, night = backgrounds
    background = night if picture_mode(downscale(picture)) == "night" else day
    if background is None:
        return None
    counted = count_people(picture, background, _heights(pose))
    if not counted.counted:
        return counted
    # Blob feet come back in the decoded picture's pixels; the pose may name another size.
    sx = pose.width / picture.shape[1]
    sy = pose.height / picture.shape[0]
    blobs = tuple(PersonBlob(u=b.u * sx, v=b.v * sy, people=b.people) for b in counted.blobs)
    return replace(counted, blobs=blobs)
