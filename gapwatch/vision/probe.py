"""Probe a camera: sample its stream in an isolated decoder and judge the frames, within a deadline.

Whatever the stream does (hang, stall, hand back nothing, crash the decoder), `probe` returns
within `timeout_s`: the decoding happens in a worker process that is killed at the deadline, and a
stream that stops delivering is reported `no_signal` with the reason.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from gapwatch.vision.redact import redact
from gapwatch.vision.sampler import SampledFrame, SamplingPlan, SamplingReport
from gapwatch.vision.sources import SourceError, StreamSource, UnsupportedSourceError, parse
from gapwatch.vision.stream_spec import StreamSpec
from gapwatch.vision.types import Frame, ProbeResult, Verdict
from gapwatch.vision.worker import DecoderWorker, Opened, Ready, SamplingTask

if TYPE_CHECKING:
    from gapwatch.crowd import CameraPose
    from gapwatch.vision.baseline import Baseline

__all__ = ["ProbeBusyError", "ProbePool", "close_default_pool", "probe"]

log = logging.getLogger(__name__)


Judge = Callable[[Sequence[Frame], "Baseline | None"], Verdict]
"""Frames (and the camera's baseline) in, verdict out: gapwatch.vision.judge.judge."""


class ProbeBusyError(RuntimeError):
    """Every decoder worker stayed busy until the probe's deadline; nothing was probed."""


def _default_judge() -> Judge:
    from gapwatch.vision.judge import judge

    return judge


class ProbePool:
    """Decoder workers shared by concurrent probes; thread-safe.

    At most `max_workers` probes decode at once; a worker is replaced after `probes_per_worker`
    probes (so a slow leak in a decoding library cannot grow without bound) or when it is killed.
    """

    def __init__(
        self,
        *,
        max_workers: int = 8,
        probes_per_worker: int = 200,
        judge: Judge | None = None,
    ) -> None:
        if max_workers < 1 or probes_per_worker < 1:
            raise ValueError("a probe pool needs at least one worker and one probe per worker")
        self.max_workers = max_workers
        self.probes_per_worker = probes_per_worker
        # Loaded here rather than on the first verdict, so that importing OpenCV never eats into
        # a probe's time-out; decoder workers do not load it at all.
        self._judge = judge or _default_judge()
        self._idle: list[DecoderWorker] = []
        self._count = 0
        self.workers_started = 0
        """How many worker processes this pool has started (replacements included)."""
        self._closed = False
        self._lock = threading.Condition()

    def __enter__(self) -> ProbePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def warm(self, workers: int, *, wait_s: float = 30.0) -> None:
        """Start up to `workers` idle workers now and wait until they are ready (or `wait_s`).

        A cold worker spends a few hundred milliseconds of CPU loading its libraries; warming
        keeps that out of the first probes' time-outs.
        """
        started: list[DecoderWorker] = []
        with self._lock:
            while self._count < min(workers, self.max_workers) and not self._closed:
                worker = DecoderWorker()
                self.workers_started += 1
                started.append(worker)
                self._idle.append(worker)
                self._count += 1
        until = time.monotonic() + wait_s
        for worker in started:
            worker.wait_ready(until - time.monotonic())

    def worker_pids(self) -> list[int]:
        """Process ids of the idle workers (for accounting their CPU time)."""
        with self._lock:
            return [w.pid for w in self._idle if w.pid is not None]

    def close(self) -> None:
        """Stop every idle worker; workers still probing are stopped when their probe ends."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            self._lock.notify_all()
        for worker in idle:
            worker.stop()

    def probe(
        self,
        source: str | StreamSpec,
        *,
        timeout_s: float = 10.0,
        baseline: Baseline | None = None,
        plan: SamplingPlan | None = None,
        pose: CameraPose | None = None,
    ) -> ProbeResult:
        """Sample `source` and judge it; returns within `timeout_s` whatever the stream does.

        With the camera's `pose`, a healthy picture also gets its people counted (`crowd`).
        Raises UnsupportedSourceError for a stream form gapwatch cannot read at all: that is a
        setup error to refuse (site validation, probe exit 3), not a camera to call offline.
        """
        if not timeout_s > 0:
            raise ValueError("the probe time-out must be positive")
        started = time.monotonic()
        deadline = started + timeout_s
        plan = plan or SamplingPlan()
        try:
            stream = parse(source)
        except UnsupportedSourceError:
            raise
        except SourceError as exc:
            return _no_signal(str(exc), started)
        # The worker stops sampling `reserve` before the deadline and reports; a worker stuck
        # inside FFmpeg is killed halfway through the reserve; the rest is for judging.
        reserve = min(1.0, 0.2 * timeout_s)
        while True:
            worker = self._acquire(deadline - reserve)
            try:
                collected = _collect(
                    worker, stream, plan, stop_at=deadline - reserve, kill_at=deadline - reserve / 2
                )
                break
            except _WorkerGone:
                continue  # an idle worker had died (killed from outside): take another
            finally:
                self._release(worker)
        if collected.failure is not None:
            log.info("probe of %s: no signal: %s", stream.shown, collected.failure)
            return _no_signal(collected.failure, started, collected)
        frames = [Frame(at=f.at, image=f.image, pts=f.pts) for f in collected.frames]
        if pose is None:
            verdict, crowd = self._judge(frames, baseline), None
        else:
            from gapwatch.vision.crowd import backgrounds_of, count_crowd

            backgrounds = backgrounds_of(baseline)  # before the judge teaches the baseline
            verdict = self._judge(frames, baseline)
            crowd = count_crowd(frames, verdict, backgrounds, pose)
        return ProbeResult(
            status=verdict.status,
            faults=list(verdict.faults),
            metrics={**collected.metrics(), **verdict.metrics},
            elapsed_s=time.monotonic() - started,
            reason=redact(verdict.reason) if verdict.reason else None,
            frames=len(frames),
            scores=dict(verdict.scores),
            crowd=crowd,
        )

    def _acquire(self, until: float) -> DecoderWorker:
        with self._lock:
            while True:
                if self._closed:
                    raise RuntimeError("the probe pool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._count < self.max_workers:
                    self._count += 1
                    break
                remaining = until - time.monotonic()
                if remaining <= 0:
                    raise ProbeBusyError("every decoder worker stayed busy until the deadline")
                self._lock.wait(remaining)
        try:
            worker = DecoderWorker()
        except BaseException:
            with self._lock:
                self._count -= 1
                self._lock.notify()
            raise
        with self._lock:
            self.workers_started += 1
        return worker

    def _release(self, worker: DecoderWorker) -> None:
        retire = worker.closed or worker.probes >= self.probes_per_worker
        with self._lock:
            if retire or self._closed:
                self._count -= 1
            else:
                self._idle.append(worker)
            self._lock.notify()
        if retire or self._closed:
            worker.stop()


class _WorkerGone(Exception):
    """The worker was dead before it got the task: nothing of the probe has run yet."""


class _Collected:
    """What came back from a worker for one probe."""

    def __init__(self) -> None:
        self.frames: list[SampledFrame] = []
        self.report: SamplingReport | None = None
        self.open_s: float | None = None
        self.first_frame_s: float | None = None
        self.failure: str | None = None

    def metrics(self) -> dict[str, float]:
        figures: dict[str, float] = {"frames": float(len(self.frames))}
        if self.open_s is not None:
            figures["open_s"] = round(self.open_s, 3)
        if self.first_frame_s is not None:
            figures["first_frame_s"] = round(self.first_frame_s, 3)
        if self.report is not None:
            figures["packets"] = float(self.report.packets)
            figures["decoded"] = float(self.report.decoded)
            figures["max_read_gap_s"] = round(self.report.max_read_gap_s, 3)
        return figures


def _collect(
    worker: DecoderWorker,
    stream: StreamSource,
    plan: SamplingPlan,
    *,
    stop_at: float,
    kill_at: float,
) -> _Collected:
    """Run one sampling task on `worker` until `stop_at`, killing it if not done by `kill_at`."""
    collected = _Collected()
    started = time.monotonic()
    try:
        if not worker.process.is_alive():
            raise OSError("worker ended while idle")
        worker.send(SamplingTask(source=stream, plan=plan, stop_at=stop_at))
    except OSError:
        worker.kill()
        raise _WorkerGone from None
    while True:
        try:
            message = worker.receive(kill_at - time.monotonic())
        except (EOFError, OSError):
            worker.kill()
            collected.failure = "decoder crashed / 解码进程崩溃"
            return collected
        if message is None:
            ready = worker.ready
            worker.kill()
            collected.failure = _timeout_text(collected, ready=ready)
            return collected
        if isinstance(message, Ready):
            continue
        if isinstance(message, Opened):
            collected.open_s = message.open_s
        elif isinstance(message, SampledFrame):
            if not collected.frames:
                collected.first_frame_s = time.monotonic() - started
            collected.frames.append(message)
        else:
            collected.report = message
            collected.failure = _failure(message, collected)
            return collected


def _failure(report: SamplingReport, collected: _Collected) -> str | None:
    """Why the sampled frames cannot be judged, or None when they can."""
    if report.outcome in ("stalled", "failed", "ended"):
        return report.reason or report.outcome
    if not collected.frames:
        return "no picture within the time-out / 超时未取得画面"
    return None


def _timeout_text(collected: _Collected, *, ready: bool) -> str:
    if not ready:  # not the camera's fault, but no picture came in time all the same
        return "decoder did not start within the time-out (machine busy) / 解码进程未能及时启动"
    if collected.open_s is None:
        return "no connection within the time-out / 超时未连接"
    return f"stream hung after {len(collected.frames)} frames / 视频流无响应"


def _no_signal(reason: str, started: float, collected: _Collected | None = None) -> ProbeResult:
    return ProbeResult(
        status="offline",
        faults=["no_signal"],
        metrics=collected.metrics() if collected else {},
        elapsed_s=time.monotonic() - started,
        reason=redact(reason),
        frames=len(collected.frames) if collected else 0,
    )


_default_pool: ProbePool | None = None
_default_lock = threading.Lock()


def probe(
    source: str | StreamSpec,
    *,
    timeout_s: float = 10.0,
    baseline: Baseline | None = None,
    plan: SamplingPlan | None = None,
    pose: CameraPose | None = None,
) -> ProbeResult:
    """Sample one stream and judge it; returns within `timeout_s` whatever the stream does.

    Uses a process-wide pool of decoder workers, created on first use and stopped at exit.
    """
    global _default_pool
    with _default_lock:
        if _default_pool is None:
            _default_pool = ProbePool()
            atexit.register(close_default_pool)
        pool = _default_pool
    return pool.probe(source, timeout_s=timeout_s, baseline=baseline, plan=plan, pose=pose)


def close_default_pool() -> None:
    """Stop the workers of the pool behind `probe` (a new one starts on the next probe)."""
    global _default_pool
    with _default_lock:
        pool, _default_pool = _default_pool, None
    if pool is not None:
        pool.close()
