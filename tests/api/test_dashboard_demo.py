"""The demo teaches its cameras a baseline first, so the board can show picture against baseline
in `make run`, probes its clips by the clock, and knows each zone's usual crowd, so the square
filling with visitors is a surge."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from gapwatch.coverage import CoverageModel
from gapwatch.crowd import CrowdNormals, Slot
from gapwatch.runtime.baselines import BaselineBook
from gapwatch.runtime.crowd import live_crowd_for
from gapwatch.runtime.demo import (
    _read_frames,
    _teach,
    clean_twin,
    learn_demo_baselines,
    lesson_for,
)
from gapwatch.site import load_site
from gapwatch.storage import CrowdNormalRow, make_engine, migrate, session_factory, transaction
from gapwatch.vision import Frame, SamplingPlan
from gapwatch.vision.crowd import backgrounds_of, count_crowd
from gapwatch.vision.judge import judge
from gapwatch.vision.sampler import SampledFrame, sample
from gapwatch.vision.sources import open_stream, parse
from gapwatch.vision.types import CONFIDENT

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo-weiyuan.yaml"
CLIPS = ROOT / "sample_streams" / "clips"
FILLING = ROOT / "sample_streams" / "demo" / "square_filling.mp4"
STUCK = ROOT / "sample_streams" / "demo" / "fault_frozen_gate.mp4"
SQUARE = "yuangudui-square"


def test_fault_clips_have_a_clean_twin_of_their_scene() -> None:
    assert clean_twin(CLIPS / "fault_frozen.mp4") == CLIPS / "clean_day.mp4"
    assert clean_twin(CLIPS / "clean_day.mp4") is None  # healthy already
    assert clean_twin(ROOT / "README.md") is None


@pytest.mark.long
@pytest.mark.slow  # teaches all forty demo cameras: seconds of judging
def test_demo_faulty_cameras_get_a_baseline_that_still_sees_their_fault(tmp_path: Path) -> None:
    site = load_site(DEMO)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    migrate(engine)
    faulty = sorted(c.id for c in site.spec.cameras if Path(c.stream).name.startswith("fault_"))
    assert len(faulty) == 4
    taught = learn_demo_baselines(site, url)
    assert set(faulty) <= set(taught)
    assert sorted(taught) == sorted(c.id for c in site.spec.cameras)  # every clip is labelled
    assert learn_demo_baselines(site, url) == []  # a restart keeps what was learned

    book = BaselineBook(session_factory(engine), {})
    for camera in faulty:
        day = book.for_camera(camera).day
        assert day.reference is not None and day.samples > 0
    # What was learned is the healthy scene: the clean clip passes against it, the faults do not.
    baseline = book.for_camera(faulty[0])
    clean = _read_frames(CLIPS / "clean_day.mp4", 1)[0]
    assert judge(clean, baseline).status == "ok"
    by_camera = {c.id: site.resolve(c.stream) for c in site.spec.cameras}
    for camera in faulty:
        frames = _read_frames(by_camera[camera], 1)[0]
        assert judge(frames, book.for_camera(camera)).status != "ok", camera
    assert np.asarray(baseline.day.reference).size > 0
    engine.dispose()


def test_lessons_name_the_healthy_clip_each_camera_is_taught_from() -> None:
    assert lesson_for(CLIPS / "fault_frozen.mp4") == (CLIPS / "clean_day.mp4", None)
    assert lesson_for(CLIPS / "clean_crowd.mp4") == (CLIPS / "clean_crowd.mp4", None)
    # the filling square is taught from its ordinary first half minute only
    assert lesson_for(FILLING) == (FILLING, 30.0)
    assert lesson_for(STUCK) == (CLIPS / "clean_day.mp4", None)  # a lesson of another folder
    assert lesson_for(ROOT / "README.md") is None


def _clock_probe(clip: Path, now: float, monkeypatch: pytest.MonkeyPatch) -> list[Frame]:
    monkeypatch.setattr("gapwatch.vision.sampler.time.time", lambda: now)
    plan = SamplingPlan(file_start="clock")
    source = parse(str(clip))
    stream = open_stream(source, open_timeout_s=5.0, read_timeout_s=plan.stall_s)
    taken: list[SampledFrame] = []
    try:
        sample(stream.container, source, plan, stop_at=time.monotonic() + 10, emit=taken.append)
    finally:
        stream.container.close()
    return [Frame(f.at, f.image) for f in taken]


@pytest.mark.long
@pytest.mark.slow
def test_healthy_demo_cameras_stay_healthy_when_probed_by_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each healthy clip, probed by the clock as the demo probes it and judged against the
    baseline its lesson taught (and the probes teach on), is healthy at every moment; a lesson
    whose frames were spaced unlike the probes' made every one of them `noise`."""
    site = load_site(DEMO)
    clips = sorted({site.resolve(c.stream).resolve() for c in site.spec.cameras})
    healthy = [c for c in clips if not c.name.startswith("fault_")]
    assert FILLING in healthy and len(healthy) == 5
    for clip in healthy:
        lesson = lesson_for(clip)
        assert lesson is not None
        taught = _teach(*lesson)
        assert taught is not None
        baseline = taught.baseline
        for now in (1_000_000.0, 1_000_020.3, 1_000_041.1, 1_000_067.9):
            frames = _clock_probe(clip, now, monkeypatch)
            verdict = judge(frames, baseline)
            assert (verdict.status, verdict.faults) == ("ok", []), (clip.name, now)
            baseline.update(verdict, frames)


@pytest.mark.slow
def test_the_demo_frozen_camera_is_frozen_at_every_moment_the_clock_enters() -> None:
    """cam-002's stuck picture: every probe, wherever the clock enters the clip, is a confident
    `frozen` against the baseline its lesson taught (the old clip, re-coded at each keyframe by
    a rate-controlled encoder, was never more than "frozen, not sure")."""
    site = load_site(DEMO)
    camera = next(c for c in site.spec.cameras if c.id == "cam-002")
    clip = site.resolve(camera.stream).resolve()
    assert clip == STUCK
    lesson = lesson_for(clip)
    assert lesson == (CLIPS / "clean_day.mp4", None)
    taught = _teach(*lesson)
    assert taught is not None
    with pytest.MonkeyPatch.context() as monkeypatch:
        for now in (1_000_000.0, 1_000_007.3, 1_000_013.1, 1_000_019.9):
            frames = _clock_probe(clip, now, monkeypatch)
            verdict = judge(frames, taught.baseline)
            assert (verdict.status, verdict.faults) == ("degraded", ["frozen"]), now
            assert verdict.scores["frozen"] >= CONFIDENT, (now, verdict.scores)
            taught.baseline.update(verdict, frames)


@pytest.mark.long
@pytest.mark.slow
def test_the_filling_square_counts_more_people_when_busy_and_is_a_surge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cam-022 shows the square filling: counted as the service counts it, the busy minute of
    the loop holds at least twice the people of the ordinary first half minute, and against
    the normals the demo seeds from its lessons the busy square is a surge."""
    site = load_site(DEMO)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    engine = make_engine(url)
    migrate(engine)
    learn_demo_baselines(site, url)
    normals = CrowdNormals()
    with transaction(session_factory(engine), write=False) as session:
        for row in session.scalars(select(CrowdNormalRow)):
            normals.slots[(row.zone_id, row.weekday, row.hour)] = Slot(
                row.mean, row.var, row.samples
            )
    engine.dispose()
    assert {(z, d, h) for z, d, h in normals.slots if z == SQUARE} == {
        (SQUARE, d, h) for d in range(7) for h in range(24)
    }
    lesson = lesson_for(FILLING)
    assert lesson is not None
    taught = _teach(*lesson)
    assert taught is not None
    crowd = live_crowd_for(site, CoverageModel.from_site(site))
    pose = crowd.pose("cam-022")
    assert pose is not None
    loop = 240.0  # the clip loops over its whole length

    def people(seconds: list[float]) -> list[float]:
        found = []
        for t in seconds:
            frames = _clock_probe(FILLING, 1_000_000 * loop + t, monkeypatch)
            verdict = judge(frames, taught.baseline)
            assert verdict.status == "ok", t
            count = count_crowd(frames, verdict, backgrounds_of(taught.baseline), pose)
            assert count is not None and count.counted
            found.append(count.people)
        return found

    ordinary = people([2.0, 12.0, 22.0])
    busy = people([115.0, 135.0, 155.0])
    assert np.mean(busy) >= 2 * np.mean(ordinary), (ordinary, busy)
    usual = normals.normal(SQUARE, dt.datetime(2026, 12, 5, 15))
    assert usual is not None and usual > 0
    # both square cameras show the clip: the zone holds about twice one camera's busy count
    assert normals.slots[(SQUARE, 5, 15)].trend(2 * float(np.mean(busy))) == "surge"
    assert normals.slots[(SQUARE, 5, 15)].trend(2 * float(np.mean(ordinary))) == "normal"
