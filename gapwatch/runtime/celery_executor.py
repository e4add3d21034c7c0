"""The distributed sampling executor: probes run on Celery workers next to the cameras.

`submit` sends one probe message to the camera's queue (one queue per county, say) and returns a
future. One collector thread receives the results from Redis and completes the futures; it also
keeps every probe's deadline itself, so a worker that died, or a county link that went down,
resolves the probe as `no_signal` with the reason instead of holding the scheduler.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gapwatch.runtime.executor import ProbeRequest, SamplingExecutor, failed_probe
from gapwatch.runtime.probe_worker import (
    DEFAULT_QUEUE,
    PROBE_TASK,
    MessageError,
    ProbeMessage,
    ProbeReply,
    make_app,
    pose_json,
)
from gapwatch.vision.redact import redact
from gapwatch.vision.types import ProbeResult

if TYPE_CHECKING:
    from celery import Celery
    from celery.result import AsyncResult

    from gapwatch.crowd import CameraPose
    from gapwatch.runtime.baselines import BaselineBook
    from gapwatch.settings import Settings
    from gapwatch.site import Site
    from gapwatch.vision.baseline import Baseline

__all__ = ["DEFAULT_MARGIN_S", "CeleryExecutor", "LearnedBaseline", "celery_executor_for"]

log = logging.getLogger(__name__)

DEFAULT_MARGIN_S = 4.0
"""Seconds a probe may spend on the broker and in a worker's queue on top of its own time-out.

Below the scheduler's overrun grace (5 s), so a lost probe is reported here, with its queue
named, rather than by the scheduler's generic sweep."""

LearnedBaseline = Callable[[str, "Baseline"], None]
"""Called with a camera id and the baseline a healthy remote probe taught."""


@dataclass(frozen=True)
class _Outgoing:
    request: ProbeRequest
    future: Future[ProbeResult]
    sent: float


@dataclass
class _Pending:
    request: ProbeRequest
    future: Future[ProbeResult]
    result: AsyncResult
    queue: str
    sent: float
    deadline: float
    watching: bool = field(default=False)


class CeleryExecutor(SamplingExecutor):
    """Sends probes to Celery workers over Redis and collects their verdicts.

    `queues` maps a camera id to its workers' queue; other cameras go to `default_queue`.
    `capacity` is how many probes the workers behind the queues run at once (the sum of their
    `--concurrency`); it is what the scheduler plans with, not a limit enforced here.
    """

    def __init__(
        self,
        broker_url: str,
        *,
        queues: Mapping[str, str] | None = None,
        default_queue: str = DEFAULT_QUEUE,
        capacity: int = 4,
        margin_s: float = DEFAULT_MARGIN_S,
        poll_s: float = 0.05,
        on_learned: LearnedBaseline | None = None,
        app: Celery | None = None,
        pose_for: Callable[[str], CameraPose | None] | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError("a sampling executor needs at least one worker")
        if margin_s < 0:
            raise ValueError("the broker margin must not be negative")
        self._app = app if app is not None else make_app(broker_url)
        self._queues = dict(queues or {})
        self._default_queue = default_queue
        self._capacity = capacity
        self._margin_s = margin_s
        self._poll_s = poll_s
        self._on_learned = on_learned
        self._pose_for = pose_for
        self._incoming: queue.SimpleQueue[_Outgoing] = queue.SimpleQueue()
        self._pending: dict[str, _Pending] = {}
        self._stopped = threading.Event()
        self._collector = threading.Thread(
            target=self._collect, name="celery-probe-results", daemon=True
        )
        self._collector.start()

    @property
    def capacity(self) -> int:
        return self._capacity

    def queue_for(self, camera_id: str) -> str:
        """The queue whose workers probe this camera."""
        return self._queues.get(camera_id, self._default_queue)

    def submit(self, request: ProbeRequest) -> Future[ProbeResult]:
        if self._stopped.is_set():
            raise RuntimeError("the sampling executor has been shut down")
        future: Future[ProbeResult] = Future()
        future.set_running_or_notify_cancel()
        # Sent by the collector thread: Celery keeps a result backend (and its Redis
        # subscription) per thread, so sending and collecting happen on the same one.
        self._incoming.put(_Outgoing(request, future, time.monotonic()))
        return future

    def _send(self, item: _Outgoing) -> _Pending | None:
        request = item.request
        source = request.source
        message = ProbeMessage(
            camera_id=request.camera_id,
            source=source if isinstance(source, str) else source.url,
            timeout_s=request.timeout_s,
            baseline=request.baseline.to_dict() if request.baseline is not None else None,
            stream=None if isinstance(source, str) else source.to_json(),
            pose=pose_json(self._pose_for(request.camera_id)) if self._pose_for else None,
        )
        target = self.queue_for(request.camera_id)
        waited = time.monotonic() - item.sent
        try:
            result = self._app.send_task(
                PROBE_TASK,
                args=[message.to_json()],
                queue=target,
                # A message still queued when its verdict is due is dropped by the worker:
                # the scheduler has already been told, and the next period probes again.
                expires=max(0.1, request.timeout_s + self._margin_s - waited),
                # What logs and monitors show of the message: no credentials.
                argsrepr=f"({message.shown!r})",
                kwargsrepr="{}",
            )
        except Exception as exc:  # the broker is down: the camera's state is unknown to us
            log.error("sending probe of camera %s failed: %s", request.camera_id, _shown(exc))
            item.future.set_result(failed_probe(f"probe not sent: {_shown(exc)}", waited))
            return None
        deadline = item.sent + request.timeout_s + self._margin_s
        return _Pending(request, item.future, result, target, item.sent, deadline)

    def shutdown(self, grace_s: float = 3.0) -> None:
        """Stop taking probes; probes in flight resolve as no_signal; never waits long."""
        self._stopped.set()
        if self._collector is not threading.current_thread():
            self._collector.join(grace_s)

    def _collect(self) -> None:
        while True:
            if self._stopped.is_set():
                break
            self._take_new()
            try:
                if self._pending:
                    # Reads the result messages Redis publishes and completes the watchers.
                    self._app.backend.result_consumer.drain_events(timeout=self._poll_s)
                else:
                    self._stopped.wait(self._poll_s)
            except Exception as exc:  # Redis gone for a moment: keep the deadlines running
                log.warning("reading probe results failed: %s", _shown(exc))
                self._stopped.wait(self._poll_s)
            self._expire(time.monotonic())
        stopped = "probing stopped before a worker answered"
        while True:
            try:
                item = self._incoming.get_nowait()
            except queue.Empty:
                break
            item.future.set_result(failed_probe(stopped, time.monotonic() - item.sent))
        for pending in list(self._pending.values()):
            self._settle(pending, failed_probe(stopped, _since(pending)))

    def _take_new(self) -> None:
        while True:
            try:
                item = self._incoming.get_nowait()
            except queue.Empty:
                return
            pending = self._send(item)
            if pending is None:
                continue
            self._pending[pending.result.id] = pending
            # Watching happens on this thread only: Celery's result bookkeeping is not
            # meant to be shared between threads.
            pending.result.then(self._arrived, on_error=self._arrival_failed)
            pending.watching = True

    def _arrived(self, result: AsyncResult) -> None:
        pending = self._pending.get(result.id)
        if pending is None:
            return
        self._settle(pending, self._read(pending, result.state, result.result))

    def _arrival_failed(self, exc: BaseException) -> None:
        log.warning("a probe result could not be read: %s", _shown(exc))

    def _read(self, pending: _Pending, state: str, value: Any) -> ProbeResult:
        camera = pending.request.camera_id
        if state == "SUCCESS":
            try:
                reply = ProbeReply.from_json(value)
            except MessageError as exc:
                return failed_probe(f"unreadable answer from probe worker: {exc}", _since(pending))
            if reply.learned is not None and self._on_learned is not None:
                self._teach(camera, reply.learned)
            result = reply.result
            if result.reason:
                return _with_reason(result, redact(result.reason))
            return result
        if state == "REVOKED":
            reason = "probe waited too long for a free worker on queue " + pending.queue
            return failed_probe(reason, _since(pending))
        # FAILURE: the probe raised (a bug), or the worker process running it was lost.
        kind = type(value).__name__ if isinstance(value, BaseException) else str(state)
        log.error("probe of camera %s failed on its worker: %s", camera, kind)
        return failed_probe(f"probe failed on its worker: {kind}", _since(pending))

    def _teach(self, camera_id: str, learned: dict[str, Any]) -> None:
        from gapwatch.vision.baseline import Baseline, BaselineError

        assert self._on_learned is not None
        try:
            self._on_learned(camera_id, Baseline.from_dict(learned))
        except BaselineError as exc:
            log.warning("camera %s: learned baseline unreadable: %s", camera_id, exc)
        except Exception:
            log.exception("camera %s: taking in the learned baseline failed", camera_id)

    def _expire(self, now: float) -> None:
        for pending in [p for p in self._pending.values() if p.deadline <= now]:
            # Last look at the stored result, in case its announcement was missed.
            state, value = self._stored(pending)
            if state in ("SUCCESS", "FAILURE", "REVOKED"):
                self._settle(pending, self._read(pending, state, value))
                continue
            waited = now - pending.sent
            reason = (
                f"no answer from a probe worker on queue {pending.queue} within {waited:.0f}s"
                " (worker lost or queue unserved) / 探测节点未在时限内应答"
            )
            log.warning("probe of camera %s: %s", pending.request.camera_id, reason)
            self._settle(pending, failed_probe(reason, waited))

    def _stored(self, pending: _Pending) -> tuple[str, Any]:
        try:
            meta = self._app.backend.get_task_meta(pending.result.id)
        except Exception as exc:
            log.warning("reading a stored probe result failed: %s", _shown(exc))
            return "PENDING", None
        status = str(meta.get("status", "PENDING"))
        value = meta.get("result")
        if status == "FAILURE" and isinstance(value, dict):
            value = self._app.backend.exception_to_python(value)
        return status, value

    def _settle(self, pending: _Pending, result: ProbeResult) -> None:
        self._pending.pop(pending.result.id, None)
        try:
            # Removes the stored result and stops listening for it.
            pending.result.forget()
        except Exception as exc:
            log.debug("forgetting a probe result failed: %s", _shown(exc))
        if not pending.future.done():
            pending.future.set_result(result)


def _since(pending: _Pending) -> float:
    return time.monotonic() - pending.sent


def _shown(exc: BaseException) -> str:
    # Connection errors may quote the broker URL with its password.
    return redact(f"{type(exc).__name__}: {exc}")


def _with_reason(result: ProbeResult, reason: str) -> ProbeResult:
    return ProbeResult(
        status=result.status,
        faults=list(result.faults),
        metrics=dict(result.metrics),
        elapsed_s=result.elapsed_s,
        reason=reason,
        frames=result.frames,
        crowd=result.crowd,
    )


def celery_executor_for(
    site: Site,
    settings: Settings,
    baselines: BaselineBook | None = None,
    pose_for: Callable[[str], CameraPose | None] | None = None,
) -> CeleryExecutor:
    """The executor of a service with GAPWATCH_EXECUTOR=celery: cameras to their probe queues."""
    if not settings.broker_url:
        raise ValueError("GAPWATCH_EXECUTOR=celery needs GAPWATCH_BROKER_URL")
    queues = {c.id: c.probe_queue for c in site.spec.cameras if c.probe_queue is not None}
    return CeleryExecutor(
        settings.broker_url,
        queues=queues,
        capacity=settings.probe_workers,
        on_learned=baselines.adopt if baselines is not None else None,
        pose_for=pose_for,
    )
