"""Image metrics for camera health: pure functions over small numpy pictures.

Every function takes a downscaled picture (see `downscale`) and, where it makes sense, a `keep`
mask (True = pixel may decide; burned-in text is False) and returns plain floats.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "ANALYSIS_WIDTH",
    "BLOCK",
    "MIN_SIDE",
    "Brightness",
    "Motion",
    "Shift",
    "as_bgr",
    "as_u8",
    "block_texture",
    "brightness",
    "cast_gain",
    "channel_means",
    "coarse_change",
    "colour_cast",
    "colourfulness",
    "detail",
    "downscale",
    "flat_blocks",
    "grey",
    "identical_share",
    "laplacian_variance",
    "motion",
    "neutral_chroma",
    "noise_floor",
    "noise_sigma",
    "scene_shift",
    "screen_share",
    "screen_uniformity",
    "shrink_keep",
    "structure_similarity",
    "temporal_grain",
    "temporal_noise",
    "tenengrad",
]

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
F32 = npt.NDArray[np.float32]

ANALYSIS_WIDTH = 320
"""Pictures are judged at this width: enough for every metric, about 1 ms per frame."""

BLOCK = 8
"""Side of the square blocks used for texture and occlusion (pixels at analysis width)."""

MIN_SIDE = 4 * BLOCK
"""Pictures smaller than this on either side cannot be judged."""


def as_u8(array: npt.ArrayLike) -> U8:
    """The array as 8-bit pixels (no copy when it already is)."""
    return np.asarray(array, dtype=np.uint8)


def as_bgr(image: U8) -> U8:
    """A grey picture (some decoders hand them out) as three equal channels; BGR kept as is."""
    if image.ndim == 2:
        return as_u8(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    return image


def downscale(image: U8, width: int = ANALYSIS_WIDTH) -> U8:
    """Shrink a picture to `width` pixels wide (area averaging); smaller ones are kept."""
    h, w = image.shape[:2]
    if w <= width:
        return image
    height = max(1, round(h * width / w))
    return as_u8(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))


def grey(image: U8) -> U8:
    """Grey version of a BGR picture (a grey picture is returned as it is)."""
    if image.ndim == 2:
        return image
    return as_u8(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))


def _kept(values: npt.NDArray[np.generic], keep: Mask | None) -> npt.NDArray[np.generic]:
    if keep is None:
        return values.reshape(-1)
    picked = values[keep]
    return picked if picked.size else values.reshape(-1)


@dataclass(frozen=True)
class Brightness:
    """Grey-level statistics of a picture."""

    mean: float
    std: float
    dark_share: float  # share of pixels below `dark_level`
    bright_share: float  # share of pixels above `bright_level`


def brightness(
    g: U8, keep: Mask | None = None, dark_level: int = 20, bright_level: int = 235
) -> Brightness:
    """Mean, spread and the shares of very dark and very bright pixels."""
    v = _kept(g, keep).astype(np.float32)
    return Brightness(
        mean=float(v.mean()),
        std=float(v.std()),
        dark_share=float((v < dark_level).mean()),
        bright_share=float((v > bright_level).mean()),
    )


def laplacian_variance(g: U8, keep: Mask | None = None) -> float:
    """Variance of the Laplacian: high for sharp detail, low for blur."""
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=3)
    return float(_kept(lap, _inner(keep, 1)).astype(np.float64).var())


def detail(sharpness: float, contrast: float) -> float:
    """Laplacian variance over grey variance: sharpness that does not change with exposure.

    Dimming a picture by a factor k scales both by k², so dusk is not mistaken for blur.
    """
    return sharpness / max(contrast * contrast, 1.0)


def tenengrad(g: U8, keep: Mask | None = None) -> float:
    """Mean squared Sobel gradient (Tenengrad focus measure)."""
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3)
    return float(_kept(gx * gx + gy * gy, _inner(keep, 1)).astype(np.float64).mean())


def _inner(keep: Mask | None, margin: int) -> Mask | None:
    """Shrink the kept area so that filters near masked text do not count the text's edges."""
    if keep is None:
        return None
    k = 2 * margin + 1
    eroded = cv2.erode(keep.astype(np.uint8), np.ones((k, k), np.uint8))
    return np.asarray(eroded, dtype=bool)


_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(g: U8, keep: Mask | None = None) -> float:
    """Standard deviation of the picture's noise, in grey levels.

    Immerkær's operator (a difference of two Laplacians) cancels smooth shading and straight
    edges; on pure Gaussian noise of σ its output has standard deviation 6σ. The median of its
    magnitude (divided by 0.6745 for a Gaussian) ignores the few edge pixels that leak through.
    """
    r = cv2.filter2D(g.astype(np.float32), -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT)
    r = r[1:-1, 1:-1]
    inner = None if keep is None else _inner(keep, 1)[1:-1, 1:-1]  # type: ignore[index]
    v = np.abs(_kept(r, inner).astype(np.float32))
    return float(np.median(v) / 0.6745 / 6.0)


def noise_floor(g: U8, keep: Mask | None = None, quantile: float = 0.25) -> float:
    """Grain in the plainest part of the picture, as a Gaussian σ in grey levels.

    Immerkær's residual is averaged per block; edges and texture raise some blocks, so the
    `quantile` of the blocks is taken, where only grain is left. On pure Gaussian noise of σ the
    mean absolute residual is 6σ·√(2/π). Unlike a median of pixels it is not a whole number of
    grey levels, so a compressed picture's faint grain still registers.
    """
    r = np.abs(cv2.filter2D(g.astype(np.float32), -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT))
    blocks = _block_mean(r)
    bh, bw = blocks.shape
    kb = block_keep(None if keep is None else _inner(keep, 1), (bh, bw))
    values = blocks[kb] if kb.any() else blocks.reshape(-1)
    return float(np.quantile(values, quantile)) / (6.0 * 0.7979)


def _block_mean(x: npt.NDArray[np.generic], block: int = BLOCK) -> F32:
    """Mean of every whole `block`×`block` block (area resampling: exact, and fast)."""
    h, w = x.shape[:2]
    bh, bw = h // block, w // block
    inner = np.ascontiguousarray(x[: bh * block, : bw * block], dtype=np.float32)
    return np.asarray(cv2.resize(inner, (bw, bh), interpolation=cv2.INTER_AREA), np.float32)


def block_texture(g: U8) -> F32:
    """Per-block detail: the standard deviation of the Laplacian in each BLOCK×BLOCK block."""
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=3)
    mean = _block_mean(lap)
    square = _block_mean(lap * lap)
    return np.sqrt(np.maximum(square - mean * mean, 0.0)).astype(np.float32)


def block_means(g: U8) -> F32:
    """Per-block mean grey level."""
    return _block_mean(g)


def block_keep(keep: Mask | None, shape: tuple[int, int]) -> Mask:
    """Blocks that contain no masked pixel."""
    bh, bw = shape
    if keep is None:
        return np.ones((bh, bw), bool)
    # A block's mean of 0/1 pixels is 1 only when every pixel is kept.
    return np.asarray(_block_mean(keep[: bh * BLOCK, : bw * BLOCK].view(np.uint8)) > 0.9999)


FLAT_LEVEL = 4.0
"""Laplacian spread under which a block has no detail (encoders leave about 3 on plain areas)."""


def flat_blocks(
    texture: F32, keep_blocks: Mask, flat_level: float = FLAT_LEVEL
) -> tuple[float, float, Mask]:
    """Share of kept blocks without detail, share of the largest connected flat region, the map.

    A cover in front of the lens shows as one large connected flat region; a blurred or foggy
    picture loses detail everywhere and evenly.
    """
    flat = (texture < flat_level) & keep_blocks
    total = int(keep_blocks.sum()) or 1
    count, labels = cv2.connectedComponents(flat.astype(np.uint8), connectivity=4)
    largest = 0
    if count > 1:
        largest = int(np.bincount(labels.reshape(-1))[1:].max())
    return float(flat.sum()) / total, largest / total, flat


def colour_cast(image: U8, keep: Mask | None = None) -> tuple[float, float, float]:
    """LAB colour cast: (mean a, mean b, K = D / M).

    D is the distance of the mean chroma from neutral, M the mean distance of pixels from that
    mean chroma. A picture of varied colours has K well under 1; one tinted all over, K above 1.5.
    """
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    a = _kept(lab[..., 1], keep).astype(np.float32) - 128.0
    b = _kept(lab[..., 2], keep).astype(np.float32) - 128.0
    da, db = float(a.mean()), float(b.mean())
    d = float(np.hypot(da, db))
    m = float(np.hypot(np.abs(a - da).mean(), np.abs(b - db).mean()))
    return da, db, d / max(m, 0.5)


def channel_means(image: U8, keep: Mask | None = None) -> tuple[float, float, float]:
    """Mean blue, green and red levels of the pixels no channel clips (under 8 or over 247).

    Clipped pixels hide a channel's gain, so they are left out (all are used when fewer than
    5 % are left). Every other pixel each way is enough for a mean, and 4x cheaper.
    """
    image = image[::2, ::2]
    low = cv2.min(cv2.min(image[..., 0], image[..., 1]), image[..., 2])
    high = cv2.max(cv2.max(image[..., 0], image[..., 1]), image[..., 2])
    kept = None if keep is None else as_u8(keep[::2, ::2]) * np.uint8(255)
    pick = cv2.bitwise_and(cv2.inRange(low, 8, 255), cv2.inRange(high, 0, 247))
    if kept is not None:
        pick = cv2.bitwise_and(pick, kept)
    b, g, r, _ = cv2.mean(image, mask=pick if cv2.countNonZero(pick) >= 0.05 * pick.size else kept)
    return float(b), float(g), float(r)


def cast_gain(now: tuple[float, float, float], healthy: tuple[float, float, float]) -> float:
    """How unevenly the three channels' gains changed from a healthy picture (log units).

    White balance and tinted light act as one gain per channel, whatever the scene's own
    colours; a change of light level moves all three together and is taken out. 0 means the
    balance of the channels is as it was; ln(1.5) means one channel is 1.5x off the others.
    """
    logs = [np.log(max(n, 1.0) / max(h, 1.0)) for n, h in zip(now, healthy, strict=True)]
    centre = float(np.mean(logs))
    return float(max(abs(v - centre) for v in logs))


def neutral_chroma(image: U8, keep: Mask | None = None, share: float = 0.1) -> float:
    """Chroma left in the least colourful pixels (LAB units): a tint on what should be grey.

    Roads, walls and shadows are near grey in a balanced picture, so the `share` least colourful
    pixels average to almost no chroma; a colour cast tints them all the same way.
    """
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB)
    a = _kept(lab[..., 1], keep).astype(np.float32) - 128.0
    b = _kept(lab[..., 2], keep).astype(np.float32) - 128.0
    chroma = np.hypot(a, b)
    pick = chroma <= np.quantile(chroma, share)
    return float(np.hypot(a[pick].mean(), b[pick].mean()))


def colourfulness(image: U8, keep: Mask | None = None) -> float:
    """Hasler and Süsstrunk's colourfulness; near 0 for grey pictures (infrared night mode)."""
    f = image.astype(np.float32)
    b, g, r = f[..., 0], f[..., 1], f[..., 2]
    rg = _kept(r - g, keep).astype(np.float32)
    yb = _kept(0.5 * (r + g) - b, keep).astype(np.float32)
    spread = float(np.hypot(rg.std(), yb.std()))
    centre = float(np.hypot(rg.mean(), yb.mean()))
    return spread + 0.3 * centre


def screen_uniformity(
    image: U8, keep: Mask | None = None, step: int = 8, colours: int = 8
) -> float:
    """Share of pixels in the `colours` most common colours (quantised by `step`).

    A recorder's "no video" screen or a test pattern is made of a handful of flat colours
    (close to 1.0); any picture of a real scene spreads over many more.
    """
    # Every other pixel each way: a share over a quarter of the picture is as good, 4x cheaper.
    image = image[::2, ::2]
    keep = None if keep is None else keep[::2, ::2]
    q = (image // step).astype(np.int32)
    codes = (q[..., 0] * 64 + q[..., 1]) * 64 + q[..., 2]
    v = _kept(codes, keep).astype(np.int64)
    counts = np.bincount(v)
    counts = counts[counts > 0]  # the used bins are few; sorting them all is cheap
    top = np.sort(counts)[-colours:]
    return float(top.sum()) / max(int(v.size), 1)


def screen_share(image: U8, keep: Mask | None = None, step: int = 4, colours: int = 8) -> float:
    """Share of pixels in the `colours` most common colours, quantised finely (by `step`).

    A "no video" screen or a test pattern is drawn, not filmed: flat colours to the grey level.
    A sheet of paper or a plain wall close to the lens is lit unevenly and carries sensor grain,
    so its pixels spread over many fine colour bins even when it looks uniform.
    """
    return screen_uniformity(image, keep, step=step, colours=colours)


def identical_share(a: U8, b: U8, keep: Mask | None = None) -> float:
    """Share of pixels with exactly the same value in two pictures (outside `keep`'s mask).

    A live picture, however still, changes somewhere between samples seconds apart (sensor
    grain, light, compression of new input); a frozen feed decodes the same picture again.
    """
    if a.shape != b.shape:
        return 0.0
    diff = as_u8(cv2.absdiff(a, b))
    if diff.ndim == 3:
        diff = diff[..., 0] | diff[..., 1] | diff[..., 2]
    return float(_kept(diff == 0, keep).mean())


def shrink_keep(keep: Mask, margin: int) -> Mask:
    """The kept area shrunk by `margin` pixels (all of it when nothing would be left)."""
    inner = _inner(keep, margin)
    return inner if inner is not None and inner.any() else keep


def coarse_change(a: U8, b: U8, cell: int = 32) -> float:
    """Median absolute change of `cell`-pixel block means between two grey pictures."""
    h, w = a.shape
    size = (max(1, w // cell), max(1, h // cell))
    ca = cv2.resize(a.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    cb = cv2.resize(b.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return float(np.median(np.abs(ca - cb)))


def structure_similarity(reference: U8, current: U8, keep_blocks: Mask) -> float:
    """Correlation of the two pictures' block means: the scene's layout, blind to fine detail.

    Blur keeps a scene's layout (close to 1); a cover over the lens or a different view does not.
    """
    a = block_means(reference)[keep_blocks].astype(np.float64)
    b = block_means(current)[keep_blocks].astype(np.float64)
    if a.size < 2 or a.std() < 1e-6 or b.std() < 1e-6:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def temporal_noise(
    greys: list[U8], keep: Mask | None = None, textures: list[F32] | None = None
) -> float:
    """Noise that changes from frame to frame, as a Gaussian σ in grey levels.

    For each pair of samples the difference, less its median (a change of light), is averaged
    per block over the plainest 30 % of blocks, where a swaying camera or a passer-by changes
    little, and the median of those blocks is taken. Two frames with independent Gaussian
    noise of σ differ by a mean absolute 2σ/√π, which the result is scaled back from.
    `textures` (the frames' `block_texture`) may be passed when they are already computed.
    """
    if len(greys) < 2:
        return float("nan")
    kb = block_keep(keep, (greys[0].shape[0] // BLOCK, greys[0].shape[1] // BLOCK))
    if not kb.any():
        kb = np.ones_like(kb)
    values = []
    if textures is None or len(textures) != len(greys):
        textures = [block_texture(g) for g in greys]
    for i, (a, b) in enumerate(itertools.pairwise(greys)):
        d = a.astype(np.float32) - b.astype(np.float32)
        d = np.abs(d - float(np.median(d)))
        blocks = _block_mean(d)
        detail = np.maximum(textures[i], textures[i + 1])
        plain = kb & (detail <= np.quantile(detail[kb], 0.3))
        values.append(float(np.median(blocks[plain])))
    return float(np.median(values)) * float(np.sqrt(np.pi)) / 2.0


def temporal_grain(greys: list[U8], keep: Mask | None = None, quantile: float = 0.25) -> float:
    """Fresh grain between frames, as a Gaussian σ in grey levels, blind to things that move.

    Immerkær's residual of each frame difference keeps what is new and fine-grained in every
    pixel: grain and noise. Moving leaves, cars or rain streaks change only part of the picture,
    so the `quantile` of the blocks' mean residual is taken, where only grain is left. Two frames
    with independent Gaussian noise of σ differ by noise of σ√2, whose mean absolute residual is
    6σ√2·√(2/π).
    """
    if len(greys) < 2:
        return float("nan")
    h, w = greys[0].shape
    bh, bw = h // BLOCK, w // BLOCK
    kb = block_keep(None if keep is None else _inner(keep, 1), (bh, bw))
    if not kb.any():
        kb = np.ones_like(kb)
    values = []
    for a, b in itertools.pairwise(greys):
        d = a.astype(np.float32) - b.astype(np.float32)
        r = np.abs(cv2.filter2D(d, -1, _NOISE_KERNEL, borderType=cv2.BORDER_REFLECT))
        values.append(float(np.quantile(_block_mean(r)[kb], quantile)))
    return float(np.median(values)) / (6.0 * float(np.sqrt(2.0)) * 0.7979)


@dataclass(frozen=True)
class Motion:
    """How much the picture changed between samples taken seconds apart."""

    mad: float  # mean absolute grey difference, median over consecutive sample pairs
    coarse: float  # largest mean change of BLOCK×BLOCK block means over any pair of samples
    span_s: float  # time between the first and the last sample


def motion(greys: list[U8], times: list[float], keep: Mask | None = None) -> Motion:
    """Change between samples, outside the masked burned-in text.

    `coarse` compares block means: an encoder re-coding a still picture adds zero-mean
    quantisation noise that averages out inside a block, while a live scene, however still,
    drifts in light and grain between samples seconds apart.
    """
    if len(greys) < 2:
        return Motion(mad=float("nan"), coarse=float("nan"), span_s=0.0)
    mads = [
        float(_kept(cv2.absdiff(a, b), keep).astype(np.float32).mean())
        for a, b in itertools.pairwise(greys)
    ]
    means = [block_means(g) for g in greys]
    kb = block_keep(keep, (means[0].shape[0], means[0].shape[1]))
    if not kb.any():
        kb = np.ones_like(kb)
    coarse = 0.0
    for i in range(len(means)):
        for j in range(i + 1, len(means)):
            coarse = max(coarse, float(np.abs(means[i] - means[j])[kb].mean()))
    return Motion(mad=float(np.median(mads)), coarse=coarse, span_s=float(max(times) - min(times)))


@dataclass(frozen=True)
class Shift:
    """Where the view lies compared with the reference picture."""

    displacement: float  # mean movement of the picture's corners, as a share of its diagonal
    rotation_deg: float
    scale: float
    matches: int  # feature matches that agree with the estimated motion
    method: str  # "features" or "phase"
    response: float = 0.0  # phase correlation's peak (0..1): how much of the view it explains


def scene_shift(reference: U8, current: U8, keep: Mask | None = None) -> Shift:
    """Compare the view with the reference: ORB features and a similarity transform.

    Falls back to phase correlation when too few features match.
    """
    if reference.shape != current.shape:
        size = (reference.shape[1], reference.shape[0])
        current = as_u8(cv2.resize(current, size))
        if keep is not None:
            keep = np.asarray(cv2.resize(keep.astype(np.uint8), size) > 0, dtype=bool)
    h, w = reference.shape
    diagonal = float(np.hypot(w, h))
    orb = cv2.ORB.create(nfeatures=500, fastThreshold=10, edgeThreshold=15, patchSize=15)
    # Burned-in text sits at the same place on screen whatever the lens sees: leave it out of
    # both pictures or it would vouch for a view that has moved.
    inner = _inner(keep, 4)
    mask = None if inner is None else inner.astype(np.uint8) * 255
    kp1, d1 = orb.detectAndCompute(reference, mask)
    kp2, d2 = orb.detectAndCompute(current, mask)
    if d1 is not None and d2 is not None and len(kp1) >= 8 and len(kp2) >= 8:
        matcher = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True)
        pairs = matcher.match(d1, d2)
        if len(pairs) >= 8:
            src = np.array([kp1[p.queryIdx].pt for p in pairs], np.float32).reshape(-1, 1, 2)
            dst = np.array([kp2[p.trainIdx].pt for p in pairs], np.float32).reshape(-1, 1, 2)
            m, inliers = cv2.estimateAffinePartial2D(
                src, dst, method=cv2.RANSAC, ransacReprojThreshold=3.0
            )
            good = int(inliers.sum()) if inliers is not None else 0
            if m is not None and good >= 10:
                corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32).reshape(-1, 1, 2)
                moved = cv2.transform(corners, m)
                disp = float(np.linalg.norm(moved - corners, axis=2).mean()) / diagonal
                scale = float(np.hypot(m[0, 0], m[1, 0]))
                angle = float(np.degrees(np.arctan2(m[1, 0], m[0, 0])))
                return Shift(disp, angle, scale, good, "features")
    # Too few features (a road seen from above, leaves that move): correlate the two pictures'
    # edges instead, which light, fog and the scene's own colours change far less than levels.
    window = cv2.createHanningWindow((w, h), cv2.CV_32F)
    (dx, dy), response = cv2.phaseCorrelate(_edges(reference), _edges(current), window)
    if response < 0.05:
        # Nothing in common with the reference: the view is somewhere else entirely.
        return Shift(1.0, 0.0, 1.0, 0, "phase", float(response))
    return Shift(float(np.hypot(dx, dy)) / diagonal, 0.0, 1.0, 0, "phase", float(response))


def _edges(g: U8) -> F32:
    """Gradient magnitude (Sobel) of a grey picture."""
    f = g.astype(np.float32)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    return np.asarray(cv2.magnitude(gx, gy), np.float32)
