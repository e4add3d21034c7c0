"""Find the text a camera burns into its picture (clock, camera name) so it decides nothing.

On-screen text is drawn after the optics: it stays sharp when the lens is blurred, keeps ticking
when the picture freezes and stays visible on a black screen. It is made of thin strokes that are
near-white (or near-black) against their surroundings, set in short horizontal lines, and it sits
in the same place in every sample. Those three traits pick it out of a scene.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from gapwatch.vision.metrics import as_u8

__all__ = ["OVERLAY_WIDTH", "find_overlay", "text_strokes"]

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]

OVERLAY_WIDTH = 640
"""Text is looked for at this width: at 320 px a camera's clock digits are only 5-6 px tall."""

_MAX_SHARE = 0.25  # more "text" than this is a pattern in the scene, not an overlay


def text_strokes(g: U8) -> tuple[Mask, Mask]:
    """Pixels that may be strokes of burned-in text: thin, contrasted, near-white / near-black."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    white = (cv2.morphologyEx(g, cv2.MORPH_TOPHAT, k) > 70) & (g > 200)
    black = (cv2.morphologyEx(g, cv2.MORPH_BLACKHAT, k) > 70) & (g < 50)
    return white, black


def _text_lines(strokes: Mask) -> Mask:
    """Group strokes into boxes shaped like lines of text."""
    out = np.zeros(strokes.shape, bool)
    if np.count_nonzero(strokes) < 24:  # fewer stroke pixels than one short word
        return out
    lines = cv2.morphologyEx(
        strokes.astype(np.uint8),
        cv2.MORPH_CLOSE,
        cv2.getStructuringElement(cv2.MORPH_RECT, (11, 3)),
    )
    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    ws, hs = stats[1:, cv2.CC_STAT_WIDTH], stats[1:, cv2.CC_STAT_HEIGHT]
    # Shaped like a line of text: 7-48 px tall, at least twice as wide and 24 px long.
    shaped = np.flatnonzero((hs >= 7) & (hs <= 48) & (ws >= 2 * hs) & (ws >= 24)) + 1
    for n in shaped:
        x, y, w, h = (int(v) for v in stats[n, :4])
        box = strokes[y : y + h, x : x + w]
        density = float(box.mean())
        if not 0.08 <= density <= 0.85:
            continue
        # Characters: several separate strokes across the line, not one long bar.
        pieces = cv2.connectedComponents(box.astype(np.uint8))[0] - 1
        if pieces < 3:
            continue
        out[y : y + h, x : x + w] = True
    return out


def find_overlay(greys: Sequence[U8]) -> Mask:
    """Where the burned-in text is, as a mask the size of the given grey frames.

    Looks at each frame at up to OVERLAY_WIDTH pixels wide and keeps text lines found in at
    least half of the frames (the clock's digits change; the line they sit in does not).
    """
    if not greys:
        raise ValueError("find_overlay needs at least one frame")
    h, w = greys[0].shape
    scale = min(1.0, OVERLAY_WIDTH / w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    votes = np.zeros((size[1], size[0]), np.int32)
    for g in greys:
        small = g if scale == 1.0 else as_u8(cv2.resize(g, size, interpolation=cv2.INTER_AREA))
        white, black = text_strokes(small)
        votes += _text_lines(white) | _text_lines(black)
    need = max(1, (len(greys) + 1) // 2)
    stable = (votes >= need).astype(np.uint8)
    if not stable.any() or stable.mean() > _MAX_SHARE:
        return np.zeros((h, w), bool)
    # Pad a little: anti-aliased edges and outlines spill past the strokes.
    stable = as_u8(cv2.dilate(stable, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 7))))
    if size != (w, h):
        stable = as_u8(cv2.resize(stable, (w, h), interpolation=cv2.INTER_NEAREST))
    return np.asarray(stable, dtype=bool)
