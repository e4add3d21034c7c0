"""Judge a camera's health from a few frames sampled over a few seconds.

`measure` turns frames (and the camera's baseline, when there is one) into named metrics;
`decide` turns metrics into faults with the thresholds in `Thresholds`. Both are pure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gapwatch.vision import metrics as m
from gapwatch.vision.baseline import Baseline, analysis_keep, picture_mode
from gapwatch.vision.types import OFFLINE_FAULTS, Frame, Status, Verdict

__all__ = ["REASONS", "Thresholds", "decide", "judge", "measure"]


@dataclass(frozen=True)
class Thresholds:
    """Where each fault starts. Defaults come from RESEARCH.md, tuned on sample_streams/clips."""

    # No signal: a recorder's "no video" screen is a few flat colours.
    uniform_share: float = 0.985
    # Black: most pixels under grey level 20 (Huawei's 72 %, raised: night scenes have dark parts).
    black_dark_share: float = 0.90
    black_mean: float = 30.0
    # Overexposed: most pixels near white.
    bright_share: float = 0.60
    bright_mean: float = 215.0
    # Frozen: largest change of 8×8 block means between samples seconds apart, in grey levels.
    # FFmpeg's freezedetect uses 0.26 grey levels (-60 dB) on whole pixels; re-encoded stills
    # reach 0.3 on block means here, a motionless live scene 1.7 and more.
    frozen_change: float = 0.8
    frozen_min_span_s: float = 0.9
    # Blur: detail against the camera's own healthy picture, else an absolute floor.
    blur_ratio: float = 0.35
    blur_abs_detail: float = 0.5  # Laplacian variance / grey variance
    # Occlusion: blocks without detail (RESEARCH.md: alarm above 32 % of 8×8 blocks).
    occluded_flat_largest: float = 0.32
    occluded_rest_ratio: float = 0.5  # detail kept outside a translucent cover
    # Colour cast: LAB D/M (RESEARCH.md: 1.5), or drift from the baseline's mean chroma.
    cast_k: float = 1.5
    cast_shift: float = 12.0
    cast_neutral: float = 6.0  # chroma of the least colourful tenth of the picture
    # Noise: grey-level σ of the high-frequency residual at analysis width.
    noise_sigma: float = 2.5
    noise_ratio: float = 2.0
    noise_temporal: float = 2.6  # σ of the frame-to-frame change in plain areas
    # Shift: mean corner movement as a share of the diagonal.
    shift_displacement: float = 0.04


DEFAULT = Thresholds()

REASONS: dict[str, tuple[str, str]] = {
    "no_frames": ("no frames could be read", "未读取到任何画面"),
    "too_small": ("frames are too small to judge", "画面尺寸过小，无法判断"),
    "no_signal": ("uniform no-video screen", "画面为无视频信号提示"),
    "black": ("picture is black", "画面黑屏"),
    "overexposed": ("picture is washed out (overexposed)", "画面过曝"),
    "frozen": ("picture does not change (frozen)", "画面冻结"),
    "blur": ("picture is blurred", "画面模糊"),
    "occluded": ("lens is covered or obstructed", "镜头被遮挡"),
    "shifted": ("view has moved from the reference", "画面偏移，摄像机位置改变"),
    "color_cast": ("colour cast", "画面偏色"),
    "noise": ("picture is noisy", "画面噪声过大"),
}
"""Why a fault was raised, in English and Simplified Chinese."""


def _median(values: list[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return float(np.median(finite)) if finite else float("nan")


def measure(frames: Sequence[Frame], baseline: Baseline | None = None) -> dict[str, float]:
    """Every metric the decision uses, as named floats (per-frame metrics: median over frames)."""
    if not frames:
        return {"frames": 0.0}
    first = frames[0].image.shape[:2]
    ordered = sorted((f for f in frames if f.image.shape[:2] == first), key=lambda f: f.at)
    smalls = [m.downscale(m.as_bgr(f.image)) for f in ordered]
    shape = smalls[0].shape
    greys = [m.grey(s) for s in smalls]
    keep = analysis_keep([m.as_bgr(f.image) for f in ordered], (shape[0], shape[1]))
    out: dict[str, float] = {"frames": float(len(smalls)), "overlay_share": float(1 - keep.mean())}

    per: dict[str, list[float]] = {}

    def note(key: str, value: float) -> None:
        per.setdefault(key, []).append(value)

    textures = []
    kb = m.block_keep(keep, (shape[0] // m.BLOCK, shape[1] // m.BLOCK))
    for bgr, g in zip(smalls, greys, strict=True):
        b = m.brightness(g, keep)
        note("brightness", b.mean)
        note("contrast", b.std)
        note("dark_share", b.dark_share)
        note("bright_share", b.bright_share)
        note("uniformity", m.screen_uniformity(bgr, keep))
        note("sharpness", m.laplacian_variance(g, keep))
        note("tenengrad", m.tenengrad(g, keep))
        note("noise", m.noise_sigma(g, keep))
        tex = m.block_texture(g)
        textures.append(tex)
        flat, largest, _ = m.flat_blocks(tex, kb)
        note("flat_share", flat)
        note("flat_largest", largest)
        a_mean, b_mean, k = m.colour_cast(bgr, keep)
        note("cast_a", a_mean)
        note("cast_b", b_mean)
        note("cast_k", k)
        note("colourfulness", m.colourfulness(bgr, keep))
        note("neutral_chroma", m.neutral_chroma(bgr, keep))
    for key, values in per.items():
        out[key] = _median(values)
    out["detail"] = m.detail(out["sharpness"], out["contrast"])

    mode = picture_mode(smalls[len(smalls) // 2])
    out["night"] = 1.0 if mode == "night" else 0.0
    times = [f.at for f in ordered]
    mo = m.motion(greys, times, keep)
    out["motion_mad"] = mo.mad
    out["motion_coarse"] = mo.coarse
    out["temporal_noise"] = m.temporal_noise(greys, keep)
    out["span_s"] = mo.span_s

    if baseline is not None and baseline.knows(mode):
        mb = baseline.mode(mode)
        out["baseline_samples"] = float(mb.samples)
        out["sharpness_ratio"] = out["sharpness"] / max(mb.mean("sharpness"), 1e-6)
        out["detail_ratio"] = out["detail"] / max(mb.mean("detail"), 1e-6)
        out["tenengrad_ratio"] = out["tenengrad"] / max(mb.mean("tenengrad"), 1e-6)
        out["noise_ratio"] = out["noise"] / max(mb.mean("noise"), 0.3)
        out["contrast_ratio"] = out["contrast"] / max(mb.mean("contrast"), 1.0)
        out["cast_shift"] = float(
            np.hypot(out["cast_a"] - mb.mean("cast_a"), out["cast_b"] - mb.mean("cast_b"))
        )
        if mb.texture is not None and mb.texture.shape == textures[0].shape:
            # Only blocks that had detail in the healthy picture can show a cover: a plain
            # sky or wall is flat by nature.
            now = np.median(np.stack(textures), axis=0).astype(np.float32)
            textured = (mb.texture >= 2 * m.FLAT_LEVEL) & kb
            lost, lost_largest, _ = m.flat_blocks(now, textured)
            out["texture_lost_share"] = lost
            out["texture_lost_largest"] = lost_largest
            # A translucent cover (tape, a smeared lens) leaves some detail: count blocks that
            # kept under a fifth of theirs, and whether the rest of the picture stayed sharp.
            ratio = now / np.maximum(mb.texture, 1e-3)
            faded = textured & (ratio < 0.2)
            _, faded_largest, _ = m.flat_blocks(
                np.where(faded, 0.0, m.FLAT_LEVEL).astype(np.float32), textured
            )
            rest = textured & ~faded
            out["texture_faded_largest"] = faded_largest
            out["texture_rest_ratio"] = float(np.median(ratio[rest])) if rest.any() else 0.0
        if mb.reference is not None and mb.reference.shape == greys[0].shape:
            out["structure_corr"] = m.structure_similarity(mb.reference, greys[len(greys) // 2], kb)
        if mb.reference is not None:
            shift = m.scene_shift(mb.reference, greys[len(greys) // 2], keep)
            out["shift_displacement"] = shift.displacement
            out["shift_rotation_deg"] = shift.rotation_deg
            out["shift_scale"] = shift.scale
            out["shift_matches"] = float(shift.matches)
    return out


def decide(metrics: dict[str, float], t: Thresholds = DEFAULT) -> list[str]:
    """Faults from metrics, in order of how much of the picture they take away."""
    if metrics.get("frames", 0.0) < 1:
        return ["no_signal"]
    g = metrics.get

    def over(key: str, limit: float) -> bool:
        v = g(key)
        return v is not None and math.isfinite(v) and v > limit

    def under(key: str, limit: float) -> bool:
        v = g(key)
        return v is not None and math.isfinite(v) and v < limit

    # Whole-picture faults: nothing else can be judged on such a picture.
    if over("dark_share", t.black_dark_share) or (
        under("brightness", t.black_mean) and over("dark_share", 0.5)
    ):
        return ["black"]
    if over("uniformity", t.uniform_share):
        return ["no_signal"]
    if over("bright_share", t.bright_share) or over("brightness", t.bright_mean):
        return ["overexposed"]

    faults: list[str] = []

    # A cover: one large connected region without detail. Against the camera's own picture
    # only blocks that had detail count; without one, any block does.
    if "texture_lost_largest" in metrics:
        occluded = over("texture_lost_largest", t.occluded_flat_largest) or (
            over("texture_faded_largest", t.occluded_flat_largest)
            and not under("texture_rest_ratio", t.occluded_rest_ratio)
        )
    else:
        occluded = over("flat_largest", t.occluded_flat_largest)
    # Freeze is told from a live picture by what moves in its visible part; behind a cover
    # there is too little left to tell.
    span_ok = g("span_s", 0.0) >= t.frozen_min_span_s
    if not occluded and span_ok and under("motion_coarse", t.frozen_change):
        faults.append("frozen")
    blurred = False
    if occluded:
        faults.append("occluded")
    else:
        blurred = (
            under("detail_ratio", t.blur_ratio)
            if "detail_ratio" in metrics
            else under("detail", t.blur_abs_detail)
        )
        if blurred:
            faults.append("blur")
        # Too little detail left to tell where the camera points.
        elif over("shift_displacement", t.shift_displacement):
            faults.append("shifted")
    # A cover's own colour is not the camera's colour balance; IR pictures have no colour.
    if not occluded and g("night", 0.0) < 0.5:
        if "cast_shift" in metrics:
            cast = over("cast_shift", t.cast_shift) or over("cast_k", t.cast_k)
        else:
            cast = over("cast_k", t.cast_k) or over("neutral_chroma", t.cast_neutral)
        if cast:
            faults.append("color_cast")
    grainy = over("noise", t.noise_sigma)
    if "noise_ratio" in metrics:
        grainy = grainy and over("noise_ratio", t.noise_ratio)
    if grainy or over("temporal_noise", t.noise_temporal):
        faults.append("noise")
    return faults


def _status(faults: list[str]) -> Status:
    if any(f in OFFLINE_FAULTS for f in faults):
        return "offline"
    return "degraded" if faults else "ok"


def reason_text(keys: list[str]) -> str | None:
    """A one-line reason in English and Simplified Chinese for faults (or other REASONS keys)."""
    if not keys:
        return None
    en = "; ".join(REASONS[k][0] for k in keys)
    zh = "；".join(REASONS[k][1] for k in keys)
    return f"{en} / {zh}"


def judge(
    frames: Sequence[Frame], baseline: Baseline | None = None, thresholds: Thresholds = DEFAULT
) -> Verdict:
    """The health verdict on a camera from frames sampled over a few seconds."""
    if not frames:
        return Verdict("offline", ["no_signal"], {"frames": 0.0}, reason_text(["no_frames"]))
    h, w = frames[0].image.shape[:2]
    if min(h, w) < m.MIN_SIDE:
        size = {"frames": float(len(frames)), "width": float(w), "height": float(h)}
        return Verdict("offline", ["no_signal"], size, reason_text(["too_small"]))
    metrics = measure(frames, baseline)
    faults = decide(metrics, thresholds)
    clean = {k: round(v, 4) for k, v in metrics.items() if math.isfinite(v)}
    return Verdict(_status(faults), faults, clean, reason_text(faults))
