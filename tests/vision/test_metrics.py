"""Image metrics on small synthetic pictures whose answers can be worked out by hand."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from gapwatch.vision import metrics as m

U8 = npt.NDArray[np.uint8]


def textured(seed: int = 0, size: tuple[int, int] = (240, 320)) -> U8:
    """A grey picture with detail at many scales (smoothed random noise)."""
    rng = np.random.default_rng(seed)
    fine = rng.integers(0, 256, size).astype(np.float32)
    coarse = cv2.resize(
        rng.integers(0, 256, (size[0] // 16, size[1] // 16)).astype(np.float32), size[::-1]
    )
    return np.clip(0.5 * cv2.GaussianBlur(fine, (0, 0), 1.0) + 0.5 * coarse, 0, 255).astype(
        np.uint8
    )


def test_downscale_keeps_aspect_and_small_pictures() -> None:
    big = np.zeros((480, 640, 3), np.uint8)
    assert m.downscale(big).shape == (240, 320, 3)
    small = np.zeros((100, 200, 3), np.uint8)
    assert m.downscale(small) is small


def test_brightness_shares_on_half_black_half_white() -> None:
    g = np.zeros((10, 10), np.uint8)
    g[:, 5:] = 255
    b = m.brightness(g)
    assert b.mean == pytest.approx(127.5)
    assert b.dark_share == pytest.approx(0.5)
    assert b.bright_share == pytest.approx(0.5)
    keep = np.zeros((10, 10), bool)
    keep[:, :5] = True  # only the black half may decide
    assert m.brightness(g, keep).mean == 0.0


def test_sharpness_falls_with_blur() -> None:
    g = textured()
    blurred = cv2.GaussianBlur(g, (0, 0), 3.0)
    assert m.laplacian_variance(np.full((50, 50), 90, np.uint8)) == 0.0
    assert m.laplacian_variance(blurred) < 0.1 * m.laplacian_variance(g)
    assert m.tenengrad(blurred) < 0.5 * m.tenengrad(g)


def test_noise_sigma_recovers_added_gaussian_noise() -> None:
    rng = np.random.default_rng(3)
    # A smooth ramp: the operator cancels it, so only the added noise is measured.
    ramp = np.tile(np.linspace(40, 200, 320, dtype=np.float32), (240, 1))
    assert m.noise_sigma(ramp.astype(np.uint8)) < 0.3
    noisy = np.clip(ramp + rng.normal(0, 8.0, ramp.shape), 0, 255).astype(np.uint8)
    assert m.noise_sigma(noisy) == pytest.approx(8.0, rel=0.12)


def test_colour_cast_k_is_low_for_varied_colours_and_high_for_a_tint() -> None:
    rng = np.random.default_rng(5)
    varied = rng.integers(0, 256, (60, 80, 3)).astype(np.uint8)
    _, _, k_varied = m.colour_cast(varied)
    assert k_varied < 0.5
    grey = np.repeat(textured(size=(60, 80))[..., None], 3, axis=2)
    tinted = np.clip(grey * np.array([0.6, 0.9, 1.3]), 0, 255).astype(np.uint8)
    a, b, k_tint = m.colour_cast(tinted)
    assert k_tint > 1.5
    assert a > 0 and b > 0  # red-yellow: positive a (red) and b (yellow)


def test_colourfulness_is_zero_for_grey() -> None:
    grey = np.repeat(textured(size=(60, 80))[..., None], 3, axis=2)
    assert m.colourfulness(grey) == 0.0
    colour = grey.copy()
    colour[..., 2] = 255
    assert m.colourfulness(colour) > 20


def test_screen_uniformity_tells_a_flat_screen_from_a_scene() -> None:
    blue = np.full((60, 80, 3), (160, 60, 10), np.uint8)
    assert m.screen_uniformity(blue) == 1.0
    scene = cv2.merge([textured(1, (60, 80)), textured(2, (60, 80)), textured(3, (60, 80))])
    assert m.screen_uniformity(scene) < 0.3


def test_flat_blocks_finds_one_covered_half() -> None:
    g = textured()
    g[:, :160] = 70  # the left half covered by a plain board
    tex = m.block_texture(g)
    assert tex.shape == (30, 40)
    share, largest, flat = m.flat_blocks(tex, np.ones(tex.shape, bool))
    assert share == pytest.approx(0.5, abs=0.03)
    assert largest == pytest.approx(0.5, abs=0.03)
    assert flat[:, :19].all()


def test_motion_is_zero_for_repeats_and_follows_a_light_change() -> None:
    g = textured()
    same = m.motion([g, g.copy(), g.copy()], [0.0, 1.0, 2.0])
    assert same.coarse == 0.0
    assert same.mad == 0.0
    assert same.span_s == 2.0
    brighter = (g.astype(np.int16) + 3).clip(0, 255).astype(np.uint8)
    assert m.motion([g, brighter], [0.0, 1.0]).coarse == pytest.approx(3.0, abs=0.1)
    assert np.isnan(m.motion([g], [0.0]).coarse)


def test_motion_ignores_masked_pixels() -> None:
    g = textured()
    ticking = g.copy()
    ticking[:16, :96] = 255 - ticking[:16, :96]  # only the clock area changes
    keep = np.ones(g.shape, bool)
    keep[:16, :96] = False
    # 24 of 1,200 blocks change by about 37 grey levels: 0.7 on average over the picture.
    assert m.motion([g, ticking], [0.0, 1.0]).coarse > 0.5
    assert m.motion([g, ticking], [0.0, 1.0], keep).coarse == 0.0


def test_scene_shift_measures_a_known_translation() -> None:
    big = textured(7, (300, 400))
    ref = big[30:270, 40:360]
    assert m.scene_shift(ref, ref.copy()).displacement < 0.005
    moved = big[30:270, 0:320]  # the view 40 px to the left
    shift = m.scene_shift(ref, moved)
    assert shift.displacement == pytest.approx(40 / np.hypot(320, 240), rel=0.1)
    assert abs(shift.rotation_deg) < 1.0


def test_structure_similarity_survives_blur_not_a_cover() -> None:
    g = textured()
    keep = np.ones((30, 40), bool)
    assert m.structure_similarity(g, g, keep) == pytest.approx(1.0)
    assert m.structure_similarity(g, cv2.GaussianBlur(g, (0, 0), 3), keep) > 0.9
    covered = np.full_like(g, 40)
    assert m.structure_similarity(g, covered, keep) == 0.0


def test_temporal_noise_recovers_frame_to_frame_noise_and_ignores_light() -> None:
    rng = np.random.default_rng(11)
    base = textured().astype(np.float32)
    frames = [
        np.clip(base + rng.normal(0, 6.0, base.shape), 0, 255).astype(np.uint8) for _ in range(3)
    ]
    assert m.temporal_noise(frames) == pytest.approx(6.0, rel=0.15)
    still = textured()
    darker = (still.astype(np.int16) - 5).clip(0, 255).astype(np.uint8)
    assert m.temporal_noise([still, darker]) < 0.2  # a change of light is not noise
    assert np.isnan(m.temporal_noise([still]))


def test_neutral_chroma_sees_a_tint_on_grey_things() -> None:
    grey = np.repeat(textured(size=(60, 80))[..., None], 3, axis=2)
    assert m.neutral_chroma(grey) < 1.0
    tinted = np.clip(grey * np.array([1.4, 1.0, 0.7]), 0, 255).astype(np.uint8)
    assert m.neutral_chroma(tinted) > 10.0


def test_detail_does_not_change_with_exposure() -> None:
    g = textured()
    dim = (g.astype(np.float32) * 0.5).astype(np.uint8)
    bright = m.detail(m.laplacian_variance(g), m.brightness(g).std)
    dark = m.detail(m.laplacian_variance(dim), m.brightness(dim).std)
    assert dark == pytest.approx(bright, rel=0.1)
    assert m.laplacian_variance(dim) < 0.3 * m.laplacian_variance(g)


def test_block_helpers_match_their_definition() -> None:
    g = textured(5, size=(61, 83))  # sides that are not whole blocks
    bh, bw = 61 // m.BLOCK, 83 // m.BLOCK
    blocks = g[: bh * m.BLOCK, : bw * m.BLOCK].astype(np.float32).reshape(bh, 8, bw, 8)
    assert np.allclose(m.block_means(g), blocks.mean(axis=(1, 3)), atol=1e-3)
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=3)[: bh * m.BLOCK, : bw * m.BLOCK]
    expected = lap.reshape(bh, 8, bw, 8).std(axis=(1, 3))
    assert np.allclose(m.block_texture(g), expected, rtol=1e-3, atol=1e-2)
    keep = np.ones(g.shape, bool)
    keep[10, 20] = False  # one masked pixel takes its whole block out
    kb = m.block_keep(keep, (bh, bw))
    assert not kb[1, 2] and int(kb.sum()) == bh * bw - 1


def test_temporal_grain_measures_fresh_grain_and_ignores_what_moves() -> None:
    rng = np.random.default_rng(12)
    base = textured(2).astype(np.float32)
    grainy = [np.clip(base + rng.normal(0, 4.0, base.shape), 0, 255).astype(np.uint8)]
    grainy += [np.clip(base + rng.normal(0, 4.0, base.shape), 0, 255).astype(np.uint8)]
    assert m.temporal_grain(grainy) == pytest.approx(4.0, rel=0.2)
    # Leaves in the wind: the lower half of the picture changes completely between frames,
    # the rest holds still; that is motion, not grain.
    moving = []
    for k in range(3):
        picture = textured(2).copy()
        picture[120:] = textured(20 + k)[120:]
        moving.append(picture)
    assert m.temporal_grain(moving) < 0.3
    assert m.temporal_noise(moving) < m.temporal_grain(grainy)  # plainest blocks, too
    assert np.isnan(m.temporal_grain(moving[:1]))


def test_cast_gain_sees_uneven_channel_gains_whatever_the_light_and_the_scene() -> None:
    rng = np.random.default_rng(13)
    scene = rng.integers(30, 200, (60, 80, 3)).astype(np.float32)
    healthy = m.channel_means(scene.astype(np.uint8))

    def gain(b: float, g: float, r: float) -> float:
        picture = np.clip(scene * np.array([b, g, r]), 0, 255).astype(np.uint8)
        return m.cast_gain(m.channel_means(picture), healthy)

    assert gain(0.5, 0.5, 0.5) < 0.02  # dusk: every channel alike
    assert gain(0.82, 0.97, 1.15) < 0.2  # tungsten light
    assert gain(1.15, 1.0, 0.86) < 0.2  # overcast, LED
    assert gain(0.55, 0.95, 1.4) > 0.4  # white balance lost
    assert gain(1.3, 0.7, 1.3) > 0.35  # infrared-cut filter stuck by day: magenta


def test_scene_shift_places_a_featureless_view_by_its_edges() -> None:
    yy, xx = np.mgrid[0:180, 0:320].astype(np.float32)
    # Soft bands and a blob: no corners for features to hold on to.
    smooth = 120 + 40 * np.sin(xx / 23.0) + 30 * np.cos(yy / 17.0)
    smooth += 50 * np.exp(-((xx - 200) ** 2 + (yy - 80) ** 2) / 800.0)
    reference = np.clip(smooth, 0, 255).astype(np.uint8)
    moved = np.roll(reference, (12, 40), axis=(0, 1))
    shift = m.scene_shift(reference, moved)
    assert shift.method == "phase" and shift.response > 0.3
    assert shift.displacement == pytest.approx(np.hypot(40, 12) / np.hypot(320, 180), rel=0.1)
    same = m.scene_shift(reference, reference)
    assert same.displacement < 0.01
