"""Camera health tracking: probe results in, debounced state changes out.

- Debounce: `open_after` bad probes in a row take a camera from ok to degraded/offline;
  `close_after` good probes in a row bring it back. While down, a switch between degraded and
  offline also needs `open_after` probes in a row.
- Flap damping (as Nagios does it): over the last 21 raw results, each change of status between
  neighbours is weighted from 0.8 (oldest) to 1.2 (newest); the weighted share of changes above
  20 % marks the camera flapping, below 5 % calm again. While flapping, state changes are held
  back, so a flapping camera produces one change (flapping on) and one when it calms down.

The clock is the probe's own time: nothing here reads the wall clock.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "BAD_STATUSES",
    "CameraHealth",
    "FlapDetector",
    "HealthChange",
    "HealthTracker",
    "Probe",
    "Status",
    "camera_is_down",
    "flap_share",
]

Status = Literal["ok", "degraded", "offline"]
BAD_STATUSES: frozenset[str] = frozenset({"degraded", "offline"})
_STATUSES: frozenset[str] = frozenset({"ok", *BAD_STATUSES})

FLAP_WINDOW = 21
FLAP_HIGH = 0.20
FLAP_LOW = 0.05


@dataclass(frozen=True)
class Probe:
    """One probe result as the alert engine sees it: which camera, when, what it found."""

    at: dt.datetime
    camera: str
    status: Status | Literal["unknown"]  # unknown: the probe could not judge the picture
    faults: tuple[str, ...] = ()


def camera_is_down(status: str, flapping: bool) -> bool:
    """The down rule: not ok, or flapping (an unreliable picture is not a watched one)."""
    return status != "ok" or flapping


@dataclass(frozen=True)
class HealthChange:
    """A camera's debounced state or flapping flag changed at `at`."""

    camera: str
    at: dt.datetime
    previous: Status
    state: Status
    was_flapping: bool
    flapping: bool
    faults: tuple[str, ...]
    # The worst raw status in the flap window: what a flapping camera keeps falling into. The
    # window is stored, so a restart gives the same answer (`faults` belong to `state` only).
    worst: Status = "ok"

    @property
    def was_down(self) -> bool:
        """Down before (see `camera_is_down`)."""
        return camera_is_down(self.previous, self.was_flapping)

    @property
    def down(self) -> bool:
        """Down now, in the same sense."""
        return camera_is_down(self.state, self.flapping)


_SEVERITY_OF_STATUS = {"ok": 0, "degraded": 1, "offline": 2}


def _worst(history: Iterable[str]) -> Status:
    worst: Status = "ok"
    for status in history:
        if _SEVERITY_OF_STATUS.get(status, 0) > _SEVERITY_OF_STATUS[worst]:
            worst = status  # type: ignore[assignment]
    return worst


def flap_share(history: list[str] | tuple[str, ...]) -> float:
    """Weighted share of status changes between neighbours in `history` (oldest first)."""
    changes = len(history) - 1
    if changes <= 0:
        return 0.0
    total = 0.0
    changed = 0.0
    for i in range(changes):
        # Weights run linearly from 0.8 for the oldest change to 1.2 for the newest.
        weight = 0.8 + 0.4 * (i / (changes - 1)) if changes > 1 else 1.0
        total += weight
        if history[i] != history[i + 1]:
            changed += weight
    return changed / total


@dataclass
class FlapDetector:
    """Keeps the last `window` raw statuses and the flapping flag with hysteresis."""

    window: int = FLAP_WINDOW
    high: float = FLAP_HIGH
    low: float = FLAP_LOW
    history: deque[str] = field(default_factory=deque)
    flapping: bool = False

    def add(self, status: str) -> bool:
        """Record a raw status; return the flapping flag afterwards."""
        if not self.history:
            # Start from a steady window so the first few results do not look like flapping.
            self.history.extend([status] * (self.window - 1))
        self.history.append(status)
        while len(self.history) > self.window:
            self.history.popleft()
        share = flap_share(tuple(self.history))
        if not self.flapping and share > self.high:
            self.flapping = True
        elif self.flapping and share < self.low:
            self.flapping = False
        return self.flapping


@dataclass
class CameraHealth:
    """What the tracker knows about one camera."""

    camera: str
    state: Status = "ok"
    faults: tuple[str, ...] = ()
    streak_status: Status = "ok"
    streak: int = 0
    last_at: dt.datetime | None = None
    flap: FlapDetector = field(default_factory=FlapDetector)
    reported_state: Status = "ok"
    reported_flapping: bool = False

    @property
    def flapping(self) -> bool:
        """Whether the camera is flapping now."""
        return self.flap.flapping


class HealthTracker:
    """Debounces probe results per camera and damps flapping."""

    def __init__(
        self,
        *,
        open_after: int = 2,
        close_after: int = 2,
        flap_window: int = FLAP_WINDOW,
        flap_high: float = FLAP_HIGH,
        flap_low: float = FLAP_LOW,
    ) -> None:
        if open_after < 1 or close_after < 1:
            raise ValueError("open_after and close_after must be at least 1")
        self.open_after = open_after
        self.close_after = close_after
        self._flap = (flap_window, flap_high, flap_low)
        self._cameras: dict[str, CameraHealth] = {}

    def camera(self, camera: str) -> CameraHealth:
        """The tracked health of `camera` (created as ok on first sight)."""
        health = self._cameras.get(camera)
        if health is None:
            window, high, low = self._flap
            health = CameraHealth(camera=camera, flap=FlapDetector(window, high, low))
            self._cameras[camera] = health
        return health

    def cameras(self) -> list[CameraHealth]:
        """Every camera seen so far."""
        return list(self._cameras.values())

    def restore(
        self,
        camera: str,
        state: Status,
        *,
        flapping: bool = False,
        history: Sequence[str] = (),
        streak: int | None = None,
        faults: Sequence[str] = (),
        last_at: dt.datetime | None = None,
    ) -> None:
        """Start a camera from its stored state (after a restart or a resync), without emitting
        a change.

        `streak` is the stored run of the latest raw status (the last entry of `history`), so
        a camera one bad probe into its debounce is still one bad probe in afterwards; without
        it the camera counts as settled in `state`.
        """
        health = self.camera(camera)
        health.state = health.reported_state = state
        health.faults = tuple(faults)
        health.last_at = last_at
        window = list(history)[-health.flap.window :]
        if streak is None or not window:
            health.streak_status, health.streak = state, max(self.open_after, self.close_after)
        else:
            latest = window[-1]
            health.streak_status = latest if latest in _STATUSES else state  # type: ignore[assignment]
            health.streak = max(0, streak)
        health.flap.flapping = health.reported_flapping = flapping
        # The recent raw results, so a flapping camera does not look calm after a restart.
        health.flap.history.clear()
        health.flap.history.extend(window)

    def observe(self, probe: Probe) -> HealthChange | None:
        """Feed one probe result; return the change it caused, if any."""
        health = self.camera(probe.camera)
        if health.last_at is not None and probe.at < health.last_at:
            raise ValueError(
                f"probe for {probe.camera} at {probe.at.isoformat()} is older than the last one "
                f"({health.last_at.isoformat()})"
            )
        health.last_at = probe.at
        if probe.status == "unknown":
            # The judge could not tell (or was not sure): no evidence either way, so it neither
            # opens nor closes anything, breaks no streak and counts for no flapping.
            return None
        status: Status = probe.status
        health.flap.add(status)

        if status == health.streak_status:
            health.streak += 1
        else:
            health.streak_status, health.streak = status, 1
        needed = self.close_after if status == "ok" else self.open_after
        if status != health.state and health.streak >= needed:
            health.state = status
        if status == health.state:
            # The faults of the debounced state; a single bad probe of an ok camera leaves
            # none behind (they would not survive a restart, and would change decisions).
            health.faults = probe.faults if status != "ok" else ()

        if health.flapping and health.reported_flapping:
            return None  # held back until the camera calms down
        if health.state == health.reported_state and health.flapping == health.reported_flapping:
            return None
        change = HealthChange(
            camera=probe.camera,
            at=probe.at,
            previous=health.reported_state,
            state=health.state,
            was_flapping=health.reported_flapping,
            flapping=health.flapping,
            faults=health.faults,
            worst=_worst(health.flap.history),
        )
        health.reported_state = health.state
        health.reported_flapping = health.flapping
        return change
