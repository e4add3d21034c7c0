"""Conditions and faults for the scene clips, at any picture size (see make_scene_clips.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
F = npt.NDArray[np.float32]


def to_u8(x: npt.NDArray[np.floating] | Image) -> Image:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


@dataclass
class View:
    """What one clip draws on: the scene's source frames, the view window, a seeded generator."""

    frames: list[Image]  # the source video, full size
    fps: float  # the source's frame rate
    start_s: float  # where in the source the clip begins
    window: tuple[int, int, int, int]  # x, y, w, h of the camera's healthy view in the source
    size: tuple[int, int]  # output width, height
    rng: np.random.Generator

    def source(self, t: float) -> Image:
        """The full source frame at clip time t (seconds), looping."""
        k = round((self.start_s + t) * self.fps)
        return self.frames[k % len(self.frames)]

    def look(self, src: Image, dx: float = 0.0, dy: float = 0.0, angle: float = 0.0) -> Image:
        """The camera's view of a source frame, turned by (dx, dy) of the window and `angle`°."""
        x, y, w, h = self.window
        centre = (x + w / 2 + dx * w, y + h / 2 + dy * h)
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        # Move the window's centre to the output's centre and scale to the output size.
        sx, sy = self.size[0] / w, self.size[1] / h
        m[0] *= sx
        m[1] *= sy
        m[0, 2] += self.size[0] / 2 - centre[0] * sx
        m[1, 2] += self.size[1] / 2 - centre[1] * sy
        out = cv2.warpAffine(src, m, self.size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        return np.ascontiguousarray(out, dtype=np.uint8)

    def home(self, t: float) -> Image:
        return self.look(self.source(t))


Effect = Callable[[View, float], Image]


def gains(img: Image, b: float, g: float, r: float) -> Image:
    return to_u8(img.astype(np.float32) * np.array([b, g, r], np.float32))


def grain(img: Image, rng: np.random.Generator, sigma: float, blur: float = 0.0) -> Image:
    noise = rng.normal(0.0, sigma, img.shape).astype(np.float32)
    if blur:
        noise = cv2.GaussianBlur(noise, (0, 0), blur)
    return to_u8(img.astype(np.float32) + noise)


def dusk(img: Image, rng: np.random.Generator, light: float) -> Image:
    """Less light: darker, a little warmer, more sensor grain."""
    dim = img.astype(np.float32) * light * np.array([0.95, 1.0, 1.04], np.float32)
    return grain(to_u8(dim), rng, 1.5, 0.6)


def fog(img: Image, density: float) -> Image:
    """Fog or haze: the scene fades towards a light grey and loses fine contrast."""
    soft = cv2.GaussianBlur(img, (0, 0), 1.0).astype(np.float32)
    return to_u8(soft * (1 - density) + 200.0 * density)


def night_ir(img: Image, rng: np.random.Generator, noise: float = 5.0) -> Image:
    """Infrared night mode: grey, darker, vignetted, grainy (sensor gain), lightly denoised."""
    b, g, r = (img[..., k].astype(np.float32) for k in range(3))
    grey = 0.25 * b + 0.55 * g + 0.20 * r  # vegetation reflects near infrared
    grey = 255.0 * (grey / 255.0) ** 1.5 * 0.7 + 12.0
    h, w = grey.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    vignette = 1.0 - 0.35 * (((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2) / 2
    grey = grey * vignette + rng.normal(0.0, noise, grey.shape)
    out = cv2.GaussianBlur(to_u8(grey), (3, 3), 0.6)
    return cv2.merge([out, out, out])


def rain(img: Image, rng: np.random.Generator) -> Image:
    """Rain: short bright slanted streaks and a little haze."""
    h, w = img.shape[:2]
    layer = np.zeros((h, w), np.float32)
    for _ in range(w * h // 500):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        length = int(rng.integers(4, 12))
        cv2.line(layer, (x, y), (x + length // 4, y + length), 1.0, 1, cv2.LINE_AA)
    hazy = img.astype(np.float32) * 0.88 + 0.12 * 170.0
    return to_u8(hazy + cv2.GaussianBlur(layer, (3, 3), 0)[..., None] * 60.0)


def osd(img: Image, t: float, name: str) -> Image:
    """A ticking clock and the camera's name burned into the picture, scaled to its size."""
    out = img.copy()
    h, w = out.shape[:2]
    scale = w / 900
    s = 8 * 3600 + 41 * 60 + 17 + int(t)
    stamp = f"2026-07-30 {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
    font = cv2.FONT_HERSHEY_SIMPLEX
    for text, org in ((stamp, (8, int(22 * scale * 1.8))), (name, (8, h - 8))):
        cv2.putText(out, text, org, font, scale, (0, 0, 0), 3, cv2.LINE_AA)
        cv2.putText(out, text, org, font, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def cover(img: Image, mask: Image, paint: Image, soft: int) -> Image:
    """Lay `paint` over the picture where `mask` is set, with a soft (out of focus) edge."""
    soft |= 1
    alpha = cv2.GaussianBlur(mask, (soft, soft), 0).astype(np.float32)[..., None] / 255.0
    return to_u8(img.astype(np.float32) * (1 - alpha) + paint.astype(np.float32) * alpha)


def polygon_mask(shape: tuple[int, int], points: list[tuple[float, float]]) -> Image:
    """A filled polygon given in fractions of the picture's width and height."""
    h, w = shape
    mask = np.zeros((h, w), np.uint8)
    pts = np.array([[round(x * w), round(y * h)] for x, y in points], np.int32)
    cv2.fillPoly(mask, [pts], 255)
    return mask


def blob_mask(
    shape: tuple[int, int], seed: int, centre: tuple[float, float], spread: float
) -> Image:
    """An irregular sprayed patch: a union of ellipses around `centre` (fractions)."""
    rng = np.random.default_rng(seed)
    h, w = shape
    mask = np.zeros((h, w), np.uint8)
    for _ in range(16):
        x = int((centre[0] + rng.normal(0, spread / 3)) * w)
        y = int((centre[1] + rng.normal(0, spread / 3)) * h)
        axes = (int(rng.uniform(0.25, 0.5) * spread * w), int(rng.uniform(0.25, 0.5) * spread * h))
        cv2.ellipse(mask, (x, y), axes, float(rng.uniform(0, 180)), 0, 360, 255, -1)
    return mask


def lit_surface(shape: tuple[int, int], level: float, slope: float, colour: tuple[float, ...]) -> F:
    """A plain surface close to the lens: out of focus, lit unevenly (a linear gradient)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = level * (1 + slope * ((xx / w - 0.5) * 0.8 + (yy / h - 0.5) * 0.6))
    return (light[..., None] * np.array(colour, np.float32)[None, None, :]).astype(np.float32)


def no_video(shape: tuple[int, int], colour: tuple[int, int, int], text: str) -> Image:
    """A recorder's or encoder's "no video" screen: a flat colour with a line of text."""
    h, w = shape
    img = np.full((h, w, 3), colour, np.uint8)
    scale = w / 400
    size = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)[0]
    org = ((w - size[0]) // 2, (h + size[1]) // 2)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2)
    return img
