"""Count people in one healthy picture against the camera's empty-scene background.

The probe already decodes a few frames of every camera and the judge keeps each camera's
learned normal picture; people are what differs from it. The foreground is cut into blobs, and
each blob counts as its area over the area of one person at the row its feet stand on (from the
camera's pose), so a group merged into one blob still counts as several. Blobs far too short
for a person there (leaves, litter, shadows) or far too tall (a vehicle close by, a changed
scene) count as nobody. It costs a few milliseconds at 320 px, against about 200 ms of CPU for
the probe's decoding.

Where it fails (measured in bench/crowd_accuracy.py): dense crowds that hide the ground (the
background difference saturates), night pictures whose noise passes as foreground, and people
standing still long enough to be learned into the background.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["ANALYSIS_WIDTH", "CountSettings", "CrowdCount", "PersonBlob", "count_people"]

ANALYSIS_WIDTH = 320

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CountSettings:
    """Thresholds of the counter; chosen on the tune split of bench/crowd_accuracy.py."""

    difference: int = 25  # grey levels a pixel must differ from the background by
    area_per_person: float = 0.25  # a person's blob area as a share of (person height)²
    shortest: float = 0.45  # shorter blobs than this share of a person's height are not people
    tallest: float = 2.5  # taller blobs are not people (vehicles, a moved camera)
    least: float = 0.35  # a blob worth less than this share of one person is dropped
    busiest: float = 0.5  # above this foreground share the picture cannot be counted
    spread_k: float = 3.0  # a pixel must also differ by this many of its own usual deviations


@dataclass(frozen=True)
class PersonBlob:
    """One foreground blob: where its feet are (picture pixels) and how many people it holds."""

    u: float
    v: float
    people: float


@dataclass(frozen=True)
class CrowdCount:
    """People seen in one picture; `counted` is False when the picture could not be counted."""

    people: float
    blobs: tuple[PersonBlob, ...] = field(default_factory=tuple)
    foreground_share: float = 0.0
    counted: bool = True


def _grey(image: U8, width: int) -> U8:
    import cv2

    g = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    if g.shape[1] != width:
        h = max(1, round(g.shape[0] * width / g.shape[1]))
        g = cv2.resize(g, (width, h), interpolation=cv2.INTER_AREA)
    return np.asarray(g, dtype=np.uint8)


def count_people(
    picture: U8,
    background: U8,
    person_heights: F64,
    *,
    spread: npt.NDArray[np.floating] | None = None,
    settings: CountSettings | None = None,
) -> CrowdCount:
    """People in `picture` (BGR or grey) against `background` (the empty scene).

    `person_heights[row]` is the height in pixels of a standing person whose feet are on that
    row (NaN above the horizon), as `CameraPose.person_heights()` gives it for the camera's
    picture; given for any picture height, it is rescaled to the analysis size. `spread` is
    the background's usual per-pixel deviation (grey levels, any size): where the empty scene
    itself moves (leaves, water, flags) a pixel must differ by `spread_k` of it as well. Blob
    positions come back in the picture's own pixels.
    """
    # OpenCV is loaded on the first count, not on import: the alert core reads the crowd's
    # types and priorities without it.
    import cv2

    s = settings or CountSettings()
    frame = _grey(picture, ANALYSIS_WIDTH)
    ground = _grey(background, ANALYSIS_WIDTH)
    if ground.shape != frame.shape:
        ground = np.asarray(
            cv2.resize(ground, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_AREA),
            dtype=np.uint8,
        )
    rows = frame.shape[0]
    heights = np.asarray(person_heights, dtype=np.float64)
    if heights.shape[0] != rows:  # given for another picture height: resample and rescale
        src = (np.arange(heights.shape[0]) + 0.5) / heights.shape[0]
        dst = (np.arange(rows) + 0.5) / rows
        heights = np.interp(dst, src, heights) * (rows / heights.shape[0])
    limit: npt.NDArray[np.float32] | float = float(s.difference)
    if spread is not None:
        sp = np.asarray(spread, dtype=np.float32)
        if sp.shape != frame.shape:
            size = (frame.shape[1], frame.shape[0])
            sp = np.asarray(cv2.resize(sp, size, interpolation=cv2.INTER_AREA), np.float32)
        limit = np.maximum(np.float32(s.difference), np.float32(s.spread_k) * sp)
    mask = (cv2.absdiff(frame, ground) > limit).astype(np.uint8)
    share = float(mask.mean())
    if share > s.busiest:
        return CrowdCount(people=0.0, foreground_share=share, counted=False)
    mask = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)))
    mask = np.asarray(cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 3), np.uint8)))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    back = picture.shape[1] / ANALYSIS_WIDTH
    blobs: list[PersonBlob] = []
    for j in range(1, n):
        x, y, w, h, area = (int(val) for val in stats[j])
        foot = min(rows - 1, y + h - 1)
        tall = float(heights[foot])
        if not np.isfinite(tall) or tall < 2.0:
            continue  # feet above the horizon or too far away to be counted
        if h < s.shortest * tall or h > s.tallest * tall:
            continue
        people = area / (s.area_per_person * tall * tall)
        if people < s.least:
            continue
        if h >= 0.7 * tall:
            people = max(1.0, people)  # a whole person's height is at least one person
        blobs.append(PersonBlob(u=(x + w / 2.0) * back, v=(y + h) * back, people=people))
    return CrowdCount(
        people=float(sum(b.people for b in blobs)), blobs=tuple(blobs), foreground_share=share
    )
