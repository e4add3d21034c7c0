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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Effect = Callable[["Ctx", int, Image], Image]

HERE = Path(__file__).resolve().parent
CLIPS = HERE / "clips"
WORK = HERE / "work"
SOURCE_IN_DEB = "usr/share/doc/opencv-doc/examples/data/vtest.avi"

FPS = 10
SECONDS = 8
N_FRAMES = FPS * SECONDS
WIDTH, HEIGHT = 640, 480
HOME_WINDOW = (64, 48)  # top-left of the camera's healthy view inside the 768×576 source
CAMERA_NAME = "CAM-017 SOUTH GATE"
CLOCK_START = 21 * 3600 + 7 * 60 + 3  # 21:07:03 on the burned-in clock


# --------------------------------------------------------------------------- footage


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


def window(frame: Image, x: int, y: int) -> Image:
    """The camera's view: a 640×480 window of the source frame."""
    return np.ascontiguousarray(frame[y : y + HEIGHT, x : x + WIDTH])


@dataclass
class Ctx:
    """What effects may draw on: the footage, the empty scene and a seeded generator."""

    source: list[Image]
    background: Image  # full-size empty square (temporal median)
    start: int  # first source frame of this clip
    rng: np.random.Generator
    home: tuple[int, int] = HOME_WINDOW

    def frame(self, i: int) -> Image:
        return self.source[(self.start + i) % len(self.source)]


def empty_scene(source: list[Image]) -> Image:
    """The square without people: per-pixel median over frames spread across the footage."""
    picks = np.stack(source[:: max(1, len(source) // 61)])
    return np.median(picks, axis=0).astype(np.uint8)


# --------------------------------------------------------------------------- picture effects


def to_u8(x: npt.NDArray[np.floating] | Image) -> Image:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def night_ir(img: Image, rng: np.random.Generator, grain: float = 5.0) -> Image:
    """Infrared night mode: grey, darker, grainy (sensor gain), lightly denoised."""
    b, g, r = (img[..., k].astype(np.float32) for k in range(3))
    # Vegetation reflects near infrared: grass turns light in IR pictures.
    grey = 0.25 * b + 0.55 * g + 0.20 * r
    grey = 255.0 * (grey / 255.0) ** 1.6 * 0.75 + 12.0
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1.0 - 0.35 * (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2
    grey = grey * vignette + rng.normal(0.0, grain, grey.shape)
    out = cv2.GaussianBlur(to_u8(grey), (3, 3), 0.6)
    return cv2.merge([out, out, out])


def draw_text(img: Image, text: str, org: tuple[int, int], scale: float, outline: bool) -> None:
    font = cv2.FONT_HERSHEY_SIMPLEX
    if outline:
        cv2.putText(img, text, org, font, scale, (0, 0, 0), 5, cv2.LINE_AA)
    cv2.putText(img, text, org, font, scale, (255, 255, 255), 2, cv2.LINE_AA)


def osd(
    img: Image, i: int, *, clock: bool = True, name: bool = True, outline: bool = True
) -> Image:
    """Burn in the camera's on-screen display: a ticking clock and its name."""
    out = img.copy()
    if clock:
        t = CLOCK_START + i // FPS
        stamp = f"2026-07-30 {t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}"
        draw_text(out, stamp, (18, 34), 0.75, outline)
    if name:
        draw_text(out, CAMERA_NAME, (WIDTH - 280, HEIGHT - 20), 0.7, outline)
    return out


def gaussian_noise(img: Image, rng: np.random.Generator, sigma: float) -> Image:
    return to_u8(img.astype(np.float32) + rng.normal(0.0, sigma, img.shape))


def colour_gains(img: Image, b: float, g: float, r: float) -> Image:
    return to_u8(img.astype(np.float32) * np.array([b, g, r], dtype=np.float32))


def rain(img: Image, rng: np.random.Generator, drops: int = 260) -> Image:
    """Falling rain: short bright slanted streaks, motion-blurred, plus a little haze."""
    layer = np.zeros(img.shape[:2], np.float32)
    for _ in range(drops):
        x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        length = int(rng.integers(8, 22))
        cv2.line(layer, (x, y), (x + length // 4, y + length), 1.0, 1, cv2.LINE_AA)
    layer = cv2.GaussianBlur(layer, (3, 3), 0)
    hazy = img.astype(np.float32) * 0.85 + 0.15 * 170.0
    return to_u8(hazy + layer[..., None] * 70.0)


def blob_mask(rng: np.random.Generator, centre: tuple[int, int], size: tuple[int, int]) -> Image:
    """An irregular sprayed patch: a union of ellipses, soft-edged."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    cx, cy = centre
    sx, sy = size
    for _ in range(14):
        x = int(cx + rng.normal(0, sx / 3))
        y = int(cy + rng.normal(0, sy / 3))
        axes = (int(rng.uniform(0.3, 0.6) * sx), int(rng.uniform(0.3, 0.6) * sy))
        cv2.ellipse(mask, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return mask


def cover(img: Image, mask: Image, paint: Image, soft: int = 31) -> Image:
    alpha = cv2.GaussianBlur(mask, (soft, soft), 0).astype(np.float32)[..., None] / 255.0
    return to_u8(img.astype(np.float32) * (1 - alpha) + paint.astype(np.float32) * alpha)


def crowd_frame(ctx: Ctx, i: int, extra: int) -> Image:
    """Paste the walkers of other moments into this one: a crowded square."""
    base = ctx.frame(i).astype(np.int16)
    bg = ctx.background.astype(np.int16)
    out = ctx.frame(i).copy()
    step = len(ctx.source) // (extra + 1)
    for k in range(1, extra + 1):
        other = ctx.source[(ctx.start + i + k * step) % len(ctx.source)]
        fg = np.abs(other.astype(np.int16) - bg).max(axis=2) > 40
        fg = cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        fg = cv2.dilate(fg, np.ones((5, 5), np.uint8)).astype(bool)
        out[fg] = other[fg]
    del base
    return out


# --------------------------------------------------------------------------- clip catalogue


@dataclass
class Clip:
    name: str
    start_s: float
    effect: Effect
    status: str
    faults: list[str]
    split: str = "tune"
    reference: str = "reference_day.png"
    crf: int = 30
    note: str = ""
    seed: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def home(ctx: Ctx, i: int) -> Image:
    return window(ctx.frame(i), *ctx.home)


def static_scene(ctx: Ctx, i: int, *, night: bool) -> Image:
    """A motionless scene seen by a camera that denoises hard: only faint grain and light drift."""
    img = window(ctx.background, *ctx.home).astype(np.float32)
    img *= 1.0 + 0.025 * np.sin(2 * np.pi * i / (FPS * 6.0))
    img += cv2.GaussianBlur(ctx.rng.normal(0.0, 4.0, img.shape).astype(np.float32), (5, 5), 1.2)
    out = to_u8(img)
    return night_ir(out, ctx.rng, grain=2.0) if night else out


def catalogue() -> list[Clip]:
    """Every clip the script writes, with its label."""
    night = "reference_night.png"
    cl: list[Clip] = []

    def add(*args: object, **kw: object) -> None:
        cl.append(Clip(*args, **kw))  # type: ignore[arg-type]

    # ---- healthy pictures: none of these may raise an alarm
    add("clean_day.mp4", 0.0, lambda c, i, f: home(c, i), "ok", [], note="daytime square")
    add(
        "clean_day_clock.mp4",
        10.0,
        lambda c, i, f: osd(home(c, i), i),
        "ok",
        [],
        note="clock and camera name burned in",
    )
    add(
        "clean_night_ir.mp4",
        20.0,
        lambda c, i, f: osd(night_ir(home(c, i), c.rng), i),
        "ok",
        [],
        reference=night,
        note="infrared night mode: grey, grainy, dark but not black",
    )
    add(
        "clean_crowd.mp4",
        30.0,
        lambda c, i, f: window(crowd_frame(c, i, 6), *c.home),
        "ok",
        [],
        note="crowded square (walkers of seven moments)",
    )
    add(
        "clean_static.mp4",
        0.0,
        lambda c, i, f: osd(static_scene(c, i, night=False), i),
        "ok",
        [],
        crf=26,
        note="empty square, camera denoising hard: barely changes, not frozen",
    )
    add(
        "clean_rain.mp4",
        40.0,
        lambda c, i, f: osd(rain(home(c, i), c.rng), i),
        "ok",
        [],
        note="rain streaks and haze",
    )
    add(
        "clean_night_static.mp4",
        0.0,
        lambda c, i, f: osd(static_scene(c, i, night=True), i),
        "ok",
        [],
        reference=night,
        crf=26,
        split="holdout",
        note="empty square at night in IR mode",
    )
    add(
        "clean_day_late.mp4",
        66.0,
        lambda c, i, f: osd(home(c, i), i, outline=False),
        "ok",
        [],
        split="holdout",
        note="later offset, clock without outline",
    )
    add(
        "clean_crowd_night.mp4",
        50.0,
        lambda c, i, f: night_ir(window(crowd_frame(c, i, 5), *c.home), c.rng),
        "ok",
        [],
        reference=night,
        split="holdout",
        note="crowd at night in IR mode",
    )
    add(
        "clean_sway.mp4",
        56.0,
        lambda c, i, f: window(
            c.frame(i), HOME_WINDOW[0] + round(2 * np.sin(i / 3.0)), HOME_WINDOW[1] + i % 2
        ),
        "ok",
        [],
        split="holdout",
        note="pole sways in the wind: 1-2 px jitter",
    )

    # ---- no signal: a uniform "no video" screen from the encoder or recorder
    def no_video(colour: tuple[int, int, int], text: str, clock: bool) -> Effect:
        def make(c: Ctx, i: int, f: Image) -> Image:
            img = np.full((HEIGHT, WIDTH, 3), colour, np.uint8)
            size = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.2, 3)[0]
            org = ((WIDTH - size[0]) // 2, (HEIGHT + size[1]) // 2)
            cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, 1.2, (255, 255, 255), 3)
            return osd(img, i, name=False) if clock else img

        return make

    def colour_bars(c: Ctx, i: int, f: Image) -> Image:
        bars = [(192, 192, 192), (0, 192, 192), (192, 192, 0), (0, 192, 0)]
        bars += [(192, 0, 192), (0, 0, 192), (192, 0, 0), (16, 16, 16)]
        img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        for k, colour in enumerate(bars):
            img[:, k * WIDTH // 8 : (k + 1) * WIDTH // 8] = colour
        return img

    add(
        "fault_no_signal.mp4",
        0.0,
        no_video((160, 60, 10), "NO VIDEO", False),
        "offline",
        ["no_signal"],
        note="blue no-video screen with text",
    )
    add(
        "fault_no_signal_clock.mp4",
        0.0,
        no_video((170, 70, 20), "VIDEO LOSS", True),
        "offline",
        ["no_signal"],
        note="recorder's blue video-loss screen with its own ticking clock",
    )
    add(
        "fault_no_signal_grey.mp4",
        0.0,
        no_video((96, 96, 96), "NO SIGNAL", False),
        "offline",
        ["no_signal"],
        split="holdout",
        note="grey no-signal screen",
    )
    add(
        "fault_no_signal_bars.mp4",
        0.0,
        colour_bars,
        "offline",
        ["no_signal"],
        split="holdout",
        note="colour bars test pattern",
    )

    # ---- frozen: the picture stops while the stream keeps flowing
    add(
        "fault_frozen.mp4",
        12.0,
        lambda c, i, f: home(c, 0),
        "degraded",
        ["frozen"],
        note="picture stuck on one frame",
    )
    add(
        "fault_frozen_clock.mp4",
        24.0,
        lambda c, i, f: osd(home(c, 0), i),
        "degraded",
        ["frozen"],
        note="picture stuck but the clock ticks",
    )
    add(
        "fault_frozen_night.mp4",
        36.0,
        lambda c, i, f: osd(_frozen_night(c), i),
        "degraded",
        ["frozen"],
        reference=night,
        split="holdout",
        note="IR picture stuck, grain frozen too, clock ticks",
    )
    add(
        "fault_frozen_crowd.mp4",
        47.0,
        lambda c, i, f: osd(window(crowd_frame(c, 0, 4), *c.home), i, outline=False),
        "degraded",
        ["frozen"],
        split="holdout",
        note="crowded picture stuck, clock without outline ticks",
    )

    # ---- black
    def lens_cap(level: float, text: bool) -> Effect:
        def make(c: Ctx, i: int, f: Image) -> Image:
            img = to_u8(
                np.full((HEIGHT, WIDTH, 3), level) + c.rng.normal(0, 1.5, (HEIGHT, WIDTH, 3))
            )
            return osd(img, i) if text else img

        return make

    add("fault_black.mp4", 0.0, lens_cap(4.0, False), "degraded", ["black"], note="black picture")
    add(
        "fault_black_text.mp4",
        0.0,
        lens_cap(6.0, True),
        "degraded",
        ["black"],
        note="black picture, clock and name still burned in",
    )
    add(
        "fault_black_dim.mp4",
        61.0,
        lambda c, i, f: osd(gaussian_noise(to_u8(home(c, i) * 0.05), c.rng, 1.5), i),
        "degraded",
        ["black"],
        split="holdout",
        note="no light at all (IR illuminator dead): scene at 5 %",
    )

    # ---- overexposed
    add(
        "fault_overexposed.mp4",
        5.0,
        lambda c, i, f: to_u8(home(c, i).astype(np.float32) * 2.4 + 90),
        "degraded",
        ["overexposed"],
        note="iris stuck open",
    )
    add(
        "fault_overexposed_clock.mp4",
        15.0,
        lambda c, i, f: osd(to_u8(home(c, i).astype(np.float32) * 2.0 + 110), i),
        "degraded",
        ["overexposed"],
        note="washed out, clock burned in",
    )
    add(
        "fault_overexposed_glare.mp4",
        44.0,
        lambda c, i, f: osd(_glare(home(c, i)), i),
        "degraded",
        ["overexposed"],
        split="holdout",
        note="sun glare into the lens",
    )

    # ---- blur (defocus: the burned-in text stays sharp, it is added after the optics)
    def defocus(sigma: float, clock: bool, night_mode: bool = False) -> Effect:
        def make(c: Ctx, i: int, f: Image) -> Image:
            img = cv2.GaussianBlur(home(c, i), (0, 0), sigma)
            if night_mode:
                img = night_ir(img, c.rng)
            return osd(img, i) if clock else img

        return make

    add("fault_blur.mp4", 8.0, defocus(5.0, False), "degraded", ["blur"], note="defocused, σ 5 px")
    add(
        "fault_blur_clock.mp4",
        18.0,
        defocus(3.5, True),
        "degraded",
        ["blur"],
        note="defocused σ 3.5 px, sharp clock on top",
    )
    add(
        "fault_blur_mild.mp4",
        52.0,
        defocus(2.5, True),
        "degraded",
        ["blur"],
        split="holdout",
        note="slightly defocused, σ 2.5 px",
    )
    add(
        "fault_blur_night.mp4",
        28.0,
        defocus(4.0, True, night_mode=True),
        "degraded",
        ["blur"],
        reference=night,
        split="holdout",
        note="defocused at night, grain on top",
    )

    # ---- occluded: something in front of the lens over a large part of the view
    def board(c: Ctx, i: int, f: Image) -> Image:
        img = osd(home(c, i), i)
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        cv2.fillPoly(mask, [np.array([[0, 90], [430, 150], [470, 480], [0, 480]], np.int32)], 255)
        yy = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
        paint = np.broadcast_to(38 + 16 * yy, img.shape).astype(np.float32)
        return cover(img, mask, to_u8(paint), soft=41)

    def spray(
        colour: tuple[int, int, int], centre: tuple[int, int], size: tuple[int, int]
    ) -> Effect:
        def make(c: Ctx, i: int, f: Image) -> Image:
            rng = np.random.default_rng(7)  # the paint does not move between frames
            mask = blob_mask(rng, centre, size)
            speckle = cv2.GaussianBlur(
                rng.normal(0, 6, (HEIGHT, WIDTH)).astype(np.float32), (0, 0), 6
            )
            paint = np.array(colour, np.float32)[None, None, :] + speckle[..., None]
            return osd(cover(home(c, i), mask, to_u8(paint), soft=61), i)

        return make

    def hand(c: Ctx, i: int, f: Image) -> Image:
        img = home(c, i)
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        cv2.ellipse(mask, (520, 400), (420, 330), -20, 0, 360, 255, -1)
        skin = np.full(img.shape, (95, 125, 175), np.float32)
        skin *= np.linspace(0.7, 1.05, WIDTH, dtype=np.float32)[None, :, None]
        return cover(img, mask, to_u8(skin), soft=151)

    def bag(c: Ctx, i: int, f: Image) -> Image:
        # A bag over the camera: light leaks through the cloth, nothing of the scene is left.
        base = cv2.GaussianBlur(home(c, i), (0, 0), 40).astype(np.float32) * 0.35 + 40
        return osd(gaussian_noise(to_u8(base), c.rng, 1.0), i)

    add(
        "fault_occluded.mp4",
        3.0,
        board,
        "degraded",
        ["occluded"],
        note="a board in front of the lens over the lower left",
    )
    add(
        "fault_occluded_spray.mp4",
        33.0,
        spray((30, 30, 34), (300, 260), (520, 420)),
        "degraded",
        ["occluded"],
        note="black spray paint over most of the lens",
    )
    add(
        "fault_occluded_hand.mp4",
        58.0,
        hand,
        "degraded",
        ["occluded"],
        split="holdout",
        note="a hand close to the lens",
    )
    add(
        "fault_occluded_bag.mp4",
        69.0,
        bag,
        "degraded",
        ["occluded"],
        split="holdout",
        note="a bag over the camera",
    )
    add(
        "fault_occluded_paint_blue.mp4",
        38.0,
        spray((150, 110, 60), (360, 240), (560, 380)),
        "degraded",
        ["occluded"],
        split="holdout",
        note="blue-grey spray paint",
    )

    # ---- shifted: the camera was turned
    def turned(dx: int, dy: int, angle: float = 0.0, zoom: float = 1.0, ir: bool = False) -> Effect:
        def make(c: Ctx, i: int, f: Image) -> Image:
            src = c.frame(i)
            x, y = HOME_WINDOW[0] + dx, HOME_WINDOW[1] + dy
            if angle or zoom != 1.0:
                centre = (x + WIDTH / 2, y + HEIGHT / 2)
                m = cv2.getRotationMatrix2D(centre, angle, zoom)
                src = cv2.warpAffine(
                    src, m, (src.shape[1], src.shape[0]), borderMode=cv2.BORDER_REFLECT
                )
            img = window(src, x, y)
            if ir:
                img = night_ir(img, c.rng)
            return osd(img, i)

        return make

    add("fault_shifted.mp4", 6.0, turned(-64, -48), "degraded", ["shifted"], note="turned up-left")
    add(
        "fault_shifted_rotate.mp4",
        26.0,
        turned(40, 0, angle=7.0),
        "degraded",
        ["shifted"],
        note="turned right and rolled 7°",
    )
    add(
        "fault_shifted_zoom.mp4",
        42.0,
        turned(0, 30, zoom=1.3),
        "degraded",
        ["shifted"],
        split="holdout",
        note="tilted down and zoomed in",
    )
    add(
        "fault_shifted_night.mp4",
        63.0,
        turned(64, 40, ir=True),
        "degraded",
        ["shifted"],
        reference=night,
        split="holdout",
        note="turned down-right at night",
    )

    # ---- colour cast
    add(
        "fault_color_cast.mp4",
        9.0,
        lambda c, i, f: osd(colour_gains(home(c, i), 0.55, 0.95, 1.35), i),
        "degraded",
        ["color_cast"],
        note="white balance lost: red-yellow",
    )
    add(
        "fault_color_cast_green.mp4",
        21.0,
        lambda c, i, f: colour_gains(home(c, i), 0.7, 1.25, 0.6),
        "degraded",
        ["color_cast"],
        note="green cast",
    )
    add(
        "fault_color_cast_blue.mp4",
        48.0,
        lambda c, i, f: osd(colour_gains(home(c, i), 1.45, 0.95, 0.65), i),
        "degraded",
        ["color_cast"],
        split="holdout",
        note="blue cast",
    )
    add(
        "fault_color_cast_magenta.mp4",
        71.0,
        lambda c, i, f: osd(colour_gains(home(c, i), 1.25, 0.7, 1.3), i),
        "degraded",
        ["color_cast"],
        split="holdout",
        note="IR-cut filter stuck by day: purple",
    )

    # ---- noise
    add(
        "fault_noise.mp4",
        14.0,
        lambda c, i, f: osd(gaussian_noise(home(c, i), c.rng, 24.0), i),
        "degraded",
        ["noise"],
        crf=32,
        note="heavy sensor noise (snow)",
    )
    add(
        "fault_noise_impulse.mp4",
        30.0,
        lambda c, i, f: _impulse(home(c, i), c.rng, 0.03),
        "degraded",
        ["noise"],
        crf=34,
        note="impulse noise: 3 % of pixels hit",
    )
    add(
        "fault_noise_moderate.mp4",
        55.0,
        lambda c, i, f: osd(gaussian_noise(home(c, i), c.rng, 16.0), i),
        "degraded",
        ["noise"],
        crf=32,
        split="holdout",
        note="sensor noise σ 16",
    )
    add(
        "fault_noise_night.mp4",
        46.0,
        lambda c, i, f: osd(night_ir(home(c, i), c.rng, grain=22.0), i),
        "degraded",
        ["noise"],
        reference=night,
        crf=32,
        split="holdout",
        note="IR picture drowned in gain noise",
    )
    return cl


def _impulse(img: Image, rng: np.random.Generator, share: float) -> Image:
    out = img.copy()
    hit = rng.random(img.shape[:2]) < share
    out[hit] = np.where(rng.random((int(hit.sum()), 1)) < 0.5, 0, 255).astype(np.uint8)
    return out


def _glare(img: Image) -> Image:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    d = np.hypot(xx - 470, yy - 110) / 420.0
    flare = 255.0 * np.clip(1.3 - d, 0, 1) ** 0.8
    return to_u8(img.astype(np.float32) * 1.7 + 60 + flare[..., None])


_FROZEN_NIGHT: dict[int, Image] = {}


def _frozen_night(c: Ctx) -> Image:
    key = c.start
    if key not in _FROZEN_NIGHT:
        _FROZEN_NIGHT[key] = night_ir(home(c, 0), np.random.default_rng(key))
    return _FROZEN_NIGHT[key]


# --------------------------------------------------------------------------- writing


def encode(path: Path, frames: list[Image], crf: int) -> None:
    """Encode BGR frames as a camera would: H.264 main profile, GOP 2 s, no B-frames."""
    cmd = [
        "ffmpeg", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", "-",
        "-c:v", "libx264", "-preset", "medium", "-profile:v", "main", "-bf", "0",
        "-g", str(2 * FPS), "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact",
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
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is needed (Debian package ffmpeg)")
    if not args.source.exists():
        fetch_source(args.source)
    source = load_source(args.source)
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
