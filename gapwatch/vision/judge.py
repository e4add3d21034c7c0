"""Judge a camera's health from a few frames sampled over a few seconds.

`measure` turns frames (and the camera's baseline, when there is one) into named metrics;
`gapwatch.vision.rules` scores every fault from them. Both are pure.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from gapwatch.vision import metrics as m
from gapwatch.vision.baseline import Baseline, Mode, ModeBaseline, analysis_keep, picture_mode
from gapwatch.vision.rules import DEFAULT, Thresholds, decide, faults_of, score_faults
from gapwatch.vision.types import CONFIDENT, OFFLINE_FAULTS, Frame, Status, Verdict

__all__ = ["REASONS", "Thresholds", "decide", "judge", "measure"]

REASONS: dict[str, tuple[str, str]] = {
    "no_frames": ("no frames could be read", "未读取到任何画面"),
    "too_small": ("frames are too small to judge", "画面尺寸过小，无法判断"),
    "unsure": ("not sure", "无法确定"),
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
        note("screen_share", m.screen_share(bgr, keep))
        note("sharpness", m.laplacian_variance(g, keep))
        note("tenengrad", m.tenengrad(g, keep))
        note("noise", m.noise_sigma(g, keep))
        note("grain", m.noise_floor(g, keep))
        tex = m.block_texture(g)
        textures.append(tex)
        flat, largest, _ = m.flat_blocks(tex, kb)
        note("flat_share", flat)
        note("flat_largest", largest)
        a_mean, b_mean, k = m.colour_cast(bgr, keep)
        note("cast_a", a_mean)
        note("cast_b", b_mean)
        note("cast_k", k)
        note("cast_chroma", float(np.hypot(a_mean, b_mean)))
        mean_b, mean_g, mean_r = m.channel_means(bgr, keep)
        note("mean_b", mean_b)
        note("mean_g", mean_g)
        note("mean_r", mean_r)
    for key, values in per.items():
        out[key] = _median(values)
    out["detail"] = m.detail(out["sharpness"], out["contrast"])

    # A drawn screen is the same in every frame: one frame tells.
    out["uniformity"] = m.screen_uniformity(smalls[len(smalls) // 2], keep)
    mode = picture_mode(smalls[len(smalls) // 2])
    out["night"] = 1.0 if mode == "night" else 0.0
    times = [f.at for f in ordered]
    mo = m.motion(greys, times, keep)
    out["motion_mad"] = mo.mad
    out["motion_coarse"] = mo.coarse
    out["temporal_noise"] = m.temporal_noise(greys, keep, textures)
    out["temporal_grain"] = m.temporal_grain(greys, keep)
    out["span_s"] = mo.span_s
    if len(smalls) >= 2:
        # A frozen feed decodes the same pixels again; a live one never quite does.
        # An encoder re-codes whole macroblocks around a ticking clock: keep well clear of it.
        clear = m.shrink_keep(keep, 12)
        same = [
            m.identical_share(smalls[i], smalls[j], clear)
            for i, j in itertools.combinations(range(len(smalls)), 2)
            if ordered[j].at - ordered[i].at >= 0.9
        ]
        if same:
            out["identical_share"] = float(max(same))
    # A repeated timestamp on a repeated picture: the source sends its last frame again.
    # (Some servers stamp every frame alike; on a moving picture that is no evidence.)
    repeats = 0
    stamped = {f.pts for f in ordered if f.pts is not None}
    # One timestamp on every frame is a server that sends none, not a stream that got stuck.
    for i, j in itertools.pairwise(range(len(ordered)) if len(stamped) > 1 else ()):
        earlier, later = ordered[i], ordered[j]
        if earlier.pts is not None and earlier.pts == later.pts and later.at - earlier.at >= 0.5:
            repeats += int(m.identical_share(smalls[i], smalls[j], keep) >= 0.9)
    out["pts_repeats"] = float(repeats)
    middle = greys[len(greys) // 2]
    if baseline is not None and baseline.last is not None and baseline.last.shape == shape[:2]:
        out["history_identical"] = m.identical_share(baseline.last, middle, keep)
        change = np.abs(baseline.last.astype(np.float32) - middle.astype(np.float32))
        out["history_change"] = float(change[keep].mean()) if keep.any() else float(change.mean())
        # Means over coarse blocks average the re-coding of an unchanged picture away; light
        # drift and anything that moved in minutes remain. The median ignores a ticking clock.
        out["history_block_change"] = m.coarse_change(baseline.last, middle)

    other: Mode = "day" if mode == "night" else "night"
    if baseline is not None and not baseline.knows(mode) and baseline.knows(other):
        # A grey cover (paper, a bag) looks like an infrared picture, for which the camera may
        # have learned nothing yet; the view's layout is shared by both modes, so covers and
        # turns are still judged against the other mode's picture.
        _against_layout(out, baseline.mode(other), textures, greys, keep, kb)
        out["baseline_cross_mode"] = 1.0
        floor = baseline.mode(other).learned("temporal_noise")
        if floor is not None:
            out["temporal_noise_ratio"] = out["temporal_noise"] / max(floor, 0.3)
    if baseline is not None and baseline.knows(mode):
        mb = baseline.mode(mode)
        out["baseline_samples"] = float(mb.samples)
        out["brightness_ratio"] = out["brightness"] / max(mb.mean("brightness"), 1.0)
        learned_bright = mb.learned("bright_share")
        if learned_bright is not None:
            out["bright_share_added"] = out["bright_share"] - learned_bright
        noise_floor = mb.learned("temporal_noise")
        out["sharpness_ratio"] = out["sharpness"] / max(mb.mean("sharpness"), 1e-6)
        out["detail_ratio"] = out["detail"] / max(mb.mean("detail"), 1e-6)
        out["tenengrad_ratio"] = out["tenengrad"] / max(mb.mean("tenengrad"), 1e-6)
        out["noise_ratio"] = out["noise"] / max(mb.mean("noise"), 0.3)
        learned_grain = mb.learned("grain")
        if learned_grain is not None:
            out["grain_ratio"] = out["grain"] / max(learned_grain, 0.2)
        if noise_floor is not None:
            out["temporal_noise_ratio"] = out["temporal_noise"] / max(noise_floor, 0.3)
        out["contrast_ratio"] = out["contrast"] / max(mb.mean("contrast"), 1.0)
        out["cast_shift"] = float(
            np.hypot(out["cast_a"] - mb.mean("cast_a"), out["cast_b"] - mb.mean("cast_b"))
        )
        b0, g0, r0 = (mb.learned(f"mean_{c}") for c in "bgr")
        if b0 is not None and g0 is not None and r0 is not None:
            now = (out["mean_b"], out["mean_g"], out["mean_r"])
            out["cast_gain"] = m.cast_gain(now, (b0, g0, r0))
        grain_floor = mb.learned("temporal_grain")
        if grain_floor is not None:
            # A camera whose picture hardly changes between frames (a plain wall, a strong
            # denoiser) has a floor near 0: a ratio against it would make any flicker noise.
            out["temporal_grain_ratio"] = out["temporal_grain"] / max(grain_floor, 0.25)
        _against_layout(out, mb, textures, greys, keep, kb)
    return out


def _status(faults: list[str], scores: dict[str, float]) -> Status:
    if not faults:
        return "ok"
    if max(scores.get(f, 0.0) for f in faults) < CONFIDENT:
        return "unknown"
    if any(f in OFFLINE_FAULTS for f in faults):
        return "offline"
    return "degraded"


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
        return Verdict(
            "offline", ["no_signal"], {"frames": 0.0}, reason_text(["no_frames"]), {"no_signal": 1}
        )
    h, w = frames[0].image.shape[:2]
    if min(h, w) < m.MIN_SIDE:
        size = {"frames": float(len(frames)), "width": float(w), "height": float(h)}
        return Verdict("unknown", [], size, reason_text(["too_small"]))
    metrics = measure(frames, baseline)
    scores = score_faults(metrics, thresholds)
    faults = faults_of(scores)
    status = _status(faults, scores)
    reason = reason_text(faults)
    if status == "unknown" and reason is not None:
        reason = f"{REASONS['unsure'][0]}: {reason} / {REASONS['unsure'][1]}"
    clean = {k: round(v, 4) for k, v in metrics.items() if math.isfinite(v)}
    return Verdict(status, faults, clean, reason, scores)


def _against_layout(
    out: dict[str, float],
    mb: ModeBaseline,
    textures: list[m.F32],
    greys: list[m.U8],
    keep: m.Mask,
    kb: m.Mask,
) -> None:
    """Texture, layout and view position against a mode's healthy picture, into `out`."""
    out.setdefault("contrast_ratio", out["contrast"] / max(mb.mean("contrast"), 1.0))
    if mb.reference is not None and mb.reference.shape == greys[0].shape:
        out["structure_corr"] = m.structure_similarity(mb.reference, greys[len(greys) // 2], kb)
    if mb.texture is not None and mb.texture.shape == textures[0].shape and mb.settled():
        # Only blocks that had detail in the healthy picture can show a cover: a plain
        # sky or wall is flat by nature.
        now = np.median(np.stack(textures), axis=0).astype(np.float32)
        # Less light (dusk) or fog lowers every block's detail along with the contrast but
        # keeps the layout; a cover takes a region's detail and layout away whatever the light.
        layout_kept = out.get("structure_corr", 0.0) >= 0.8
        gain = float(np.clip(out["contrast_ratio"], 0.3, 1.0)) if layout_kept else 1.0
        out["texture_gain"] = gain
        textured = (mb.texture >= 2 * m.FLAT_LEVEL) & kb
        if mb.mobile is not None and mb.mobile.shape == textured.shape:
            # Judge covers on the blocks that hold still in the camera's healthy pictures, as
            # long as enough of them are left to see one.
            steady = textured & ~mb.mobile
            out["mobile_share"] = float((textured & mb.mobile).sum()) / max(int(textured.sum()), 1)
            if steady.sum() >= 0.3 * textured.sum():
                textured = steady
        out["textured_share"] = float(textured.sum()) / max(int(kb.sum()), 1)
        lost, lost_largest, _ = m.flat_blocks(now / gain, textured)
        out["texture_lost_share"] = lost
        out["texture_lost_largest"] = lost_largest
        # A translucent cover (tape, a smeared lens) leaves some detail: count blocks that
        # kept under a fifth of theirs, and whether the rest of the picture stayed sharp.
        ratio = now / np.maximum(mb.texture, 1e-3) / gain
        faded = textured & (ratio < 0.2)
        _, faded_largest, _ = m.flat_blocks(
            np.where(faded, 0.0, m.FLAT_LEVEL).astype(np.float32), textured
        )
        rest = textured & ~faded
        out["texture_faded_largest"] = faded_largest
        out["texture_rest_ratio"] = float(np.median(ratio[rest])) if rest.any() else 0.0
    if mb.reference is not None:
        shift = m.scene_shift(mb.reference, greys[len(greys) // 2], keep)
        out["shift_displacement"] = shift.displacement
        out["shift_rotation_deg"] = shift.rotation_deg
        out["shift_scale"] = shift.scale
        out["shift_matches"] = float(shift.matches)
        out["shift_response"] = shift.response
