"""Probing a real RTSP server (GStreamer): healthy and faulty mounts, hung and dead cameras."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from gapwatch.vision import ProbePool, ProbeResult, SamplingPlan

from .conftest import LeakCheck, RecordingJudge, RtspServer

pytestmark = pytest.mark.rtsp

SLACK_S = 0.5  # process scheduling on a busy machine; the contract is "within the time-out"
QUICK = SamplingPlan(frames=3, spacing_s=0.5, keyframe_wait_s=0.2, stall_s=1.0)


def test_mounts_are_judged_like_the_cameras_they_play(
    rtsp_server: RtspServer, judged_pool: ProbePool
) -> None:
    expected = {
        "clean_day": ("ok", []),
        "fault_black": ("degraded", ["black"]),
        # fault_frozen is left out: a freeze re-encoded and seen at keyframes gives one probe no
        # evidence a still scene cannot give; the service's history between probes catches it
        "fault_blur": ("degraded", ["blur"]),
    }
    with ThreadPoolExecutor(len(expected)) as run:
        futures = {
            mount: run.submit(judged_pool.probe, rtsp_server.url(mount), timeout_s=10)
            for mount in expected
        }
        results = {mount: future.result() for mount, future in futures.items()}
    for mount, (status, faults) in expected.items():
        result = results[mount]
        assert (result.status, result.faults) == (status, faults), f"{mount}: {result}"
        assert result.frames == SamplingPlan().frames
        assert result.metrics["decoded"] < result.metrics["packets"]
        assert result.elapsed_s < 10


def test_long_gop_stream_decodes_only_up_to_each_moment(
    rtsp_server: RtspServer, pool: ProbePool, recording_judge: RecordingJudge
) -> None:
    result = pool.probe(rtsp_server.url("long_gop"), timeout_s=15, plan=QUICK)
    assert result.status == "ok", result.reason
    assert result.frames == 3
    moments = [frame.at for frame in recording_judge.calls[0]]
    assert moments[-1] - moments[0] >= 2 * QUICK.spacing_s
    # Decoding stops at the last sampled moment; nothing after it is decoded.
    assert result.metrics["decoded"] <= result.metrics["packets"]


def _probe_while(
    pool: ProbePool, url: str, timeout_s: float, after_s: float, act: Callable[[], None]
) -> ProbeResult:
    timer = threading.Timer(after_s, act)
    timer.start()
    try:
        return pool.probe(url, timeout_s=timeout_s, plan=QUICK)
    finally:
        timer.join()


def test_hung_camera_is_no_signal_within_the_time_out(
    own_rtsp_server: Callable[..., RtspServer], recording_judge: RecordingJudge
) -> None:
    server = own_rtsp_server()
    timeout_s = 3.0
    leak_check = LeakCheck.now()
    with ProbePool(max_workers=1, judge=recording_judge) as pool:
        pool.warm(1)
        # SIGSTOP: the connection stays open and the server says nothing more, like a hung camera.
        result = _probe_while(
            pool,
            server.url("clean_day"),
            timeout_s,
            0.8,
            lambda: os.kill(server.pid, signal.SIGSTOP),
        )
        assert (result.status, result.faults) == ("offline", ["no_signal"])
        assert result.reason is not None
        assert any(word in result.reason for word in ("stalled", "hung", "no picture"))
        assert result.elapsed_s < timeout_s + SLACK_S
        # A probe of the still-hung camera: it accepts (the kernel does) but never answers.
        again = pool.probe(server.url("clean_day"), timeout_s=1.5, plan=QUICK)
        assert again.faults == ["no_signal"]
        assert again.elapsed_s < 1.5 + SLACK_S
    assert recording_judge.calls == []
    leak_check.assert_clean()


def test_dead_camera_is_no_signal_at_once(
    own_rtsp_server: Callable[..., RtspServer], recording_judge: RecordingJudge
) -> None:
    server = own_rtsp_server()
    leak_check = LeakCheck.now()
    timeout_s = 6.0
    with ProbePool(max_workers=1, judge=recording_judge) as pool:
        pool.warm(1)
        result = _probe_while(
            pool,
            server.url("clean_day"),
            timeout_s,
            0.8,
            lambda: os.kill(server.pid, signal.SIGKILL),
        )
        assert (result.status, result.faults) == ("offline", ["no_signal"])
        assert result.reason is not None
        assert result.elapsed_s < timeout_s + SLACK_S
        server.process.wait(5)
        gone = pool.probe(server.url("clean_day"), timeout_s=timeout_s, plan=QUICK)
        assert gone.faults == ["no_signal"]
        assert gone.reason is not None
        assert "refused" in gone.reason
    leak_check.assert_clean()


def test_right_credentials_get_pictures(
    own_rtsp_server: Callable[..., RtspServer], pool: ProbePool
) -> None:
    server = own_rtsp_server(auth="viewer:s3cret")
    result = pool.probe(server.url("clean_day"), timeout_s=8, plan=QUICK)
    assert result.status == "ok", result.reason
    assert result.frames == 3
