"""Decoder workers: child processes that open streams and sample them, killed when they overstay.

FFmpeg can block inside a read or crash on a broken stream; neither may hold up or take down the
service. Each probe therefore runs in a worker process that the caller can kill at the deadline.
Workers are reused across probes because starting one (an interpreter plus FFmpeg's libraries)
costs more CPU than the probe itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from gapwatch.vision.sampler import Outcome, SampledFrame, SamplingPlan, SamplingReport, sample
from gapwatch.vision.sources import SourceError, StreamSource, open_stream

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerProcess

__all__ = ["DecoderWorker", "Opened", "Ready", "SamplingTask", "start_worker_server"]


@dataclass(frozen=True)
class SamplingTask:
    """What the parent asks of a worker: sample this source with this plan until `stop_at`."""

    source: StreamSource
    plan: SamplingPlan
    stop_at: float
    """A `time.monotonic()` moment; the clock is shared by all processes on the machine."""


@dataclass(frozen=True)
class Ready:
    """The worker has loaded the decoding libraries and waits for tasks."""


@dataclass(frozen=True)
class Opened:
    """The worker connected to the stream after `open_s` seconds."""

    open_s: float


Message = Ready | Opened | SampledFrame | SamplingReport


def _serve(conn: Connection) -> None:
    """The worker's loop: one task at a time until the parent says stop or goes away."""
    # Ctrl-C reaches the whole process group; the parent decides when workers end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import av  # load FFmpeg once per worker, not once per probe

    av.logging.set_level(None)  # FFmpeg's own log lines may carry the stream URL
    conn.send(Ready())
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        _run(task, conn)


def _run(task: SamplingTask, conn: Connection) -> None:
    started = time.monotonic()
    plan = task.plan
    open_timeout = max(0.05, min(plan.open_timeout_s, task.stop_at - started))
    try:
        stream = open_stream(
            task.source,
            open_timeout_s=open_timeout,
            read_timeout_s=plan.stall_s,
            stop_at=task.stop_at,
        )
    except SourceError as exc:
        conn.send(SamplingReport("failed", str(exc), 0, 0, 0.0))
        return
    try:
        conn.send(Opened(open_s=time.monotonic() - started))
        if stream.stall_s != plan.stall_s:  # HLS: a stall is judged against its segment length
            plan = dataclasses.replace(plan, stall_s=stream.stall_s)
        taken: list[SampledFrame] = []

        def emit(frame: SampledFrame) -> None:
            taken.append(frame)
            conn.send(frame)

        report = sample(stream.container, task.source, plan, stop_at=task.stop_at, emit=emit)
        failure = stream.failure()
        if report.outcome == "ended" and stream.cut_short() and taken:
            # The feed stopped at the probe's time: what was taken is judged, as for FFmpeg.
            report = dataclasses.replace(
                report, outcome="complete", reason="sampling cut short by the time-out"
            )
        elif failure is not None and report.outcome == "ended":
            # A websocket feed ends the container's bytes on a stall; say which it was.
            outcome: Outcome = "stalled" if "stalled" in failure else "ended"
            report = dataclasses.replace(report, outcome=outcome, reason=failure)
        # Report before closing: closing an RTSP session waits for the server's answer to
        # TEARDOWN, which the caller need not wait for.
        conn.send(report)
    finally:
        stream.close()


def _context() -> multiprocessing.context.ForkServerContext:
    """Workers are forked by a small server process that has the decoding libraries loaded.

    Never fork the caller itself (a threaded service); starting a fresh interpreter per worker
    costs a quarter of a CPU second, forking the preloaded server a few milliseconds, which
    matters when hung cameras get their workers killed and replaced every interval.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["gapwatch.vision.worker", "av"])
    return context


def start_worker_server() -> None:
    """Start the process that forks decoder workers now (it otherwise starts on first use)."""
    from multiprocessing import forkserver

    _context()
    forkserver.ensure_running()


class DecoderWorker:
    """One worker process and the pipe to it, seen from the parent."""

    def __init__(self) -> None:
        self.conn, child_conn = _context().Pipe(duplex=True)
        self.process: ForkServerProcess = _context().Process(
            target=_serve, args=(child_conn,), name="gapwatch-decoder", daemon=True
        )
        self.process.start()
        child_conn.close()
        self.pid = self.process.pid
        self.probes = 0
        self.closed = False
        self.ready = False

    def send(self, task: SamplingTask) -> None:
        """Hand the worker its next task."""
        self.probes += 1
        self.conn.send(task)

    def receive(self, timeout_s: float) -> Message | None:
        """The worker's next message, or None if none came in time; EOFError if it died."""
        if not self.conn.poll(max(0.0, timeout_s)):
            return None
        message: Message = self.conn.recv()
        if isinstance(message, Ready):
            self.ready = True
        return message

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the worker has started up; False if it did not within `timeout_s`."""
        until = time.monotonic() + timeout_s
        while not self.ready:
            if self.receive(until - time.monotonic()) is None:
                return False
        return True

    def kill(self) -> None:
        """End the worker at once and release its pipe and process handles."""
        if self.closed:
            return
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self._release()

    def stop(self, grace_s: float = 1.0) -> None:
        """Ask the worker to finish; kill it if it does not within `grace_s`."""
        if self.closed:
            return
        with contextlib.suppress(OSError):  # the worker may already be gone
            self.conn.send(None)
        self.process.join(grace_s)
        self.kill()

    def _release(self) -> None:
        self.closed = True
        self.conn.close()
        if self.process.exitcode is not None:
            self.process.close()
