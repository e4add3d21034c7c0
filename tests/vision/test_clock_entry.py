"""A recorded file probed by the clock: each probe enters it where a loop of it would be now."""

from __future__ import annotations

import functools
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

from gapwatch.vision import SamplingPlan
from gapwatch.vision.sampler import SampledFrame, clock_entry, sample
from gapwatch.vision.sources import open_stream, parse


@pytest.fixture(scope="module")
def counter_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s at 10 fps, a keyframe every 2 s, each frame's index written as its grey level."""
    out = tmp_path_factory.mktemp("clock") / "counter.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", "color=c=black:s=160x120:r=10:d=20,format=gray,geq=lum='N*1.2'",
            "-c:v", "libx264", "-g", "20", "-bf", "0", "-qp", "0", "-pix_fmt", "yuv420p",
            str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def _sampled(clip: Path, plan: SamplingPlan) -> tuple[str, list[SampledFrame]]:
    source = parse(str(clip))
    stream = open_stream(source, open_timeout_s=5.0, read_timeout_s=plan.stall_s)
    taken: list[SampledFrame] = []
    try:
        report = sample(
            stream.container, source, plan, stop_at=time.monotonic() + 10, emit=taken.append
        )
    finally:
        stream.container.close()
    return report.outcome, taken


def _index(frame: SampledFrame, clip: Path) -> int:
    """The frame's index in `clip`, found by its picture among the clip's decoded frames."""
    return int(np.argmin(np.abs(_levels(clip) - float(np.mean(frame.image)))))


@functools.cache
def _levels(clip: Path) -> npt.NDArray[np.float64]:
    with av.open(str(clip)) as container:
        return np.array([f.to_ndarray(format="bgr24").mean() for f in container.decode(video=0)])


def test_the_entry_loops_over_the_file() -> None:
    plan = SamplingPlan()  # 3 frames at least 1.5 s apart, up to 1 s more for a keyframe
    assert plan.window_s == pytest.approx(5.5)
    assert clock_entry(20.0, plan, 0.0) == 0.0
    assert clock_entry(20.0, plan, 7.25) == pytest.approx(7.25)
    assert clock_entry(20.0, plan, 20.0 + 3.0) == pytest.approx(3.0)
    for now in np.linspace(0, 1e9, 97):
        assert 0.0 <= clock_entry(20.0, plan, float(now)) < 20.0
    # shorter than the probe's window, or of unknown length: from the start
    assert clock_entry(5.0, plan, 12345.0) == 0.0
    assert clock_entry(None, plan, 12345.0) == 0.0
    assert clock_entry(float("nan"), plan, 12345.0) == 0.0


def test_a_plan_refuses_an_unknown_file_start() -> None:
    with pytest.raises(ValueError, match="file_start"):
        SamplingPlan(file_start="middle")  # type: ignore[arg-type]


@pytest.mark.parametrize("now", [1_000_003.3, 1_000_010.8, 1_000_014.1, 1_000_018.6])
def test_a_clock_probe_takes_its_frames_from_the_moment_the_clock_gives(
    counter_clip: Path, now: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = SamplingPlan(file_start="clock")
    monkeypatch.setattr("gapwatch.vision.sampler.time.time", lambda: now)
    outcome, frames = _sampled(counter_clip, plan)
    entry = clock_entry(20.0, plan, now)
    assert outcome == "complete" and len(frames) == plan.frames
    # the first picture is the one at the clock's moment, not the keyframe before it
    assert frames[0].pts is not None and abs(frames[0].pts - entry) <= 0.1
    # the rest follow at the plan's spacing (or a keyframe up to 1 s later), timed from the
    # first; past the file's end the probe goes on from its start, as a looping camera would
    gaps = np.diff([f.at for f in frames])
    assert frames[0].at == 0.0 and all(1.5 - 1e-6 <= g <= 2.5 + 1e-6 for g in gaps)
    for frame in frames:
        expected = round((entry + frame.at) * 10) % 200
        assert abs(_index(frame, counter_clip) - expected) <= 1, (frame.at, expected)


def test_a_probe_near_the_end_goes_round_to_the_start(
    counter_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gapwatch.vision.sampler.time.time", lambda: 1_000_018.0)
    outcome, frames = _sampled(counter_clip, SamplingPlan(file_start="clock"))
    assert outcome == "complete" and len(frames) == 3
    assert _index(frames[0], counter_clip) in (179, 180, 181)
    assert any(_index(f, counter_clip) < 60 for f in frames[1:])  # went round
    assert frames[-1].pts is not None and frames[-1].pts < 6.0


def test_two_clock_probes_see_two_moments_and_a_start_probe_always_the_first(
    counter_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = []
    for now in (2_000_001.0, 2_000_009.0):
        monkeypatch.setattr("gapwatch.vision.sampler.time.time", lambda now=now: now)
        seen.append(
            _index(_sampled(counter_clip, SamplingPlan(file_start="clock"))[1][0], counter_clip)
        )
        assert _index(_sampled(counter_clip, SamplingPlan())[1][0], counter_clip) == 0
    assert abs(seen[1] - seen[0]) == 80  # 8 s apart, no loop between them
