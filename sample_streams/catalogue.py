"""The labelled sample clips: what each shows, its expected verdict and its split."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from effects import (
    HEIGHT,
    HOME_WINDOW,
    WIDTH,
    Ctx,
    Effect,
    Image,
    blob_mask,
    colour_gains,
    cover,
    crowd_frame,
    frozen_night,
    gaussian_noise,
    glare,
    home,
    impulse,
    night_ir,
    osd,
    rain,
    static_scene,
    still,
    to_u8,
    window,
)


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
        lambda c, i, f: osd(frozen_night(c), i),
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
        lambda c, i, f: osd(glare(home(c, i)), i),
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
        lambda c, i, f: impulse(home(c, i), c.rng, 0.03),
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
    cl.extend(fresh_clips(night, no_video, lens_cap, defocus, turned))
    return cl


def fresh_clips(
    night: str,
    no_video: Callable[[tuple[int, int, int], str, bool], Effect],
    lens_cap: Callable[[float, bool], Effect],
    defocus: Callable[..., Effect],
    turned: Callable[..., Effect],
) -> list[Clip]:
    """Split "fresh": new offsets, strengths and kinds, added after the judge was tuned."""
    f = "fresh"

    def haze(img: Image) -> Image:
        return to_u8(img.astype(np.float32) * 0.72 + 0.28 * 185.0)

    def board_right(c: Ctx, i: int, img: Image) -> Image:
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        cv2.fillPoly(mask, [np.array([[280, 0], [640, 0], [640, 480], [330, 480]], np.int32)], 255)
        xx = np.linspace(0, 1, WIDTH, dtype=np.float32)[None, :, None]
        paint = np.broadcast_to(160 + 20 * xx, (HEIGHT, WIDTH, 3))
        return osd(cover(home(c, i), mask, to_u8(paint), soft=35), i)

    def tape(c: Ctx, i: int, img: Image) -> Image:
        # Translucent tape over part of the lens: light passes, the scene does not.
        frame = home(c, i)
        mask = np.zeros((HEIGHT, WIDTH), np.uint8)
        cv2.rectangle(mask, (0, 120), (640, 420), 255, -1)
        milky = to_u8(cv2.GaussianBlur(frame, (0, 0), 30).astype(np.float32) * 0.5 + 110)
        return osd(cover(frame, mask, milky, soft=41), i)

    def mud(c: Ctx, i: int, img: Image) -> Image:
        rng = np.random.default_rng(11)
        mask = blob_mask(rng, (260, 300), (460, 330))
        paint = np.full((HEIGHT, WIDTH, 3), (40, 70, 100), np.float32)
        return osd(cover(home(c, i), mask, to_u8(paint), soft=45), i)

    return [
        Clip("clean_day_2.mp4", 2.5, lambda c, i, x: osd(home(c, i), i), "ok", [], split=f,
             note="daytime, another offset"),
        Clip("clean_dusk.mp4", 17.5, lambda c, i, x: osd(to_u8(home(c, i) * 0.45), i), "ok", [],
             split=f, note="dusk: colour picture at 45 % light"),
        Clip("clean_night_rain.mp4", 35.5,
             lambda c, i, x: osd(rain(night_ir(home(c, i), c.rng), c.rng), i),
             "ok", [], split=f, reference=night, note="rain at night in IR mode"),
        Clip("clean_crowd_clock.mp4", 45.5,
             lambda c, i, x: osd(window(crowd_frame(c, i, 8), *c.home), i, outline=False), "ok", [],
             split=f, note="crowd of nine moments, clock without outline"),
        Clip("clean_haze.mp4", 12.5, lambda c, i, x: osd(haze(home(c, i)), i), "ok", [], split=f,
             note="light haze"),
        Clip("clean_static_2.mp4", 0.0,
             lambda c, i, x: osd(static_scene(c, i, night=False, drift=0.015), i), "ok", [],
             split=f, crf=28, note="motionless square, weaker light drift"),
        Clip("fault_no_signal_green.mp4", 0.0, no_video((20, 110, 20), "NO CAMERA", False),
             "offline", ["no_signal"], split=f, note="green no-camera screen"),
        Clip("fault_no_signal_navy.mp4", 0.0, no_video((90, 30, 0), "SIGNAL LOST", True),
             "offline", ["no_signal"], split=f, note="dark navy screen with clock"),
        Clip("fault_frozen_2.mp4", 60.5, lambda c, i, x: osd(home(c, 0), i), "degraded", ["frozen"],
             split=f, note="stuck picture, clock ticking"),
        Clip("fault_frozen_rain.mp4", 22.5,
             lambda c, i, x: osd(still(c, lambda: rain(home(c, 0), np.random.default_rng(3))), i),
             "degraded", ["frozen"], split=f, note="stuck on a rainy frame"),
        Clip("fault_black_night_text.mp4", 0.0, lens_cap(10.0, True), "degraded", ["black"],
             split=f, note="dark grey-black, clock and name"),
        Clip("fault_overexposed_night.mp4", 31.5,
             lambda c, i, x: osd(to_u8(night_ir(home(c, i), c.rng) * 3.0 + 80.0), i),
             "degraded", ["overexposed"], split=f, reference=night,
             note="IR light thrown back by a web on the housing"),
        Clip("fault_blur_3.mp4", 72.5, defocus(3.0, True), "degraded", ["blur"], split=f,
             note="defocused σ 3 px"),
        Clip("fault_blur_strong_night.mp4", 26.5, defocus(6.0, True, night_mode=True), "degraded",
             ["blur"], split=f, reference=night, note="defocused σ 6 px at night"),
        Clip("fault_occluded_board_right.mp4", 50.5, board_right, "degraded", ["occluded"],
             split=f, note="light board over the right half"),
        Clip("fault_occluded_tape.mp4", 64.5, tape, "degraded", ["occluded"], split=f,
             note="translucent tape across the middle"),
        Clip("fault_occluded_mud.mp4", 7.5, mud, "degraded", ["occluded"], split=f,
             note="mud splashed over the lens"),
        Clip("fault_shifted_small.mp4", 40.5, turned(48, 0), "degraded", ["shifted"], split=f,
             note="panned right by 48 px"),
        Clip("fault_shifted_down.mp4", 54.5, turned(-20, 48), "degraded", ["shifted"], split=f,
             note="tilted down and a little left"),
        Clip("fault_color_cast_yellow.mp4", 19.5,
             lambda c, i, x: osd(colour_gains(home(c, i), 0.6, 1.0, 1.05), i), "degraded",
             ["color_cast"], split=f, note="yellow cast"),
        Clip("fault_color_cast_cyan.mp4", 57.5,
             lambda c, i, x: osd(colour_gains(home(c, i), 1.2, 1.1, 0.6), i), "degraded",
             ["color_cast"], split=f, note="cyan cast"),
        Clip("fault_noise_strong_night.mp4", 68.5,
             lambda c, i, x: osd(night_ir(home(c, i), c.rng, grain=30.0), i), "degraded", ["noise"],
             split=f, reference=night, crf=32, note="IR gain noise, σ 30"),
        Clip("fault_noise_crowd.mp4", 4.5,
             lambda c, i, x: osd(
                 gaussian_noise(window(crowd_frame(c, i, 5), *c.home), c.rng, 18.0), i),
             "degraded", ["noise"], split=f, crf=32, note="crowd under sensor noise σ 18"),
    ]  # fmt: skip
