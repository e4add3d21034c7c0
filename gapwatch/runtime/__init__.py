"""Runtime: the probe scheduler, sampling executors and the wiring from probes to alerts."""

from gapwatch.runtime.executor import LocalExecutor, ProbeFunction, ProbeRequest, SamplingExecutor
from gapwatch.runtime.scheduler import (
    PeriodicTask,
    ProbeScheduler,
    ProbeTarget,
    ResultHandler,
    spread_offsets,
)

__all__ = [
    "LocalExecutor",
    "PeriodicTask",
    "ProbeFunction",
    "ProbeRequest",
    "ProbeScheduler",
    "ProbeTarget",
    "ResultHandler",
    "SamplingExecutor",
    "spread_offsets",
]
