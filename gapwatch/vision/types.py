"""Types the vision part hands to the rest of gapwatch: frames in, probe results out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from gapwatch.crowd import CrowdCount

__all__ = [
    "CONFIDENT",
    "FAULT_CODES",
    "OFFLINE_FAULTS",
    "Frame",
    "ProbeResult",
    "Status",
    "Verdict",
]

Status = Literal["ok", "degraded", "offline", "unknown"]
"""`unknown`: the probe could not judge the picture; it is no evidence either way."""

CONFIDENT = 0.65
"""A fault scored at least this much makes a confident verdict; between 0.5 and this the verdict
is `unknown` (the fault is listed with its score, but no alert may open on it)."""

FAULT_CODES: tuple[str, ...] = (
    "no_signal",
    "frozen",
    "black",
    "overexposed",
    "blur",
    "occluded",
    "shifted",
    "color_cast",
    "noise",
)
"""Every fault a probe can report (CONTRACTS.md)."""

OFFLINE_FAULTS: frozenset[str] = frozenset({"no_signal"})
"""Faults that mean no usable picture at all; the rest degrade the picture."""


@dataclass(frozen=True)
class Frame:
    """One decoded picture and when it was taken, in seconds since the probe started."""

    at: float
    image: npt.NDArray[np.uint8]  # BGR, H×W×3
    pts: float | None = None
    """The picture's presentation timestamp in the stream (s), when the source has one."""


@dataclass(frozen=True)
class ProbeResult:
    """The verdict on one camera at one moment, with the metrics behind it."""

    status: Status
    faults: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    reason: str | None = None
    frames: int = 0
    scores: dict[str, float] = field(default_factory=dict)
    """How sure the judge is of each fault it weighed, 0..1 (listed faults score 0.5 or more)."""
    crowd: CrowdCount | None = None
    """People seen in the picture (healthy verdicts of a camera with a pose only; else None)."""


@dataclass(frozen=True)
class Verdict:
    """What the judge concluded from a handful of frames, and the metrics it looked at."""

    status: Status
    faults: list[str]
    metrics: dict[str, float] = field(default_factory=dict)
    reason: str | None = None
    scores: dict[str, float] = field(default_factory=dict)
    """How sure the judge is of each fault it weighed, 0..1 (listed faults score 0.5 or more)."""
