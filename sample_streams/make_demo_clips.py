"""Derive the demo's long clips from the same footage as the sample clips (vtest.avi).

`demo/square_filling.mp4` is the square on a holiday afternoon, four minutes in a loop: half
a minute ordinary, 80 s of visitors streaming in (walkers of more and more other moments pasted
into the picture, as in `clean_crowd.mp4`), a minute at its busiest, 40 s of the crowd thinning
out and half a minute ordinary again. `gapwatch serve --demo` probes recorded files by the clock
(GAPWATCH_FILE_PLAYBACK=clock), so a camera showing it sees the square fill and empty again over
the loop. One frame a second at 320×240 keeps it small (2.1 MB): the probe's frames are 1.5 s
apart and its judge and counter work at 320 px in any case.

    .venv/bin/python sample_streams/make_demo_clips.py

`demo/fault_frozen_gate.mp4` is the gate camera stuck on one picture for 20 s, every frame
decoding to the same pixels (a fixed quantiser): the demo's frozen camera, seen as frozen by
every probe wherever the clock enters it.

Writes `sample_streams/demo/square_filling.mp4`, `demo/fault_frozen_gate.mp4` and
`demo/labels.json`; deterministic on one machine (another FFmpeg build may write other bytes).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
from effects import HOME_WINDOW, Ctx, crowd_frame, empty_scene, window
from make_clips import WORK, encode, footage

HERE = Path(__file__).resolve().parent
DEMO = HERE / "demo"
FPS = 1
SIZE = (320, 240)
SOURCE_FPS = 10
MOST_EXTRA = 6  # walkers of this many other moments when the square is at its busiest
FROZEN = "fault_frozen_gate.mp4"
FROZEN_AT_S = 12  # the moment of the footage the stuck picture shows (as fault_frozen.mp4)
FROZEN_SECONDS = 20

# (seconds from, seconds to, extra moments at the start, at the end)
TIMELINE = (
    (0, 30, 0, 0),
    (30, 110, 0, MOST_EXTRA),
    (110, 170, MOST_EXTRA, MOST_EXTRA),
    (170, 210, MOST_EXTRA, 0),
    (210, 240, 0, 0),
)


def footage_frame(source: list[np.ndarray], i: int) -> np.ndarray:
    """Frame `i` of the footage (looping)."""
    return source[i % len(source)]


def extra_at(t: float) -> int:
    """Walkers of how many other moments are pasted in at second `t` of the loop."""
    for start, end, first, last in TIMELINE:
        if start <= t < end:
            return round(first + (last - first) * (t - start) / (end - start))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=WORK / "vtest.avi")
    args = parser.parse_args()
    source = footage(args.source)
    ctx = Ctx(source, empty_scene(source), 0, np.random.default_rng(7))
    seconds = TIMELINE[-1][1]
    frames = []
    for n in range(seconds * FPS):
        t = n / FPS
        i = n * SOURCE_FPS // FPS  # real time: every fifth source frame
        picture = window(crowd_frame(ctx, i, extra_at(t)), *HOME_WINDOW)
        frames.append(cv2.resize(picture, SIZE, interpolation=cv2.INTER_AREA))
    DEMO.mkdir(exist_ok=True)
    out = DEMO / "square_filling.mp4"
    encode(out, frames, 33, size=SIZE, fps=FPS, one_thread=True)
    stuck = DEMO / FROZEN
    # The gate camera's picture stuck on the moment fault_frozen.mp4 shows, as a recorder that
    # keeps sending its last picture does: every frame decodes to the same pixels (a fixed
    # quantiser, a keyframe every 10 s), which no live camera gives, however still its scene.
    still = window(footage_frame(source, FROZEN_AT_S * SOURCE_FPS), *HOME_WINDOW)
    encode(
        stuck,
        [still] * (FROZEN_SECONDS * SOURCE_FPS),
        10,
        fps=SOURCE_FPS,
        one_thread=True,
        gop_s=10,
        constant_qp=True,
    )
    labels = {
        "clips": {
            stuck.name: {
                "status": "degraded",
                "faults": ["frozen"],
                # taught from the healthy view of the same camera before it got stuck
                "lesson": "../clips/clean_day.mp4",
                "seconds": FROZEN_SECONDS,
                "fps": SOURCE_FPS,
                "note": "picture stuck on one frame, every frame the same pixels",
            },
            out.name: {
                "status": "ok",
                "faults": [],
                # the demo teaches a camera showing this clip from its first, ordinary stretch
                "lesson": out.name,
                "lesson_until_s": TIMELINE[0][1],
                "seconds": seconds,
                "fps": FPS,
                "timeline": [
                    {"from_s": a, "to_s": b, "extra_from": x, "extra_to": y}
                    for a, b, x, y in TIMELINE
                ],
                "note": "the square filling with visitors and emptying again, in a loop",
            },
        }
    }
    (DEMO / "labels.json").write_text(
        json.dumps(labels, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    for clip in (out, stuck):
        print(f"{clip.name}: {clip.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
