"""Derive the labelled sample clips from real fixed-camera footage.

Base footage: ``vtest.avi`` (768×576, 10 fps, a campus square filmed by a fixed camera) from
Debian's ``opencv-doc`` package (Apache-2.0 AND BSD-3-Clause, see NOTICE). When it is not at
``sample_streams/work/vtest.avi`` (or ``--source``), the script fetches it with
``apt-get download opencv-doc`` into a temporary folder and unpacks it with ``dpkg-deb -x``.

Run with the project's interpreter and Debian's ffmpeg (libx264):

    .venv/bin/python sample_streams/make_clips.py            # rebuild every clip
    .venv/bin/python sample_streams/make_clips.py --only fault_blur.mp4

Writes ``sample_streams/clips/*.mp4`` (640×480, 10 fps, 8 s, H.264, GOP 2 s), ``labels.json``
(file -> expected status and faults, split, reference) and the healthy reference pictures
``reference_day.png`` / ``reference_night.png``. Every clip is deterministic (seeded).

Clips marked ``"split": "holdout"`` use source offsets and fault strengths that the judge's
thresholds were not tuned on; ``bench/probe_accuracy.py`` reports both splits.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from catalogue import catalogue
from effects import (
    FPS,
    HEIGHT,
    HOME_WINDOW,
    N_FRAMES,
    SECONDS,
    WIDTH,
    Ctx,
    Image,
    empty_scene,
    home,
    night_ir,
    window,
)

HERE = Path(__file__).resolve().parent
CLIPS = HERE / "clips"
WORK = HERE / "work"
SOURCE_IN_DEB = "usr/share/doc/opencv-doc/examples/data/vtest.avi"


def fetch_source(dest: Path) -> None:
    """Fetch vtest.avi from Debian's opencv-doc package into dest."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        sys.exit("vtest.avi is missing and apt-get/dpkg-deb are not available to fetch it")
    with tempfile.TemporaryDirectory() as tmp:
        print("fetching opencv-doc with apt-get download ...")
        subprocess.run(["apt-get", "download", "opencv-doc"], cwd=tmp, check=True)
        debs = sorted(Path(tmp).glob("opencv-doc_*.deb"))
        if not debs:
            sys.exit("apt-get download opencv-doc produced no .deb")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(Path(tmp) / "x")], check=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "x" / SOURCE_IN_DEB, dest)


def load_source(path: Path) -> list[Image]:
    """Every frame of the source footage, full size."""
    cap = cv2.VideoCapture(str(path))
    frames: list[Image] = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    if len(frames) < 200:
        sys.exit(f"{path}: expected the 795-frame vtest.avi, read {len(frames)} frames")
    return frames


def footage(path: Path) -> list[Image]:
    """The source footage's frames, fetched first when missing; FFmpeg must be there to encode."""
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is needed (Debian package ffmpeg)")
    if not path.exists():
        fetch_source(path)
    return load_source(path)


# --------------------------------------------------------------------------- writing


def encode(
    path: Path,
    frames: list[Image],
    crf: int,
    *,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    fps: int = FPS,
    one_thread: bool = False,
    gop_s: int = 2,
    constant_qp: bool = False,
) -> None:
    """Encode BGR frames as a camera would: H.264 main profile, GOP 2 s, no B-frames.

    `constant_qp` takes `crf` as a fixed quantiser instead: the same picture then decodes to
    the same pixels at every keyframe (a rate-controlled encoder re-codes it differently)."""
    quality = ["-qp", str(crf)] if constant_qp else ["-crf", str(crf)]
    cmd = [
        "ffmpeg", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{size[0]}x{size[1]}", "-r", str(fps),
        "-i", "-",
        "-c:v", "libx264", "-preset", "medium", "-profile:v", "main", "-bf", "0",
        "-g", str(gop_s * fps), *quality, "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact",
        *(["-threads", "1"] if one_thread else []),
        str(path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=False)
    if proc.returncode != 0:
        sys.exit(f"ffmpeg failed on {path.name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=WORK / "vtest.avi")
    parser.add_argument("--only", action="append", default=[], help="rebuild only these clips")
    args = parser.parse_args()
    source = footage(args.source)
    background = empty_scene(source)
    CLIPS.mkdir(exist_ok=True)

    ref_day = window(background, *HOME_WINDOW)
    cv2.imwrite(str(CLIPS / "reference_day.png"), ref_day)
    cv2.imwrite(
        str(CLIPS / "reference_night.png"), night_ir(ref_day, np.random.default_rng(1), grain=2.0)
    )

    labels: dict[str, dict[str, object]] = {}
    for n, clip in enumerate(catalogue()):
        labels[clip.name] = {
            "status": clip.status,
            "faults": clip.faults,
            "split": clip.split,
            "reference": clip.reference,
            "start_s": clip.start_s,
            "note": clip.note,
        }
        if args.only and clip.name not in args.only:
            continue
        ctx = Ctx(source, background, int(clip.start_s * FPS), np.random.default_rng(100 + n))
        frames = [clip.effect(ctx, i, home(ctx, i)) for i in range(N_FRAMES)]
        encode(CLIPS / clip.name, frames, clip.crf)
        print(f"{clip.name:34s} {(CLIPS / clip.name).stat().st_size / 1024:7.0f} KiB")
    (CLIPS / "labels.json").write_text(
        json.dumps({"fps": FPS, "seconds": SECONDS, "clips": labels}, indent=2, ensure_ascii=False)
        + "\n"
    )


if __name__ == "__main__":
    main()
