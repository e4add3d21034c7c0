"""A camera's own idea of a healthy picture: reference view and metric statistics per mode.

Cameras switch between colour (day) and infrared (night) pictures that share little besides the
geometry, so each mode keeps its own reference and statistics. Only healthy samples teach it.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from gapwatch.vision import metrics as m
from gapwatch.vision.overlay import OVERLAY_WIDTH, find_overlay
from gapwatch.vision.types import Frame, Verdict

__all__ = [
    "MODES",
    "Baseline",
    "BaselineError",
    "Mode",
    "ModeBaseline",
    "analysis_keep",
    "picture_mode",
]

Mode = Literal["day", "night"]
MODES: tuple[Mode, ...] = ("day", "night")

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

NIGHT_COLOURFULNESS = 4.0
"""Below this colourfulness a picture is taken for infrared night mode (grey)."""

TRACKED = (
    "sharpness",
    "detail",
    "tenengrad",
    "brightness",
    "contrast",
    "noise",
    "cast_a",
    "cast_b",
    "dark_share",
    "bright_share",
    "grain",
    "mean_b",
    "mean_g",
    "mean_r",
)
"""Per-frame metrics whose mean and spread a baseline keeps."""

PER_PROBE = ("temporal_noise", "motion_mad", "temporal_grain")
"""Metrics of a whole probe (change between its frames) that a baseline keeps: how much a live
picture of this camera moves, so that a picture that stops moving can be told from a still one."""

_FORMAT = 1
STACK = 5
"""Healthy pictures a mode keeps; its reference is their per-pixel median, so a car or a
walker seen in fewer than half of them is not part of the camera's normal, and the reference
follows slow changes (light, seasons) as new healthy probes replace the oldest."""


class BaselineError(ValueError):
    """A baseline could not be built or read; the message says why."""


def analysis_keep(images: Sequence[U8], shape: tuple[int, int]) -> m.Mask:
    """Pixels outside the burned-in text, as a mask of the analysis `shape` (height, width).

    Text is looked for on the frames at up to OVERLAY_WIDTH pixels wide, where a clock's
    digits are still legible, and every analysis pixel it touches is masked.
    """
    greys = [m.grey(m.downscale(image, OVERLAY_WIDTH)) for image in images]
    greys = [g for g in greys if g.shape == greys[0].shape]
    overlay = find_overlay(greys).astype(np.uint8)
    if overlay.shape != shape:
        overlay = m.as_u8(cv2.resize(overlay, (shape[1], shape[0]), interpolation=cv2.INTER_AREA))
        # INTER_AREA averages: any text pixel under an analysis pixel leaves a non-zero value,
        # except where the average rounds to 0; dilate by one pixel to be safe.
        overlay = m.as_u8(cv2.dilate((overlay > 0).astype(np.uint8), np.ones((3, 3), np.uint8)))
    return np.asarray(overlay == 0, dtype=bool)


def picture_mode(image: U8) -> Mode:
    """Whether a BGR picture is a colour (day) or an infrared (night) one."""
    small = m.downscale(image)
    return "night" if m.colourfulness(small) < NIGHT_COLOURFULNESS else "day"


@dataclass
class Stat:
    """Running mean and spread (Welford), so baselines learn one sample at a time."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, value: float) -> None:
        """Fold in one finite value."""
        if not math.isfinite(value):
            return
        self.n += 1
        delta = value - self.mean
        self.mean += delta / self.n
        self.m2 += delta * (value - self.mean)

    @property
    def std(self) -> float:
        """Sample standard deviation (0 until two values)."""
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else 0.0


def frame_stats(g: U8, bgr: U8, keep: m.Mask | None = None) -> dict[str, float]:
    """The tracked metrics of one downscaled frame (burned-in text left out)."""
    b = m.brightness(g, keep)
    a_mean, b_mean, _ = m.colour_cast(bgr, keep)
    sharpness = m.laplacian_variance(g, keep)
    mean_b, mean_g, mean_r = m.channel_means(bgr, keep)
    return {
        "mean_b": mean_b,
        "mean_g": mean_g,
        "mean_r": mean_r,
        "sharpness": sharpness,
        "detail": m.detail(sharpness, b.std),
        "tenengrad": m.tenengrad(g, keep),
        "brightness": b.mean,
        "contrast": b.std,
        "noise": m.noise_sigma(g, keep),
        "cast_a": a_mean,
        "cast_b": b_mean,
        "dark_share": b.dark_share,
        "bright_share": b.bright_share,
        "grain": m.noise_floor(g, keep),
    }


@dataclass
class ModeBaseline:
    """What a healthy picture looks like in one mode (day or night)."""

    reference: U8 | None = None  # grey, ANALYSIS_WIDTH wide: median of `stack`
    texture: F32 | None = None  # per-block detail of healthy pictures: median over `stack`
    stack: list[U8] = field(default_factory=list)  # the latest healthy pictures, oldest first
    mobile: m.Mask | None = None  # blocks that change between healthy pictures (from 3 on)
    vetted: bool = False  # the reference was given by a person (`--reference`), not learned
    stats: dict[str, Stat] = field(
        default_factory=lambda: {k: Stat() for k in (*TRACKED, *PER_PROBE)}
    )
    samples: int = 0

    def learn(self, g: U8, bgr: U8, keep: m.Mask | None = None) -> None:
        """Fold one healthy downscaled frame into the reference and the statistics."""
        if self.reference is not None and self.reference.shape != g.shape:
            size = (self.reference.shape[1], self.reference.shape[0])
            g = m.as_u8(cv2.resize(g, size))
            bgr = m.as_u8(cv2.resize(bgr, size))
            keep = None if keep is None else cv2.resize(keep.astype(np.uint8), size) > 0
        self.stack = [*self.stack, g.copy()][-STACK:]
        self._from_stack()
        for key, value in frame_stats(g, bgr, keep).items():
            self.stats[key].add(value)
        self.samples += 1

    def _from_stack(self) -> None:
        pictures = np.stack(self.stack)
        self.reference = m.as_u8(np.median(pictures, axis=0).round())
        textures = np.stack([m.block_texture(p) for p in self.stack])
        self.texture = np.median(textures, axis=0).astype(np.float32)
        self.mobile = None
        if len(self.stack) >= 3:
            # Blocks whose look changes between healthy pictures (leaves in the wind, a road
            # with cars, water): their detail or layout on one probe says little about a cover.
            means = np.stack([m.block_means(p) for p in self.stack])
            spread = means.max(axis=0) - means.min(axis=0)
            varied = textures.max(axis=0) > MOBILE_TEXTURE * np.maximum(textures.min(axis=0), 1.0)
            self.mobile = np.asarray((spread > MOBILE_LEVEL) | varied, dtype=bool)

    def settled(self) -> bool:
        """Whether the reference may be trusted to show what belongs in the view.

        A picture a person chose is; learned ones only from three on, when a car or a walker
        in one of them is outvoted and the blocks that change are known.
        """
        return self.vetted or len(self.stack) >= 3

    def mean(self, key: str) -> float:
        """The learned mean of a tracked metric."""
        return self.stats[key].mean

    def learned(self, key: str) -> float | None:
        """The learned mean of a tracked metric, or None while nothing was learned for it."""
        stat = self.stats.get(key)
        return stat.mean if stat is not None and stat.n > 0 else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (reference picture as base64 PNG)."""
        return {
            "samples": self.samples,
            "reference_png": None if self.reference is None else _png(self.reference),
            "stack_png": [_png(p) for p in self.stack],
            "vetted": self.vetted,
            "texture": None if self.texture is None else self.texture.round(3).tolist(),
            "stats": {k: [s.n, s.mean, s.m2] for k, s in self.stats.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModeBaseline:
        """Rebuild from `to_dict` output."""
        out = cls(samples=int(data["samples"]), vetted=bool(data.get("vetted", False)))
        if data.get("reference_png"):
            out.reference = _unpng(str(data["reference_png"]))
        if data.get("texture") is not None:
            out.texture = np.asarray(data["texture"], np.float32)
        stack = [_unpng(str(p)) for p in data.get("stack_png") or []]
        if stack and all(p.shape == stack[0].shape for p in stack):
            out.stack = stack[-STACK:]
            out._from_stack()
        elif out.reference is not None:
            out.stack = [out.reference]  # stored before pictures were kept
        for key, (n, mean, m2) in dict(data.get("stats", {})).items():
            if key in out.stats:
                out.stats[key] = Stat(int(n), float(mean), float(m2))
        return out


def _png(image: U8) -> str:
    ok, buf = cv2.imencode(".png", image)
    if not ok:
        raise BaselineError("could not encode the reference picture as PNG")
    return base64.b64encode(buf.tobytes()).decode("ascii")


def _unpng(text: str) -> U8:
    raw = np.frombuffer(base64.b64decode(text), np.uint8)
    image = cv2.imdecode(raw, cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise BaselineError("the stored reference picture is not a readable PNG")
    return m.as_u8(image)


MOBILE_LEVEL = 16.0
"""Grey levels a block's mean may move between healthy pictures before it counts as mobile."""
MOBILE_TEXTURE = 2.5
"""How many times its detail may vary between healthy pictures before a block counts as mobile."""


@dataclass
class Baseline:
    """A camera's healthy picture, kept separately for day and night modes."""

    day: ModeBaseline = field(default_factory=ModeBaseline)
    night: ModeBaseline = field(default_factory=ModeBaseline)
    last: U8 | None = None
    """The previous probe's picture (grey, analysis size), kept in memory only: a picture that
    has not changed at all since a probe minutes ago is frozen, however still the scene."""

    def mode(self, mode: Mode) -> ModeBaseline:
        """The baseline of one mode."""
        return self.day if mode == "day" else self.night

    def knows(self, mode: Mode) -> bool:
        """Whether this mode has learned a healthy picture yet."""
        return self.mode(mode).samples > 0

    def learn(self, frames: Iterable[Frame]) -> int:
        """Learn from frames known to be healthy; returns how many were used."""
        images = [m.as_bgr(f.image) for f in frames]
        images = [i for i in images if min(m.downscale(i).shape[:2]) >= m.MIN_SIDE]
        images = [i for i in images if images and i.shape == images[0].shape]
        if not images:
            return 0
        smalls = [m.downscale(i) for i in images]
        keep = analysis_keep(images, (smalls[0].shape[0], smalls[0].shape[1]))
        for bgr in smalls:
            self.mode(picture_mode(bgr)).learn(m.grey(bgr), bgr, keep)
        return len(smalls)

    def update(self, verdict: Verdict, frames: Sequence[Frame]) -> bool:
        """Remember the probe's picture; learn from its frames only when they were healthy."""
        if not frames:
            return False
        middle = m.as_bgr(frames[len(frames) // 2].image)
        if verdict.status not in ("offline", "unknown") and min(middle.shape[:2]) >= m.MIN_SIDE:
            self.last = m.grey(m.downscale(middle))
        if verdict.status != "ok" or verdict.faults:
            return False
        # One frame per probe is enough: the samples of one probe are nearly the same picture.
        if self.learn([frames[len(frames) // 2]]) == 0:
            return False
        mb = self.mode(picture_mode(m.downscale(middle)))
        for key in PER_PROBE:
            value = verdict.metrics.get(key)
            if value is not None:
                mb.stats[key].add(float(value))
        return True

    def reset(self, mode: Mode | None = None) -> None:
        """Forget what was learned (after a repair or a deliberate re-aim), one mode or both."""
        for name in MODES if mode is None else (mode,):
            setattr(self, name, ModeBaseline())

    @classmethod
    def from_image(cls, path: str | Path) -> Baseline:
        """A baseline from one healthy reference picture (the probe's `--reference`)."""
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise BaselineError(f"{path}: not a readable image file")
        out = cls()
        if not out.learn([Frame(0.0, m.as_u8(image))]):
            raise BaselineError(f"{path}: picture too small for a reference")
        for mode in MODES:
            out.mode(mode).vetted = out.knows(mode)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (reference pictures as base64 PNG)."""
        return {"format": _FORMAT, "day": self.day.to_dict(), "night": self.night.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        """Rebuild a baseline from `to_dict` output."""
        try:
            if data.get("format") != _FORMAT:
                raise BaselineError(f"unknown baseline format {data.get('format')!r}")
            return cls(ModeBaseline.from_dict(data["day"]), ModeBaseline.from_dict(data["night"]))
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, BaselineError):
                raise
            raise BaselineError(f"stored baseline is damaged: {exc}") from exc

    def to_bytes(self) -> bytes:
        """Serialised for storage (UTF-8 JSON)."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Baseline:
        """Read `to_bytes` output."""
        try:
            data = json.loads(raw.decode())
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BaselineError(f"stored baseline is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BaselineError("stored baseline is not a JSON object")
        return cls.from_dict(data)
