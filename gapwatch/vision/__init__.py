"""gapwatch.vision: sample camera streams with hard deadlines and judge their health."""

from gapwatch.vision.probe import ProbeBusyError, ProbePool, close_default_pool, probe
from gapwatch.vision.redact import RedactingFilter, redact
from gapwatch.vision.sampler import SamplingPlan
from gapwatch.vision.sources import SourceError, StreamSource, parse
from gapwatch.vision.types import FAULT_CODES, OFFLINE_FAULTS, Frame, ProbeResult, Status

__all__ = [
    "FAULT_CODES",
    "OFFLINE_FAULTS",
    "Frame",
    "ProbeBusyError",
    "ProbePool",
    "ProbeResult",
    "RedactingFilter",
    "SamplingPlan",
    "SourceError",
    "Status",
    "StreamSource",
    "close_default_pool",
    "parse",
    "probe",
    "redact",
]
