"""Bad input ends as no_signal with a reason, in time, leaving no process or descriptor behind."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from gapwatch.vision import ProbePool, ProbeResult, SamplingPlan

from .conftest import LeakCheck, LocalCameras, RecordingJudge, RtspServer

TIMEOUT_S = 2.5
SLACK_S = 0.5  # process scheduling on a busy machine; the contract is "within the time-out"


@dataclass(frozen=True)
class Case:
    name: str
    source: str
    reason: str  # words the reason must contain one of, separated by |
    plan: SamplingPlan | None = None
    slow: bool = False  # waits out a time-out, so runs alongside the other slow cases


def _cases(tmp: Path, cameras: LocalCameras, refused: int) -> list[Case]:
    garbage = tmp / "garbage.mp4"
    garbage.write_bytes(bytes(range(256)) * 400)
    empty = tmp / "empty.mp4"
    empty.touch()
    silent = cameras.silent_port
    quick_stall = SamplingPlan(frames=5, spacing_s=0.3, stall_s=1.0)
    return [
        Case("garbage file", str(garbage), "cannot open"),
        Case("empty file", str(empty), "cannot open"),
        Case("missing file", str(tmp / "missing.mp4"), "not found"),
        Case("refused rtsp port", f"rtsp://127.0.0.1:{refused}/ch1", "refused"),
        Case("refused http port", f"http://127.0.0.1:{refused}/video.mjpg", "refused"),
        Case("wrong http credentials", cameras.http("/private", "viewer:wrong"), "401"),
        Case("stream closes mid-probe", cameras.http("/mjpeg-close"), "ended|broke", quick_stall),
        Case(
            "rtsp server that never speaks",
            f"rtsp://127.0.0.1:{silent}/ch1",
            "no answer|no connection",
            slow=True,
        ),
        Case(
            "http server that never speaks",
            f"http://127.0.0.1:{silent}/video.mjpg",
            "no answer|no connection",
            slow=True,
        ),
        Case("stream goes silent mid-probe", cameras.http("/mjpeg-silent"), "hung", slow=True),
        Case(
            "stream stalls mid-probe",
            cameras.http("/mjpeg-silent"),
            "stalled",
            quick_stall,
            slow=True,
        ),
    ]


def _check(case: Case, result: ProbeResult) -> None:
    assert result.status == "offline", case.name
    assert result.faults == ["no_signal"], case.name
    assert result.reason, case.name
    assert any(word in result.reason for word in case.reason.split("|")), (
        f"{case.name}: {result.reason}"
    )
    assert result.elapsed_s < TIMEOUT_S + SLACK_S, f"{case.name}: {result.elapsed_s:.2f} s"


def test_bad_input_is_no_signal_in_time_without_leaks(
    tmp_path: Path,
    cameras: LocalCameras,
    refused_port: int,
    recording_judge: RecordingJudge,
    leak_check: LeakCheck,
) -> None:
    cases = _cases(tmp_path, cameras, refused_port)
    quick = [case for case in cases if not case.slow]
    slow = [case for case in cases if case.slow]
    with (
        ProbePool(max_workers=len(slow), judge=recording_judge) as pool,
        ThreadPoolExecutor(len(slow)) as threads,
    ):
        pool.warm(len(slow))  # starting many workers at once is not the streams' fault
        for case in quick:
            _check(case, pool.probe(case.source, timeout_s=TIMEOUT_S, plan=case.plan))
        futures = [
            threads.submit(pool.probe, case.source, timeout_s=TIMEOUT_S, plan=case.plan)
            for case in slow
        ]
        for case, future in zip(slow, futures, strict=True):
            _check(case, future.result())
    assert recording_judge.calls == []  # nothing unusable was passed on for judging
    leak_check.assert_clean()


@pytest.mark.rtsp
def test_wrong_rtsp_credentials(
    own_rtsp_server: Callable[..., RtspServer], recording_judge: RecordingJudge
) -> None:
    server = own_rtsp_server(auth="viewer:secret")
    leak_check = LeakCheck.now()
    with ProbePool(max_workers=2, judge=recording_judge) as pool:
        wrong = pool.probe(server.url("clean_day", "viewer:wrong"), timeout_s=TIMEOUT_S)
        missing = pool.probe(server.url("clean_day", ""), timeout_s=TIMEOUT_S)
    for result in (wrong, missing):
        assert result.faults == ["no_signal"]
        assert result.reason is not None
        assert "401" in result.reason
        assert "wrong" not in result.reason
    leak_check.assert_clean()


def test_crashing_decoder_is_no_signal_and_replaced(
    cameras: LocalCameras, recording_judge: RecordingJudge, leak_check: LeakCheck
) -> None:
    import os
    import signal
    import threading

    with ProbePool(max_workers=1, judge=recording_judge) as pool:
        pool.warm(1)
        (pid,) = pool.worker_pids()
        # The worker dies mid-read, as FFmpeg would on a corrupt stream.
        threading.Timer(0.5, os.kill, (pid, signal.SIGSEGV)).start()
        crashed = pool.probe(cameras.http("/mjpeg-silent"), timeout_s=TIMEOUT_S)
        assert crashed.faults == ["no_signal"]
        assert crashed.reason is not None
        assert "crash" in crashed.reason  # noticed when it happened, not taken for a hang
        assert crashed.elapsed_s < TIMEOUT_S + SLACK_S
        # The pool carries on with a fresh worker.
        quick = SamplingPlan(frames=2, spacing_s=0.3)
        again = pool.probe(cameras.http("/mjpeg"), timeout_s=5, plan=quick)
        assert again.status == "ok", again.reason
        assert pool.worker_pids() != [pid]
    leak_check.assert_clean()


def test_a_worker_killed_while_idle_is_replaced_silently(
    clip_dir: Path, recording_judge: RecordingJudge
) -> None:
    import os
    import signal
    import time

    with ProbePool(max_workers=1, judge=recording_judge) as pool:
        pool.warm(1)
        (pid,) = pool.worker_pids()
        os.kill(pid, signal.SIGKILL)
        while Path(f"/proc/{pid}").exists():  # until its parent, the fork server, reaps it
            time.sleep(0.01)
        result = pool.probe(str(clip_dir / "clean_day.mp4"), timeout_s=5)
        assert result.status == "ok", result.reason
        assert pool.worker_pids() != [pid]
