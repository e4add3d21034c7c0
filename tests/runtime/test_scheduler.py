"""The probe scheduler: spread, bounded, never stuck, silent after stop."""

from __future__ import annotations

import datetime as dt
import threading
import time

from gapwatch.runtime.executor import LocalExecutor, ProbeRequest
from gapwatch.runtime.scheduler import PeriodicTask, ProbeScheduler, ProbeTarget, spread_offsets
from gapwatch.vision.types import ProbeResult


def _ok() -> ProbeResult:
    return ProbeResult(status="ok", faults=[])


def _wait_for(condition: object, limit_s: float = 10.0) -> None:
    assert callable(condition)
    end = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_offsets_spread_each_interval_evenly_in_id_order() -> None:
    targets = [
        ProbeTarget("cam-c", "c", 60, 5),
        ProbeTarget("cam-a", "a", 60, 5),
        ProbeTarget("cam-b", "b", 60, 5),
        ProbeTarget("cam-x", "x", 10, 5),
    ]
    offsets = spread_offsets(targets)
    assert offsets == {"cam-a": 0.0, "cam-b": 20.0, "cam-c": 40.0, "cam-x": 0.0}


def test_every_camera_is_probed_repeatedly_in_offset_order_with_bounded_concurrency() -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    first_seen: list[str] = []
    counts: dict[str, int] = {}

    def probe(request: ProbeRequest) -> ProbeResult:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
            if request.camera_id not in counts:
                first_seen.append(request.camera_id)
            counts[request.camera_id] = counts.get(request.camera_id, 0) + 1
        time.sleep(0.05)
        with lock:
            running -= 1
        return _ok()

    results: list[tuple[str, ProbeResult]] = []
    ids = [f"cam-{i}" for i in range(6)]
    scheduler = ProbeScheduler(
        targets=[ProbeTarget(i, f"file:{i}", 1.2, 1.0) for i in ids],
        executor=LocalExecutor(probe, workers=2),
        on_result=lambda cam, at, res: results.append((cam, res)),
    )
    scheduler.start()
    try:
        _wait_for(lambda: len(counts) == 6 and min(counts.values()) >= 2)
    finally:
        scheduler.stop()
    assert first_seen == ids  # offsets 0, 0.2, 0.4 ... in id order
    assert peak <= 2
    assert {cam for cam, _ in results} == set(ids)
    assert all(res.status == "ok" for _, res in results)


def test_a_probe_that_overruns_is_reported_no_signal_and_its_late_verdict_dropped() -> None:
    release = threading.Event()

    def probe(request: ProbeRequest) -> ProbeResult:
        release.wait(10)
        return _ok()

    results: list[ProbeResult] = []
    scheduler = ProbeScheduler(
        targets=[ProbeTarget("cam-1", "x", 3600, 0.1)],
        executor=LocalExecutor(probe, workers=1),
        on_result=lambda cam, at, res: results.append(res),
        overrun_grace_s=0.1,
        sweep_interval_s=0.05,
    )
    scheduler.start()
    try:
        _wait_for(lambda: len(results) == 1)
        assert results[0].status == "offline"
        assert results[0].faults == ["no_signal"]
        assert results[0].reason == "probe overran its deadline"
        assert scheduler.overran == 1
        release.set()
        time.sleep(0.2)
        assert len(results) == 1
    finally:
        release.set()
        scheduler.stop()


def test_a_camera_still_being_probed_is_skipped_not_queued() -> None:
    release = threading.Event()
    calls = 0

    def probe(request: ProbeRequest) -> ProbeResult:
        nonlocal calls
        calls += 1
        release.wait(5)
        return _ok()

    results: list[ProbeResult] = []
    scheduler = ProbeScheduler(
        targets=[ProbeTarget("cam-1", "x", 3600, 30)],
        executor=LocalExecutor(probe, workers=2),
        on_result=lambda cam, at, res: results.append(res),
    )
    try:
        assert scheduler.probe_now("cam-1") is True
        assert scheduler.probe_now("cam-1") is False
        assert scheduler.skipped == 1
        release.set()
        _wait_for(lambda: len(results) == 1)
        assert scheduler.probe_now("cam-1") is True
        _wait_for(lambda: len(results) == 2)
        assert calls == 2
    finally:
        release.set()
        scheduler.stop()


def test_a_crashing_probe_becomes_no_signal_and_the_worker_survives() -> None:
    def probe(request: ProbeRequest) -> ProbeResult:
        if request.camera_id == "bad":
            raise RuntimeError("rtsp://user:secret@10.0.0.1/ exploded")
        return _ok()

    results: dict[str, ProbeResult] = {}
    scheduler = ProbeScheduler(
        targets=[ProbeTarget("bad", "x", 3600, 5), ProbeTarget("good", "y", 3600, 5)],
        executor=LocalExecutor(probe, workers=1),
        on_result=lambda cam, at, res: results.__setitem__(cam, res),
    )
    try:
        scheduler.probe_now("bad")
        scheduler.probe_now("good")
        _wait_for(lambda: len(results) == 2)
    finally:
        scheduler.stop()
    assert results["bad"].faults == ["no_signal"]
    assert results["bad"].reason is not None and "secret" not in results["bad"].reason
    assert results["good"].status == "ok"


def test_periodic_tasks_run_with_the_clock_and_nothing_is_delivered_after_stop() -> None:
    ticks: list[dt.datetime] = []
    results: list[str] = []
    scheduler = ProbeScheduler(
        targets=[ProbeTarget("cam-1", "x", 0.1, 1)],
        executor=LocalExecutor(lambda request: _ok(), workers=1),
        on_result=lambda cam, at, res: results.append(cam),
        periodic=[PeriodicTask("escalations", 0.1, ticks.append)],
    )
    scheduler.start()
    _wait_for(lambda: len(ticks) >= 2 and len(results) >= 2)
    scheduler.stop()
    assert all(t.tzinfo is not None for t in ticks)
    delivered = len(results)
    time.sleep(0.3)
    assert len(results) == delivered
