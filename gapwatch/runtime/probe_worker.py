"""Probe workers next to the cameras: the Celery app and the probe task they run.

Nothing is built at import time. `make_app(broker_url)` builds the app (the `gapwatch worker`
command calls it); `celery -A gapwatch.runtime.probe_worker worker` also works, because the
module attribute `app` is built on first access from GAPWATCH_BROKER_URL.

Messages and results are JSON (`ProbeMessage`, `ProbeReply`), never pickle, so a worker runs no
code the broker hands it. A worker probes with the same `ProbePool` as the local executor: each
probe decodes in a child process killed at the deadline.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from gapwatch.vision.redact import RedactingFilter, redact, shown_url
from gapwatch.vision.types import FAULT_CODES, ProbeResult, Status

if TYPE_CHECKING:
    from collections.abc import Sequence

    from celery import Celery

    from gapwatch.crowd import CameraPose, CrowdCount
    from gapwatch.vision.baseline import Baseline
    from gapwatch.vision.probe import ProbePool
    from gapwatch.vision.stream_spec import StreamSpec
    from gapwatch.vision.types import Frame, Verdict

__all__ = [
    "DEFAULT_QUEUE",
    "PROBE_TASK",
    "ProbeMessage",
    "ProbeReply",
    "crowd_json",
    "make_app",
    "pose_json",
    "run_probe",
    "worker_argv",
    "worker_command",
]

log = logging.getLogger(__name__)

PROBE_TASK = "gapwatch.probe"
"""Name of the probe task on the wire."""
DEFAULT_QUEUE = "gapwatch.probe"
"""The queue of cameras that name none (`probe_queue` in the site file)."""
RESULT_EXPIRES_S = 600
"""Results nobody collected (the scheduler stopped) leave Redis after ten minutes."""

_STATUSES: frozenset[str] = frozenset({"ok", "degraded", "offline"})


class MessageError(ValueError):
    """A probe message or reply that does not have the expected shape."""


@dataclass(frozen=True)
class ProbeMessage:
    """What the scheduler sends a worker: one camera, its stream, the deadline and baseline."""

    camera_id: str
    source: str
    """The stream address; no credentials when `stream` carries them."""
    timeout_s: float
    baseline: dict[str, Any] | None = None
    stream: dict[str, Any] | None = None
    """The camera's stream spec (`StreamSpec.to_json`): the password's *place* (an environment
    variable or file on the worker's machine), read only by the decoder that connects."""
    pose: dict[str, Any] | None = None
    """The camera's pose (`pose_json`), so that a healthy picture also gets its people counted."""

    def to_json(self) -> dict[str, Any]:
        """The message body (JSON)."""
        return asdict(self)

    def spec(self) -> str | StreamSpec:
        """What the worker probes: the spec when the message has one, else the address."""
        from gapwatch.vision.stream_spec import StreamSpec

        return StreamSpec.from_json(self.stream) if self.stream is not None else self.source

    @classmethod
    def from_json(cls, data: object) -> ProbeMessage:
        """Read a message body; `MessageError` names what is wrong."""
        if not isinstance(data, dict):
            raise MessageError("probe message is not a JSON object")
        camera_id, source, timeout = (
            data.get("camera_id"),
            data.get("source"),
            data.get("timeout_s"),
        )
        baseline = data.get("baseline")
        if not isinstance(camera_id, str) or not camera_id:
            raise MessageError("probe message has no camera_id")
        if not isinstance(source, str) or not source:
            raise MessageError("probe message has no source")
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not timeout > 0:
            raise MessageError("probe message timeout_s must be a positive number")
        if baseline is not None and not isinstance(baseline, dict):
            raise MessageError("probe message baseline must be a JSON object")
        stream = data.get("stream")
        if stream is not None:
            from gapwatch.vision.stream_spec import StreamSpec

            try:
                StreamSpec.from_json(stream)
            except ValueError as exc:
                raise MessageError(f"probe message stream: {exc}") from None
        pose = data.get("pose")
        if pose is not None:
            try:
                pose_of(pose)
            except (TypeError, ValueError) as exc:
                raise MessageError(f"probe message pose: {exc}") from None
        return cls(camera_id, source, float(timeout), baseline, stream, pose)

    @property
    def shown(self) -> str:
        """The message as it may appear in logs and monitors: credentials removed."""
        return (
            f"camera={self.camera_id} source={shown_url(self.source)} timeout={self.timeout_s:g}s"
        )


@dataclass(frozen=True)
class ProbeReply:
    """What a worker sends back: the probe result, and the baseline when the probe taught it."""

    result: ProbeResult
    learned: dict[str, Any] | None = None
    worker: str = ""

    def to_json(self) -> dict[str, Any]:
        """The reply body (JSON)."""
        r = self.result
        return {
            "status": r.status,
            "faults": list(r.faults),
            "metrics": dict(r.metrics),
            "elapsed_s": r.elapsed_s,
            "reason": redact(r.reason) if r.reason else None,
            "frames": r.frames,
            "crowd": crowd_json(r.crowd),
            "learned": self.learned,
            "worker": self.worker,
        }

    @classmethod
    def from_json(cls, data: object) -> ProbeReply:
        """Read a reply; `MessageError` names what is wrong."""
        if not isinstance(data, dict):
            raise MessageError("probe reply is not a JSON object")
        status = data.get("status")
        faults = data.get("faults")
        metrics = data.get("metrics") or {}
        if status not in _STATUSES:
            raise MessageError(f"probe reply has an unknown status {status!r}")
        if not isinstance(faults, list) or not all(f in FAULT_CODES for f in faults):
            raise MessageError(f"probe reply has unknown faults {faults!r}")
        if not isinstance(metrics, dict):
            raise MessageError("probe reply metrics must be a JSON object")
        reason = data.get("reason")
        learned = data.get("learned")
        try:
            crowd = crowd_of(data.get("crowd"))
        except (TypeError, ValueError) as exc:
            raise MessageError(f"probe reply crowd: {exc}") from None
        result = ProbeResult(
            status=_status(status),
            faults=[str(f) for f in faults],
            metrics={str(k): float(v) for k, v in metrics.items()},
            elapsed_s=float(data.get("elapsed_s") or 0.0),
            reason=str(reason) if reason is not None else None,
            frames=int(data.get("frames") or 0),
            crowd=crowd,
        )
        return cls(
            result,
            learned if isinstance(learned, dict) else None,
            str(data.get("worker") or ""),
        )


def pose_json(pose: CameraPose | None) -> dict[str, Any] | None:
    """A camera pose as message JSON."""
    return asdict(pose) if pose is not None else None


def pose_of(data: object) -> CameraPose:
    """A camera pose from message JSON; TypeError or ValueError when it is not one."""
    from gapwatch.crowd import CameraPose

    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    return CameraPose(**data)


def crowd_json(crowd: CrowdCount | None) -> dict[str, Any] | None:
    """A probe's people count as reply JSON (blobs as [u, v, people])."""
    if crowd is None:
        return None
    return {
        "people": crowd.people,
        "counted": crowd.counted,
        "foreground_share": crowd.foreground_share,
        "blobs": [[b.u, b.v, b.people] for b in crowd.blobs],
    }


def crowd_of(data: object) -> CrowdCount | None:
    """A people count from reply JSON; TypeError or ValueError when it is not one."""
    from gapwatch.crowd import CrowdCount, PersonBlob

    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    blobs = tuple(PersonBlob(float(u), float(v), float(p)) for u, v, p in data.get("blobs", []))
    return CrowdCount(
        people=float(data["people"]),
        blobs=blobs,
        foreground_share=float(data.get("foreground_share", 0.0)),
        counted=bool(data.get("counted", True)),
    )


def _status(value: object) -> Status:
    if value == "ok":
        return "ok"
    if value == "degraded":
        return "degraded"
    return "offline"


class _LearningJudge:
    """Judges like the service's baseline book: a healthy probe teaches the baseline it used."""

    def __init__(self) -> None:
        from gapwatch.vision.judge import judge

        self._judge = judge
        self.learned: dict[int, bool] = {}
        self._lock = threading.Lock()

    def __call__(self, frames: Sequence[Frame], baseline: Baseline | None) -> Verdict:
        verdict = self._judge(frames, baseline)
        if baseline is not None and baseline.update(verdict, frames):
            with self._lock:
                self.learned[id(baseline)] = True
        return verdict

    def take(self, baseline: Baseline) -> bool:
        """Whether this baseline learned during its probe (forgets the answer)."""
        with self._lock:
            return self.learned.pop(id(baseline), False)


class _Prober:
    """One decoder pool per worker process, shared by the worker's probe threads."""

    def __init__(self, workers: int) -> None:
        from gapwatch.vision.probe import ProbePool

        self.judge = _LearningJudge()
        self.pool: ProbePool = ProbePool(max_workers=workers, judge=self.judge)


_prober: _Prober | None = None
_prober_lock = threading.Lock()


def _the_prober(workers: int) -> _Prober:
    global _prober
    with _prober_lock:
        if _prober is None:
            _prober = _Prober(workers)
        return _prober


def run_probe(message: ProbeMessage, *, workers: int = 4, worker: str = "") -> ProbeReply:
    """Probe one camera in this process and say what the baseline learned (the task's body)."""
    from gapwatch.vision.baseline import Baseline, BaselineError

    prober = _the_prober(workers)
    baseline: Baseline | None = None
    if message.baseline is not None:
        try:
            baseline = Baseline.from_dict(message.baseline)
        except BaselineError as exc:
            # A damaged baseline must not stop probing: judge without one.
            log.warning("camera %s: baseline unusable (%s)", message.camera_id, exc)
    pose = pose_of(message.pose) if message.pose is not None else None
    result = prober.pool.probe(
        message.spec(), timeout_s=message.timeout_s, baseline=baseline, pose=pose
    )
    learned = baseline.to_dict() if baseline is not None and prober.judge.take(baseline) else None
    return ProbeReply(result, learned, worker)


def _probe_task(payload: object, *, concurrency: int, hostname: str) -> dict[str, Any]:
    try:
        message = ProbeMessage.from_json(payload)
    except MessageError as exc:
        # A malformed message is answered, not raised: the scheduler gets a clear reason.
        result = ProbeResult("offline", ["no_signal"], reason=f"bad probe message: {exc}")
        return ProbeReply(result, worker=hostname).to_json()
    log.info("probing %s", message.shown)
    return run_probe(message, workers=concurrency, worker=hostname).to_json()


def make_app(broker_url: str, *, concurrency: int = 4) -> Celery:
    """The Celery app of probe workers and of the scheduler that sends them probes."""
    from celery import Celery, signals

    app = Celery("gapwatch", broker=broker_url, backend=broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # Acknowledge after the probe, and reserve one message per free thread, so a busy
        # worker does not hold probes another county worker could start now.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        # A probe whose worker died is not re-run: its deadline has passed and the scheduler
        # has reported it; the next period probes the camera again.
        task_reject_on_worker_lost=False,
        task_default_queue=DEFAULT_QUEUE,
        task_create_missing_queues=True,
        result_expires=RESULT_EXPIRES_S,
        worker_concurrency=concurrency,
        worker_pool="threads",
        worker_hijack_root_logger=True,
        worker_redirect_stdouts=False,
        broker_connection_retry_on_startup=True,
        # Probes need no remote control; without it a killed worker leaves no stale mailbox.
        worker_enable_remote_control=False,
        # Results and tracebacks are logged by the worker; keep the result line short.
        worker_task_log_format=(
            "[%(asctime)s: %(levelname)s/%(processName)s] %(task_name)s[%(task_id)s]: %(message)s"
        ),
    )

    @app.task(name=PROBE_TASK, bind=True, acks_late=True)  # type: ignore[untyped-decorator]
    def probe_task(self: Any, payload: object) -> dict[str, Any]:
        hostname = str(getattr(self.request, "hostname", "") or "")
        return _probe_task(payload, concurrency=int(app.conf.worker_concurrency), hostname=hostname)

    def _redacting_logs(logger: logging.Logger | None = None, **_: object) -> None:
        # Celery logs a task's result and its exceptions; a stream URL in them loses its password.
        target = logger or logging.getLogger()
        for handler in target.handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())

    def _warm(**_: object) -> None:
        # Decoder processes start before the first probe, so it does not pay for them.
        _the_prober(int(app.conf.worker_concurrency)).pool.warm(int(app.conf.worker_concurrency))

    signals.after_setup_logger.connect(_redacting_logs, weak=False)
    signals.after_setup_task_logger.connect(_redacting_logs, weak=False)
    signals.worker_ready.connect(_warm, weak=False, sender=None)
    return app


def worker_argv(queues: Sequence[str], concurrency: int, *, loglevel: str = "INFO") -> list[str]:
    """The `celery worker` arguments of a probe worker consuming `queues`."""
    return [
        "worker",
        f"--concurrency={concurrency}",
        "--pool=threads",
        f"--queues={','.join(queues)}",
        f"--loglevel={loglevel}",
        # Probe workers do not talk to each other; only to the broker.
        "--without-gossip",
        "--without-mingle",
    ]


def _fail(message: str) -> int:
    import sys

    print(message, file=sys.stderr)  # noqa: T201
    return 2


def worker_command(broker: str | None, queues: Sequence[str], concurrency: int) -> int:
    """`gapwatch worker`: serve probe queues until stopped; returns the exit code."""
    from pydantic import ValidationError

    from gapwatch.settings import Settings

    if broker is None:
        try:
            broker = Settings().broker_url
        except ValidationError as exc:
            return _fail(f"error / 错误: {redact(str(exc))}")
    if not broker:
        return _fail(
            "error: no broker given: pass --broker redis://HOST:6379/0 or set GAPWATCH_BROKER_URL\n"
            "错误：未指定消息代理：请使用 --broker 或设置 GAPWATCH_BROKER_URL"
        )
    if not broker.startswith(("redis://", "rediss://")):
        return _fail(
            f"error: the broker must be a redis:// or rediss:// URL, not {redact(broker)!r}\n"
            "错误：消息代理地址必须以 redis:// 或 rediss:// 开头"
        )
    app = make_app(broker, concurrency=concurrency)
    app.worker_main(worker_argv(list(queues) or [DEFAULT_QUEUE], concurrency))
    return 0


def __getattr__(name: str) -> object:
    # `celery -A gapwatch.runtime.probe_worker` looks up `app`; build it only then.
    if name == "app":
        from gapwatch.settings import Settings

        settings = Settings()
        if not settings.broker_url:
            raise AttributeError("set GAPWATCH_BROKER_URL to the Redis broker of the probe workers")
        built = make_app(settings.broker_url)
        globals()["app"] = built
        return built
    raise AttributeError(name)
