"""Picture effects for the sample clips: the camera's view, night mode, weather, faults, OSD."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Effect = Callable[["Ctx", int, Image], Image]

FPS = 10
SECONDS = 8
N_FRAMES = FPS * SECONDS
WIDTH, HEIGHT = 640, 480
HOME_WINDOW = (64, 48)  # top-left of the camera's healthy view inside the 768×576 source
CAMERA_NAME = "CAM-017 SOUTH GATE"
CLOCK_START = 21 * 3600 + 7 * 60 + 3  # 21:07:03 on the burned-in clock


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


def home(ctx: Ctx, i: int) -> Image:
    return window(ctx.frame(i), *ctx.home)


def static_scene(ctx: Ctx, i: int, *, night: bool, drift: float = 0.025) -> Image:
    """A motionless scene seen by a camera that denoises hard: only faint grain and light drift."""
    img = window(ctx.background, *ctx.home).astype(np.float32)
    img *= 1.0 + drift * np.sin(2 * np.pi * i / (FPS * 6.0))
    img += cv2.GaussianBlur(ctx.rng.normal(0.0, 4.0, img.shape).astype(np.float32), (5, 5), 1.2)
    out = to_u8(img)
    return night_ir(out, ctx.rng, grain=2.0) if night else out


STILLS_CACHE: dict[int, Image] = {}


def still(c: Ctx, make: Callable[[], Image]) -> Image:
    if c.start not in STILLS_CACHE:
        STILLS_CACHE[c.start] = make()
    return STILLS_CACHE[c.start]


def impulse(img: Image, rng: np.random.Generator, share: float) -> Image:
    out = img.copy()
    hit = rng.random(img.shape[:2]) < share
    out[hit] = np.where(rng.random((int(hit.sum()), 1)) < 0.5, 0, 255).astype(np.uint8)
    return out


def glare(img: Image) -> Image:
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    d = np.hypot(xx - 470, yy - 110) / 420.0
    flare = 255.0 * np.clip(1.3 - d, 0, 1) ** 0.8
    return to_u8(img.astype(np.float32) * 1.7 + 60 + flare[..., None])


FROZEN_NIGHT_CACHE: dict[int, Image] = {}


def frozen_night(c: Ctx) -> Image:
    key = c.start
    if key not in FROZEN_NIGHT_CACHE:
        FROZEN_NIGHT_CACHE[key] = night_ir(home(c, 0), np.random.default_rng(key))
    return FROZEN_NIGHT_CACHE[key]
