"""Sampling executors: where probes run. The local pool is the default; others plug in here."""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gapwatch.vision.types import ProbeResult

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline
    from gapwatch.vision.stream_spec import StreamSpec

__all__ = ["LocalExecutor", "ProbeFunction", "ProbeRequest", "SamplingExecutor"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeRequest:
    """One probe to run: which camera, its stream, the deadline and its baseline."""

    camera_id: str
    source: str | StreamSpec
    timeout_s: float
    baseline: Baseline | None = None


ProbeFunction = Callable[[ProbeRequest], ProbeResult]
"""Runs one probe to completion within `request.timeout_s`; may raise on a bug."""


class SamplingExecutor(ABC):
    """Runs probes somewhere and hands back their results as futures.

    Implementations: `LocalExecutor` (threads in this process, each probe isolating its own
    decoder). A distributed one (workers next to the cameras, results back to one store) fits the
    same two methods.
    """

    @abstractmethod
    def submit(self, request: ProbeRequest) -> Future[ProbeResult]:
        """Queue one probe; the future resolves to its result (never to an exception)."""

    @abstractmethod
    def shutdown(self) -> None:
        """Stop taking probes and drop queued ones; running probes are abandoned, not awaited."""

    @property
    @abstractmethod
    def capacity(self) -> int:
        """How many probes run at the same time."""


def failed_probe(reason: str, elapsed_s: float) -> ProbeResult:
    """The verdict when a probe could not run at all: no usable picture, with the reason."""
    return ProbeResult(
        status="offline", faults=["no_signal"], elapsed_s=elapsed_s, reason=reason, frames=0
    )


class LocalExecutor(SamplingExecutor):
    """A fixed pool of daemon threads calling `probe`.

    Daemon threads, because a probe that is still waiting on its stream when the service stops
    must not hold the process open; the probe itself keeps the decoder in a separate process
    that it kills at the deadline.
    """

    def __init__(
        self,
        probe: ProbeFunction,
        *,
        workers: int = 4,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError("a sampling executor needs at least one worker")
        self._probe = probe
        self._on_wait = on_wait
        self._workers = workers
        self._queue: queue.SimpleQueue[tuple[ProbeRequest, Future[ProbeResult], float] | None] = (
            queue.SimpleQueue()
        )
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"probe-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def capacity(self) -> int:
        return self._workers

    def submit(self, request: ProbeRequest) -> Future[ProbeResult]:
        if self._stopped.is_set():
            raise RuntimeError("the sampling executor has been shut down")
        future: Future[ProbeResult] = Future()
        self._queue.put((request, future, time.monotonic()))
        return future

    def shutdown(self, grace_s: float = 3.0) -> None:
        self._stopped.set()
        for _ in self._threads:
            self._queue.put(None)
        # Give running probes a moment to end on their own (they clean up their decoder
        # process); past the grace they are abandoned, never awaited for their full time-out.
        deadline = time.monotonic() + grace_s
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._stopped.is_set():
                if item is not None:
                    item[1].cancel()
                return
            request, future, queued = item
            if not future.set_running_or_notify_cancel():
                continue
            started = time.monotonic()
            if self._on_wait is not None:
                # How long a due probe waited for a free worker: the pool keeping up, or not.
                self._on_wait(started - queued)
            try:
                result = self._probe(request)
            except Exception as exc:  # one bad camera must not take the worker down
                # Only the type: the message may carry the stream URL with its password.
                log.error("probe of camera %s failed: %s", request.camera_id, type(exc).__name__)
                result = failed_probe(
                    f"probe failed: {type(exc).__name__}", time.monotonic() - started
                )
            future.set_result(result)
