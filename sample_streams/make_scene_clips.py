"""Derive short labelled clips from four real fixed-camera scenes, for measuring generalisation.

Scenes (see NOTICE for sources and licences):

- ``square``: ``vtest.avi`` from Debian's ``opencv-doc`` (people crossing a campus square);
- ``tree``: ``tree.avi`` from the same package (a tree moving in the wind, bright sky);
- ``road``: ``car-detection.mp4`` from Intel's sample-videos (a road seen from above, CC BY 4.0);
- ``wall``: ``bottle-detection.mp4`` from the same (bottles on a table before a plain wall).

The opencv-doc files are fetched with ``apt-get download opencv-doc`` and ``dpkg-deb -x`` when
they are not in ``sample_streams/work/``; the two Intel clips must be copied there (or
``--footage DIR``) from github.com/intel-iot-devkit/sample-videos.

    .venv/bin/python sample_streams/make_scene_clips.py [--only road_blur.mp4]

Each scene gives the same set of clips: clean pictures in natural conditions (clock burned in,
dusk, warm and bluish light, fog, infrared night, rain, a motionless stretch) and every fault
(black, frozen, blur, four kinds of cover, two camera turns, colour cast, overexposed, noise, a
"no video" screen), 6 s at 10 fps, about 320 pixels wide, H.264 with a keyframe every 2 s, plus a
``past`` clip (another stretch of the healthy view) that the camera's learned baseline is taught
from. Whole scenes are split: ``square`` and ``wall`` are for tuning, ``tree`` and ``road`` are
held out. Output is deterministic: a rebuild gives byte-identical files.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from scene_effects import (
    Effect,
    Image,
    View,
    blob_mask,
    cover,
    dusk,
    fog,
    gains,
    grain,
    lit_surface,
    night_ir,
    no_video,
    osd,
    polygon_mask,
    rain,
    to_u8,
)

HERE = Path(__file__).resolve().parent
OUT = HERE / "scenes"
WORK = HERE / "work"
FPS = 10
SECONDS = 6
IN_DEB = "usr/share/doc/opencv-doc/examples/data/"


@dataclass(frozen=True)
class Scene:
    name: str
    file: str
    split: str
    window: tuple[int, int, int, int]  # the healthy view inside the source frame
    size: tuple[int, int]  # output width, height
    what: str
    from_deb: bool


SCENES = (
    Scene("square", "vtest.avi", "tune", (64, 48, 640, 480), (320, 240),
          "campus square with walkers", True),
    Scene("wall", "bottle-detection.mp4", "tune", (40, 22, 560, 315), (320, 180),
          "bottles on a table before a plain grey wall (indoor)", False),
    Scene("tree", "tree.avi", "holdout", (24, 18, 272, 204), (272, 204),
          "a tree in the wind against a bright sky", True),
    Scene("road", "car-detection.mp4", "holdout", (64, 36, 640, 360), (320, 180),
          "a road seen from above with passing cars", False),
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """One clip kind, made the same way in every scene."""

    name: str
    status: str
    faults: tuple[str, ...]
    effect: Callable[[Scene, int], Effect]
    note: str
    night: bool = False
    crf: int = 30


def _still(seed_t: float) -> Callable[[Scene, int], Effect]:
    def make(scene: Scene, n: int) -> Effect:
        cache: dict[str, Image] = {}

        def draw(v: View, t: float) -> Image:
            if "frame" not in cache:
                cache["frame"] = v.home(seed_t)
            # A motionless scene from a camera that denoises: faint grain and a slow light drift.
            drift = 1.0 + 0.02 * np.sin(2 * np.pi * t / 5.0)
            return osd(grain(to_u8(cache["frame"] * drift), v.rng, 1.2, 0.8), t, _cam(scene))

        return draw

    return make


def _frozen(clock: bool) -> Callable[[Scene, int], Effect]:
    def make(scene: Scene, n: int) -> Effect:
        cache: dict[str, Image] = {}

        def draw(v: View, t: float) -> Image:
            if "frame" not in cache:
                cache["frame"] = grain(v.home(0.0), v.rng, 1.5, 0.6)
            # The encoder keeps coding one stuck picture; only the camera's own clock moves.
            return osd(cache["frame"], t, _cam(scene)) if clock else cache["frame"]

        return draw

    return make


def _cam(scene: Scene) -> str:
    return f"CAM-{1 + [s.name for s in SCENES].index(scene.name):03d} {scene.name.upper()}"


def _simple(fn: Callable[[View, float, Image], Image], clock: bool = True) -> Callable[..., Effect]:
    def make(scene: Scene, n: int) -> Effect:
        def draw(v: View, t: float) -> Image:
            img = fn(v, t, v.home(t))
            return osd(img, t, _cam(scene)) if clock else img

        return draw

    return make


def _turned(dx: float, dy: float, angle: float) -> Callable[..., Effect]:
    def make(scene: Scene, n: int) -> Effect:
        def draw(v: View, t: float) -> Image:
            return osd(v.look(v.source(t), dx, dy, angle), t, _cam(scene))

        return draw

    return make


def _card(v: View, t: float, img: Image) -> Image:
    # A dark card held in front of the lens over the lower left.
    h, w = img.shape[:2]
    mask = polygon_mask((h, w), [(0, 0.2), (0.66, 0.3), (0.72, 1.0), (0, 1.0)])
    paint = lit_surface((h, w), 45, 0.4, (1.0, 1.0, 1.0))
    return cover(img, mask, to_u8(paint), w // 12)


def _paper(v: View, t: float, img: Image) -> Image:
    # A sheet of paper over the whole lens: bright, plain, unevenly lit, sensor grain on top.
    h, w = img.shape[:2]
    paper = lit_surface((h, w), 200, 0.3, (0.96, 1.0, 1.03))
    return grain(to_u8(paper + 0.06 * img.astype(np.float32)), v.rng, 1.5, 0.7)


def _tape(v: View, t: float, img: Image) -> Image:
    # Translucent tape across the middle of the lens: light passes, the scene does not.
    h, w = img.shape[:2]
    mask = polygon_mask((h, w), [(0, 0.22), (1, 0.18), (1, 0.86), (0, 0.9)])
    milky = to_u8(cv2.GaussianBlur(img, (0, 0), w / 20).astype(np.float32) * 0.45 + 115)
    return cover(img, mask, grain(milky, v.rng, 1.0, 0.6), w // 16)


def _spray(v: View, t: float, img: Image) -> Image:
    # Dark spray paint over most of the lens; the paint does not move between frames.
    h, w = img.shape[:2]
    mask = blob_mask((h, w), 7, (0.5, 0.52), 0.95)
    speckle = cv2.GaussianBlur(
        np.random.default_rng(8).normal(0, 6, (h, w)).astype(np.float32), (0, 0), 3
    )
    paint = np.array((34, 32, 30), np.float32)[None, None, :] + speckle[..., None]
    return cover(img, mask, to_u8(paint), w // 10)


CASTS = {
    "square": (0.55, 0.95, 1.4),  # red-yellow: white balance lost
    "wall": (1.45, 0.95, 0.6),  # blue
    "tree": (1.3, 0.7, 1.3),  # magenta: IR-cut filter stuck by day
    "road": (0.65, 1.25, 0.7),  # green
}
NO_VIDEO = {
    "square": ((160, 60, 10), "NO VIDEO"),
    "wall": ((96, 96, 96), "NO SIGNAL"),
    "tree": ((20, 110, 20), "NO CAMERA"),
    "road": ((90, 30, 0), "VIDEO LOSS"),
}


def _cast(scene: Scene, n: int) -> Effect:
    b, g, r = CASTS[scene.name]
    return lambda v, t: osd(gains(v.home(t), b, g, r), t, _cam(scene))


def _no_signal(scene: Scene, n: int) -> Effect:
    colour, text = NO_VIDEO[scene.name]
    return lambda v, t: no_video((v.size[1], v.size[0]), colour, text)


def _black(scene: Scene, n: int) -> Effect:
    def draw(v: View, t: float) -> Image:
        img = np.full((v.size[1], v.size[0], 3), 5.0) + v.rng.normal(
            0, 1.5, (v.size[1], v.size[0], 3)
        )
        return osd(to_u8(img), t, _cam(scene))

    return draw


def _blur(v: View, t: float, img: Image) -> Image:
    return cv2.GaussianBlur(img, (0, 0), img.shape[1] / 128)


KINDS = (
    Kind("clean", "ok", (), _simple(lambda v, t, f: f, clock=False), "healthy view"),
    Kind("clean_clock", "ok", (), _simple(lambda v, t, f: f), "clock and camera name burned in"),
    Kind("dusk", "ok", (), _simple(lambda v, t, f: dusk(f, v.rng, 0.35)), "dusk: 35 % light"),
    Kind("warm", "ok", (), _simple(lambda v, t, f: gains(f, 0.82, 0.97, 1.15)),
         "warm (tungsten) light"),
    Kind("bluish", "ok", (), _simple(lambda v, t, f: gains(f, 1.15, 1.0, 0.86)),
         "bluish (overcast, LED) light"),
    Kind("fog", "ok", (), _simple(lambda v, t, f: fog(f, 0.45)), "fog"),
    Kind("night_ir", "ok", (), _simple(lambda v, t, f: night_ir(f, v.rng)),
         "infrared night mode: grey and grainy", night=True),
    Kind("rain", "ok", (), _simple(lambda v, t, f: rain(f, v.rng)), "rain"),
    Kind("still", "ok", (), _still(1.0), "a motionless stretch: faint grain and light drift only",
         crf=26),
    Kind("past", "ok", (), _simple(lambda v, t, f: f), "another stretch of the healthy view "
         "(the learned baseline is taught from it)"),
    Kind("black", "degraded", ("black",), _black, "black picture, clock still burned in"),
    Kind("frozen", "degraded", ("frozen",), _frozen(True), "picture stuck, clock ticking"),
    Kind("frozen_plain", "degraded", ("frozen",), _frozen(False), "picture stuck, no clock"),
    Kind("blur", "degraded", ("blur",), _simple(_blur), "defocused"),
    Kind("occluded_card", "degraded", ("occluded",), _simple(_card), "a dark card over the "
         "lower left"),
    Kind("occluded_paper", "degraded", ("occluded",), _simple(_paper, clock=False),
         "a sheet of paper over the lens"),
    Kind("occluded_tape", "degraded", ("occluded",), _simple(_tape), "translucent tape across "
         "the middle"),
    Kind("occluded_spray", "degraded", ("occluded",), _simple(_spray), "dark spray paint"),
    Kind("shifted", "degraded", ("shifted",), _turned(0.16, 0.08, 0.0), "camera knocked "
         "sideways (right and down)"),
    Kind("shifted_roll", "degraded", ("shifted",), _turned(-0.12, 0.0, 7.0), "turned left and "
         "rolled 7°"),
    Kind("color_cast", "degraded", ("color_cast",), _cast, "white balance lost"),
    Kind("overexposed", "degraded", ("overexposed",),
         _simple(lambda v, t, f: to_u8(f.astype(np.float32) * 2.2 + 90)), "iris stuck open"),
    Kind("noise", "degraded", ("noise",), _simple(lambda v, t, f: grain(f, v.rng, 14.0)),
         "heavy sensor noise", crf=32),
    Kind("no_signal", "offline", ("no_signal",), _no_signal, "a \"no video\" screen"),
)  # fmt: skip


def fetch_from_deb(names: list[str], dest: Path) -> None:
    """Fetch files from Debian's opencv-doc package into dest."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        sys.exit(f"{names} missing and apt-get/dpkg-deb are not available to fetch them")
    with tempfile.TemporaryDirectory() as tmp:
        print("fetching opencv-doc with apt-get download ...")
        subprocess.run(["apt-get", "download", "opencv-doc"], cwd=tmp, check=True)
        debs = sorted(Path(tmp).glob("opencv-doc_*.deb"))
        if not debs:
            sys.exit("apt-get download opencv-doc produced no .deb")
        subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(Path(tmp) / "x")], check=True)
        dest.mkdir(parents=True, exist_ok=True)
        for name in names:
            shutil.copyfile(Path(tmp) / "x" / IN_DEB / name, dest / name)


def load(path: Path) -> tuple[list[Image], float]:
    """Every frame of a source video (decoded by ffmpeg: OpenCV stops early on tree.avi)."""
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height,r_frame_rate", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    w, h, rate = probe.stdout.strip().split(",")
    num, den = rate.split("/")
    width, height = int(w), int(h)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-threads", "1", "-i", str(path), "-f", "rawvideo",
         "-pix_fmt", "bgr24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    size = width * height * 3
    frames = [
        np.frombuffer(raw[i : i + size], np.uint8).reshape(height, width, 3).copy()
        for i in range(0, len(raw) - size + 1, size)
    ]
    if len(frames) < 100:
        sys.exit(f"{path}: read only {len(frames)} frames")
    return frames, int(num) / int(den)


def encode(path: Path, frames: list[Image], crf: int) -> None:
    """H.264 main profile, keyframe every 2 s, no B-frames, one thread (deterministic)."""
    h, w = frames[0].shape[:2]
    cmd = [
        "ffmpeg", "-loglevel", "error", "-y", "-threads", "1",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", str(FPS), "-i", "-",
        "-c:v", "libx264", "-threads", "1", "-preset", "medium", "-profile:v", "main", "-bf", "0",
        "-g", str(2 * FPS), "-keyint_min", str(2 * FPS), "-sc_threshold", "0", "-crf", str(crf),
        "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-map_metadata", "-1",
        "-fflags", "+bitexact", "-flags:v", "+bitexact", str(path),
    ]  # fmt: skip
    proc = subprocess.run(cmd, input=b"".join(f.tobytes() for f in frames), check=False)
    if proc.returncode != 0:
        sys.exit(f"ffmpeg failed on {path.name}")


def empty_view(frames: list[Image], scene: Scene) -> Image:
    """The scene without passers-by: a per-pixel median over frames spread across the footage."""
    picks = np.stack(frames[:: max(1, len(frames) // 31)])
    median = np.median(picks, axis=0).astype(np.uint8)
    view = View([median], 1.0, 0.0, scene.window, scene.size, np.random.default_rng(0))
    return view.home(0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footage", type=Path, default=WORK, help="folder with the source files")
    parser.add_argument("--only", action="append", default=[], help="rebuild only these clips")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write (default scenes/)")
    args = parser.parse_args()
    out_dir: Path = args.out
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is needed (Debian package ffmpeg)")
    missing_deb = [s.file for s in SCENES if s.from_deb and not (args.footage / s.file).exists()]
    if missing_deb:
        fetch_from_deb(missing_deb, args.footage)
    for s in SCENES:
        if not (args.footage / s.file).exists():
            sys.exit(
                f"{args.footage / s.file} is missing (Intel IoT DevKit sample-videos, CC BY 4.0)"
            )
    out_dir.mkdir(exist_ok=True)
    labels: dict[str, dict[str, object]] = {}
    for si, scene in enumerate(SCENES):
        frames, fps = load(args.footage / scene.file)
        duration = len(frames) / fps
        ref = empty_view(frames, scene)
        refs = {"day": f"{scene.name}_reference.jpg", "night": f"{scene.name}_reference_night.jpg"}
        cv2.imwrite(str(out_dir / refs["day"]), ref, [cv2.IMWRITE_JPEG_QUALITY, 92])
        night = night_ir(ref, np.random.default_rng(si), noise=2.0)
        cv2.imwrite(str(out_dir / refs["night"]), night, [cv2.IMWRITE_JPEG_QUALITY, 92])
        for n, kind in enumerate(KINDS):
            name = f"{scene.name}_{kind.name}.mp4"
            # Spread the clips over the footage; the past clip comes from its own stretch.
            start = round((n * 7.3 + si * 2.1) % max(1.0, duration - SECONDS - 1), 1)
            labels[name] = {
                "scene": scene.name,
                "split": scene.split,
                "kind": kind.name,
                "status": kind.status,
                "faults": list(kind.faults),
                "reference": refs["night" if kind.night else "day"],
                "start_s": start,
                "note": kind.note,
            }
            if args.only and name not in args.only:
                continue
            view = View(
                frames, fps, start, scene.window, scene.size, np.random.default_rng(1000 * si + n)
            )
            effect = kind.effect(scene, n)
            out = [effect(view, i / FPS) for i in range(SECONDS * FPS)]
            encode(out_dir / name, out, kind.crf)
            print(f"{name:30s} {(out_dir / name).stat().st_size / 1024:6.0f} KiB")
    scenes = {s.name: {"split": s.split, "source": s.file, "what": s.what} for s in SCENES}
    doc = {"fps": FPS, "seconds": SECONDS, "scenes": scenes, "clips": labels}
    (out_dir / "labels.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
