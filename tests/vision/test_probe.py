"""probe(): judged results, worker reuse, deadlines, and the `gapwatch probe` command."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gapwatch.cli import app
from gapwatch.vision import ProbeBusyError, ProbePool, SamplingPlan

from .conftest import CLIPS, LeakCheck, LocalCameras, RecordingJudge

runner = CliRunner()


@pytest.mark.slow
def test_probe_judges_the_sampled_frames(clip_dir: Path, judged_pool: ProbePool) -> None:
    clean = judged_pool.probe(str(clip_dir / "clean_day.mp4"), timeout_s=10)
    black = judged_pool.probe(str(clip_dir / "fault_black.mp4"), timeout_s=10)
    assert (clean.status, clean.faults) == ("ok", [])
    assert (black.status, black.faults) == ("degraded", ["black"])
    assert black.reason
    for result in (clean, black):
        assert result.frames == SamplingPlan().frames
        # Stream figures and the judge's metrics travel together.
        assert result.metrics["decoded"] >= 1
        assert "open_s" in result.metrics
        assert len(result.metrics) > 6


def test_probe_refuses_a_non_positive_time_out(pool: ProbePool) -> None:
    with pytest.raises(ValueError, match="positive"):
        pool.probe("/dev/null", timeout_s=0)


def test_workers_are_reused_then_retired(clip_dir: Path, recording_judge: RecordingJudge) -> None:
    clip = str(clip_dir / "clean_day.mp4")
    plan = SamplingPlan(frames=1)
    leak_check = LeakCheck.now()
    with ProbePool(max_workers=1, probes_per_worker=2, judge=recording_judge) as pool:
        pool.warm(1)
        first = pool.worker_pids()
        pool.probe(clip, plan=plan)
        assert pool.worker_pids() == first  # reused
        pool.probe(clip, plan=plan)
        assert pool.worker_pids() == []  # retired after two probes
        pool.probe(clip, plan=plan)
        assert pool.worker_pids() not in ([], first)
    leak_check.assert_clean()


@pytest.mark.slow
def test_concurrent_probes_share_a_bounded_pool(
    clip_dir: Path, recording_judge: RecordingJudge
) -> None:
    clip = str(clip_dir / "clean_day.mp4")
    results = []
    with ProbePool(max_workers=2, judge=recording_judge) as pool:
        threads = [
            threading.Thread(target=lambda: results.append(pool.probe(clip, timeout_s=20)))
            for _ in range(5)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(pool.worker_pids()) <= 2
    assert [r.status for r in results] == ["ok"] * 5


def test_a_busy_pool_raises_instead_of_blaming_the_camera(
    cameras: LocalCameras, recording_judge: RecordingJudge
) -> None:
    with ProbePool(max_workers=1, judge=recording_judge) as pool:
        hog = threading.Thread(
            target=pool.probe, args=(cameras.http("/mjpeg-silent"),), kwargs={"timeout_s": 1.5}
        )
        hog.start()
        time.sleep(0.2)
        with pytest.raises(ProbeBusyError):
            pool.probe(str(CLIPS / "clean_day.mp4"), timeout_s=0.5)
        hog.join()


def test_the_deadline_cuts_sampling_short_but_keeps_what_it_has(
    cameras: LocalCameras, pool: ProbePool
) -> None:
    plan = SamplingPlan(frames=100, spacing_s=0.2, keyframe_wait_s=0.1)
    result = pool.probe(cameras.http("/mjpeg"), timeout_s=2.0, plan=plan)
    assert result.status == "ok", result.reason
    assert 1 <= result.frames < 100
    assert result.elapsed_s < 2.0


# --- the command --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clip", "code", "words"),
    [("clean_day", 0, ["OK", "正常"]), ("fault_black", 1, ["WARNING", "black", "黑屏"])],
)
def test_command_exit_status_and_bilingual_text(
    clip_dir: Path, clip: str, code: int, words: list[str]
) -> None:
    done = runner.invoke(app, ["probe", str(clip_dir / f"{clip}.mp4")])
    assert done.exit_code == code, done.output
    for word in words:
        assert word in done.stdout
    assert len(done.stdout.splitlines()) <= 6


def test_command_json_document(clip_dir: Path) -> None:
    done = runner.invoke(
        app, ["probe", str(clip_dir / "fault_black.mp4"), "--format", "json", "--timeout", "8"]
    )
    assert done.exit_code == 1
    document = json.loads(done.stdout)
    assert document["status"] == "degraded"
    assert document["faults"] == ["black"]
    assert isinstance(document["metrics"], dict)
    assert document["metrics"]
    assert 0 < document["elapsed_s"] < 8
    assert document["frames"] == 3
    assert document["reason"]


def test_command_with_a_reference_picture() -> None:
    reference = CLIPS / "reference_day.png"
    done = runner.invoke(
        app, ["probe", str(CLIPS / "clean_day.mp4"), "--reference", str(reference)]
    )
    assert done.exit_code == 0, done.output


def test_command_offline_is_exit_2(refused_port: int) -> None:
    done = runner.invoke(app, ["probe", f"rtsp://127.0.0.1:{refused_port}/x", "--format", "json"])
    assert done.exit_code == 2
    document = json.loads(done.stdout)
    assert (document["status"], document["faults"]) == ("offline", ["no_signal"])
    assert "refused" in document["reason"]


def test_command_reports_a_hung_stream_within_its_time_out(cameras: LocalCameras) -> None:
    url = f"rtsp://127.0.0.1:{cameras.silent_port}/ch1"
    done = runner.invoke(app, ["probe", url, "--timeout", "2", "--format", "json"])
    assert done.exit_code == 2
    document = json.loads(done.stdout)
    assert document["faults"] == ["no_signal"]
    assert document["elapsed_s"] < 2.0 + 0.5  # the deadline contract, with scheduling slack


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--timeout", "0"], "--timeout"),
        (["--timeout", "-3"], "--timeout"),
        (["--timeout", "soon"], "--timeout"),
        (["--timeout", "nan"], "--timeout"),
        (["--format", "xml"], "--format"),
        (["--reference", "/no/such/picture.png"], "--reference"),
        (["--reference", __file__], "--reference"),
    ],
)
def test_command_bad_arguments_are_exit_3(args: list[str], complaint: str) -> None:
    done = runner.invoke(app, ["probe", str(CLIPS / "clean_day.mp4"), *args])
    assert done.exit_code == 3
    assert complaint in done.stderr
    assert "Traceback" not in done.output


def test_command_without_source_is_exit_3() -> None:
    done = runner.invoke(app, ["probe"])
    assert done.exit_code == 3
    assert "SOURCE" in done.stderr
