"""From metrics to scored faults: where each fault starts, and how sure the judge is of it.

Where the camera has a baseline (a reference picture or a learned normal), darkness, blur,
covers, texture loss, colour and noise are judged as change against it. Without one only gross
faults are called, so that natural scenes (plain walls, sky, snow, water, tinted indoor light,
dusk, fog, rain, infrared night, crowds) never raise an alarm on rules tuned elsewhere.

Every rule gives a score in 0..1: 0.5 exactly at its threshold, rising smoothly past it. A fault
is listed from 0.5; a verdict is only confident (and may open an alert) from `CONFIDENT`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["DEFAULT", "Thresholds", "decide", "score_faults"]


@dataclass(frozen=True)
class Thresholds:
    """Where each fault starts (score 0.5). Tuned on the scenes of split "tune" only, each at
    the geometric midpoint between the healthy and the faulty values seen there."""

    # No signal: a drawn screen, flat to the grey level (share of the 8 finest colour bins;
    # dark spray paint reached 0.976, no-video screens 0.997 and more).
    screen_share: float = 0.99
    # Black: hardly any light at all (mean grey level, share of pixels under 20).
    black_mean: float = 14.0
    black_dark_share: float = 0.95
    # Overexposed: most of the picture saturated (over 235); against the baseline, saturation
    # that was not there (a bright sky is).
    bright_share: float = 0.6
    bright_added: float = 0.35
    # Frozen: pictures a second or more apart decoded to the same pixels, noise floor included
    # (share of pixels clear of burned-in text). Inside one group of pictures an encoder skips
    # a still background, so a live 1080p view with one distant walker passed 0.995; only
    # every pixel the same is evidence (a decoder or recorder repeating its last picture).
    identical_share: float = 0.9995
    frozen_min_span_s: float = 0.9
    # ... or, in the service, no change since the previous probe (median change of 32-pixel
    # block means, grey levels: stuck 0.14 and less, live 0.19 and more) while the change
    # between frames fell under the camera's learned level.
    history_block_change: float = 0.165
    # (Re-coded keyframes of a stuck picture still show up to 0.77 of the camera's learned
    # change between frames, but a live camera denoising harder than usual shows 0.68: only
    # pictures that changed under 0.6 of the camera's normal count.)
    history_noise_ratio: float = 0.6
    # Blur: detail against the camera's own healthy picture (fog 0.09, defocus 0.04 and less);
    # without one, next to none left (a plain wall in fog 0.24, defocus 0.25 and less).
    blur_ratio: float = 0.06
    blur_abs_detail: float = 0.15
    # Occlusion against the baseline: a connected region of blocks that kept under a fifth of
    # their detail (share of blocks that had detail) and a changed layout (1 - correlation of
    # block means); without a baseline, a picture flat nearly all over.
    occluded_faded_largest: float = 0.17
    occluded_layout_loss: float = 0.2
    occluded_abs_flat: float = 0.92
    # ... or no detail left and only a gentle lighting gradient (grey-level spread): a sheet
    # over the lens, where a defocused view keeps its layout's contrast (paper 19, blur 30+).
    cover_contrast: float = 24.0
    # Shift: mean corner movement as a share of the diagonal, with enough matched features.
    shift_displacement: float = 0.055
    shift_min_matches: float = 12.0
    # ... or, with too few features, edge phase correlation with a clear peak (turned views
    # peaked at 0.36 to 0.47 and agreed with the features; misleading peaks of blur and covers
    # reached 0.15).
    shift_min_response: float = 0.23
    # Colour cast: how unevenly the channel gains moved from the baseline's (log units:
    # tinted light up to 0.195, lost white balance 0.427 and more); without one, only a gross
    # tint.
    cast_gain: float = 0.29
    cast_abs_k: float = 3.0
    cast_abs_chroma: float = 40.0
    # Noise: against the grain the camera itself showed in healthy probes only. Grain in the
    # plainest quarter of the picture, or fresh grain between frames in the calmest quarter,
    # where leaves, cars and rain do not reach (healthy up to 1.75x the learned level, noisy
    # 2.13x and more). An old or cheap sensor is grainier when healthy than a good one with a
    # fault, and a reference picture (a median of frames) has no grain to compare with, so
    # without a learned level noise is not judged.
    grain_ratio: float = 2.4
    temporal_grain_ratio: float = 1.93
    # Shift also needs the layout to have changed (1 - correlation of block means): a moved
    # object carries features with it, a turned camera moves everything.
    shift_layout_loss: float = 0.15


DEFAULT = Thresholds()

_SOFT = 4.0  # slope of ratio scores: 1.2x past the threshold scores 0.67, 1.5x 0.83, 2x 0.94
_SHARE_WIDTH = 0.02  # width of share scores: 0.02 past the threshold scores 0.73


def _logistic(x: float) -> float:
    if x < -40:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


class _Scorer:
    """Scores of "metric past its limit", 0 where the metric is missing."""

    def __init__(self, metrics: dict[str, float]) -> None:
        self.m = metrics

    def has(self, key: str) -> bool:
        v = self.m.get(key)
        return v is not None and math.isfinite(v)

    def over(self, key: str, limit: float) -> float:
        """For positive metrics: how far above `limit`, on a log scale."""
        if not self.has(key):
            return 0.0
        v = max(self.m[key], 1e-9)
        return _logistic(_SOFT * math.log(v / limit))

    def under(self, key: str, limit: float) -> float:
        if not self.has(key):
            return 0.0
        v = max(self.m[key], 1e-9)
        return _logistic(_SOFT * math.log(limit / v))

    def share_over(self, key: str, limit: float, width: float = _SHARE_WIDTH) -> float:
        """For shares (0..1): how far above `limit`, linearly (`width` past it scores 0.73)."""
        if not self.has(key):
            return 0.0
        return _logistic((self.m[key] - limit) / width)


def score_faults(metrics: dict[str, float], t: Thresholds = DEFAULT) -> dict[str, float]:
    """A score in 0..1 for every fault (0.5 at its threshold)."""
    if metrics.get("frames", 0.0) < 1:
        return {"no_signal": 1.0}
    s = _Scorer(metrics)
    based = s.has("baseline_samples")
    scores: dict[str, float] = {}

    scores["black"] = min(
        s.under("brightness", t.black_mean), s.share_over("dark_share", t.black_dark_share)
    )
    saturated = s.share_over("bright_share", t.bright_share)
    if based and s.has("bright_share_added"):
        saturated = min(saturated, s.share_over("bright_share_added", t.bright_added))
    scores["overexposed"] = saturated
    scores["no_signal"] = s.share_over("screen_share", t.screen_share, width=0.002)

    frozen = 0.0
    if metrics.get("span_s", 0.0) >= t.frozen_min_span_s:
        frozen = s.share_over("identical_share", t.identical_share, width=0.0002)
    if metrics.get("pts_repeats", 0.0) >= 1:
        frozen = max(frozen, 0.9)
    if s.has("history_block_change") and s.has("temporal_noise_ratio"):
        unchanged = min(
            s.under("history_block_change", t.history_block_change),
            s.under("temporal_noise_ratio", t.history_noise_ratio),
        )
        frozen = max(frozen, unchanged)

    layout = _Scorer({"loss": 1.0 - metrics.get("structure_corr", float("nan"))})
    shifted = 0.0
    by_features = metrics.get("shift_matches", 0.0) >= t.shift_min_matches
    by_phase = metrics.get("shift_response", 0.0) >= t.shift_min_response
    if s.has("shift_displacement") and (by_features or by_phase):
        shifted = s.over("shift_displacement", t.shift_displacement)
        if layout.has("loss"):
            shifted = min(shifted, layout.share_over("loss", t.shift_layout_loss))
    if s.has("texture_faded_largest") and layout.has("loss"):
        occluded = min(
            s.share_over("texture_faded_largest", t.occluded_faded_largest),
            layout.share_over("loss", t.occluded_layout_loss),
        )
        occluded = max(occluded, s.share_over("flat_largest", t.occluded_abs_flat))
    else:
        occluded = max(
            s.share_over("flat_largest", t.occluded_abs_flat),
            min(s.under("detail", t.blur_abs_detail), s.under("contrast", t.cover_contrast)),
        )
    # A view that moved loses its blocks' detail and layout too: the camera turned, it is not
    # a cover, when the rest of the view is found elsewhere in the picture.
    # Only features found elsewhere say so; a phase peak alone does not outweigh a cover.
    if shifted >= 0.5 and by_features:
        occluded = min(occluded, 1.0 - shifted)
    scores["occluded"] = occluded
    scores["shifted"] = shifted if occluded < 0.5 else 0.0
    # Behind a cover there is too little left to tell a freeze from a still picture.
    scores["frozen"] = frozen if occluded < 0.5 else 0.0

    if based and s.has("detail_ratio"):
        blur = s.under("detail_ratio", t.blur_ratio)
    else:
        blur = s.under("detail", t.blur_abs_detail)
    scores["blur"] = blur if occluded < 0.5 else 0.0

    cast = 0.0
    if metrics.get("night", 0.0) < 0.5 and occluded < 0.5:
        if based and s.has("cast_gain"):
            cast = s.over("cast_gain", t.cast_gain)
        else:
            cast = min(s.over("cast_k", t.cast_abs_k), s.over("cast_chroma", t.cast_abs_chroma))
    scores["color_cast"] = cast

    noise = 0.0
    if based and s.has("temporal_grain_ratio"):
        noise = max(
            s.over("grain_ratio", t.grain_ratio),
            s.over("temporal_grain_ratio", t.temporal_grain_ratio),
        )
    scores["noise"] = noise
    return {k: round(v, 3) for k, v in scores.items()}


_WHOLE_PICTURE = ("black", "overexposed", "no_signal")
"""Faults that leave nothing else to judge, in order of precedence."""


def decide(metrics: dict[str, float], t: Thresholds = DEFAULT) -> list[str]:
    """Faults (score 0.5 or more), in order of how much of the picture they take away."""
    return faults_of(score_faults(metrics, t))


def faults_of(scores: dict[str, float]) -> list[str]:
    """The listed faults of a score table."""
    for whole in _WHOLE_PICTURE:
        if scores.get(whole, 0.0) >= 0.5:
            return [whole]
    order = ("frozen", "occluded", "blur", "shifted", "color_cast", "noise")
    return [f for f in order if scores.get(f, 0.0) >= 0.5]
