"""The probe scheduler: every camera probed on its interval, spread evenly, never piled up."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from gapwatch.runtime.executor import ProbeRequest, SamplingExecutor, failed_probe
from gapwatch.vision.types import ProbeResult

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline
    from gapwatch.vision.stream_spec import StreamSpec

__all__ = [
    "PeriodicTask",
    "ProbeScheduler",
    "ProbeTarget",
    "ResultHandler",
    "spread_offsets",
]

log = logging.getLogger(__name__)

ResultHandler = Callable[[str, dt.datetime, ProbeResult], None]
"""Receives (camera id, when the verdict was reached, the verdict)."""


@dataclass(frozen=True)
class ProbeTarget:
    """One camera to probe: its stream, how often and how long a probe may take."""

    camera_id: str
    source: str | StreamSpec
    """The camera's stream: a URL or path, or a spec whose password only the decoder reads."""
    interval_s: float
    timeout_s: float


@dataclass(frozen=True)
class PeriodicTask:
    """Housekeeping run every `interval_s` with the current time (escalations, for example)."""

    name: str
    interval_s: float
    run: Callable[[dt.datetime], object]


def spread_offsets(targets: Iterable[ProbeTarget]) -> dict[str, float]:
    """Seconds after start at which each camera is first probed.

    Cameras sharing an interval are spaced evenly over it (in id order, so restarts keep the
    same rhythm), which keeps the probe load flat instead of a burst every interval.
    """
    by_interval: dict[float, list[str]] = {}
    for target in targets:
        by_interval.setdefault(target.interval_s, []).append(target.camera_id)
    offsets: dict[str, float] = {}
    for interval, ids in by_interval.items():
        ids.sort()
        step = interval / len(ids)
        for index, camera_id in enumerate(ids):
            offsets[camera_id] = index * step
    return offsets


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class _InFlight:
    started: float
    deadline: float
    future: Future[ProbeResult]


class ProbeScheduler:
    """Fires probes on APScheduler interval jobs and hands every verdict to `on_result`.

    A camera whose previous probe is still running is skipped for that round (counted in
    `skipped`), so a slow stream never queues up behind itself. A probe that has not answered
    well past its own time-out is reported `no_signal` by a sweep, so a stuck executor still
    turns into an alert rather than silence.
    """

    def __init__(
        self,
        *,
        targets: Sequence[ProbeTarget],
        executor: SamplingExecutor,
        on_result: ResultHandler,
        baseline_for: Callable[[str], Baseline | None] = lambda _camera_id: None,
        periodic: Sequence[PeriodicTask] = (),
        clock: Callable[[], dt.datetime] = _utcnow,
        overrun_grace_s: float = 5.0,
        sweep_interval_s: float = 1.0,
    ) -> None:
        ids = [t.camera_id for t in targets]
        if len(set(ids)) != len(ids):
            raise ValueError("each camera may be scheduled once")
        self._targets = {t.camera_id: t for t in targets}
        self._executor = executor
        self._on_result = on_result
        self._baseline_for = baseline_for
        self._periodic = list(periodic)
        self._clock = clock
        self._grace = overrun_grace_s
        self._sweep_interval = sweep_interval_s
        self._lock = threading.Lock()
        self._in_flight: dict[str, _InFlight] = {}
        self._stopped = False
        self._scheduler: BackgroundScheduler | None = None
        self.skipped = 0
        self.overran = 0

    @property
    def targets(self) -> list[ProbeTarget]:
        return list(self._targets.values())

    def start(self) -> None:
        """Add one interval job per camera, the periodic tasks and the overrun sweep; start."""
        if self._scheduler is not None:
            raise RuntimeError("the probe scheduler is already running")
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone=dt.UTC,
        )
        now = self._clock()
        offsets = spread_offsets(self._targets.values())
        for target in self._targets.values():
            first = now + dt.timedelta(seconds=offsets[target.camera_id])
            scheduler.add_job(
                self.probe_now,
                IntervalTrigger(seconds=target.interval_s, start_date=first, timezone=dt.UTC),
                # Explicit: a start date already passed by the time the job is added would
                # otherwise push the first probe a whole interval away.
                next_run_time=first,
                args=[target.camera_id],
                id=f"probe:{target.camera_id}",
                name=f"probe {target.camera_id}",
            )
        for task in self._periodic:
            scheduler.add_job(
                self._run_periodic,
                IntervalTrigger(seconds=task.interval_s, timezone=dt.UTC),
                args=[task],
                id=f"task:{task.name}",
                name=task.name,
            )
        scheduler.add_job(
            self.sweep_overruns,
            IntervalTrigger(seconds=self._sweep_interval, timezone=dt.UTC),
            id="sweep",
            name="probe overrun sweep",
        )
        scheduler.start()
        self._scheduler = scheduler

    def stop(self) -> None:
        """Stop firing, drop queued probes, and ignore verdicts that arrive afterwards."""
        with self._lock:
            self._stopped = True
            self._in_flight.clear()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self._executor.shutdown()

    def probe_now(self, camera_id: str) -> bool:
        """Probe one camera now, unless its last probe is still running; True if it was sent."""
        target = self._targets[camera_id]
        with self._lock:
            if self._stopped:
                return False
            if camera_id in self._in_flight:
                self.skipped += 1
                log.warning("camera %s: previous probe still running, skipping", camera_id)
                return False
            baseline = self._baseline_for(camera_id)
            started = time.monotonic()
            future = self._executor.submit(
                ProbeRequest(camera_id, target.source, target.timeout_s, baseline)
            )
            entry = _InFlight(started, started + target.timeout_s + self._grace, future)
            self._in_flight[camera_id] = entry
        future.add_done_callback(lambda done: self._finished(camera_id, entry, done))
        return True

    def sweep_overruns(self) -> None:
        """Report `no_signal` for probes far past their deadline and stop waiting for them."""
        now = time.monotonic()
        overdue: list[tuple[str, float]] = []
        with self._lock:
            for camera_id, entry in list(self._in_flight.items()):
                if now > entry.deadline:
                    del self._in_flight[camera_id]
                    overdue.append((camera_id, now - entry.started))
                    self.overran += 1
        for camera_id, elapsed in overdue:
            log.warning("camera %s: probe overran its deadline (%.1f s)", camera_id, elapsed)
            self._deliver(camera_id, failed_probe("probe overran its deadline", elapsed))

    def _finished(self, camera_id: str, entry: _InFlight, future: Future[ProbeResult]) -> None:
        with self._lock:
            if self._in_flight.get(camera_id) is not entry:
                return  # abandoned by the sweep or by stop(); its verdict was already given
            del self._in_flight[camera_id]
        if future.cancelled():
            return
        self._deliver(camera_id, future.result())

    def _deliver(self, camera_id: str, result: ProbeResult) -> None:
        if self._stopped:
            return
        try:
            self._on_result(camera_id, self._clock(), result)
        except Exception:
            log.exception("camera %s: handling the probe result failed", camera_id)

    def _run_periodic(self, task: PeriodicTask) -> None:
        try:
            task.run(self._clock())
        except Exception:
            log.exception("periodic task %s failed", task.name)
