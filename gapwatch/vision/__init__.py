"""gapwatch.vision: sample camera streams with hard deadlines and judge their health.

Judging and baselines load OpenCV, which the decoder workers never need; they are imported on
first use of `judge`, `Baseline` or `BaselineError` from this package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gapwatch.vision.probe import ProbeBusyError, ProbePool, close_default_pool, probe
from gapwatch.vision.redact import RedactingFilter, redact, shown_url
from gapwatch.vision.sampler import SamplingPlan
from gapwatch.vision.sources import (
    SUPPORTED_SCHEMES,
    SourceError,
    StreamSource,
    UnsupportedSourceError,
    parse,
)
from gapwatch.vision.stream_spec import CredentialError, RtspTransport, StreamSpec
from gapwatch.vision.types import FAULT_CODES, OFFLINE_FAULTS, Frame, ProbeResult, Status, Verdict

if TYPE_CHECKING:
    from gapwatch.vision.baseline import Baseline, BaselineError
    from gapwatch.vision.judge import judge

__all__ = [
    "FAULT_CODES",
    "OFFLINE_FAULTS",
    "SUPPORTED_SCHEMES",
    "Baseline",
    "BaselineError",
    "CredentialError",
    "Frame",
    "ProbeBusyError",
    "ProbePool",
    "ProbeResult",
    "RedactingFilter",
    "RtspTransport",
    "SamplingPlan",
    "SourceError",
    "Status",
    "StreamSource",
    "StreamSpec",
    "UnsupportedSourceError",
    "Verdict",
    "close_default_pool",
    "judge",
    "parse",
    "probe",
    "redact",
    "shown_url",
]

_LAZY = {
    "Baseline": "gapwatch.vision.baseline",
    "BaselineError": "gapwatch.vision.baseline",
    "judge": "gapwatch.vision.judge",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
