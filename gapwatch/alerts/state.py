"""What the alert engine keeps in memory about each unresolved alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gapwatch.alerts.grouping import OpenAlertFacts

__all__ = ["SYSTEM", "OpenAlertState", "OpenAlerts"]

Geometry = Any

SYSTEM = "system"
"""The actor named in audit lines for what the engine decides by itself."""


@dataclass
class OpenAlertState:
    """What the engine remembers about an unresolved alert."""

    id: str
    opened_at: dt.datetime
    cameras: list[str]
    down: set[str]
    silenced: bool
    blind: dict[str, Geometry] = field(default_factory=dict)
    lost_m2: dict[str, float] = field(default_factory=dict)
    task_ids: list[str] = field(default_factory=list)
    dirty: bool = False  # geometry changed; features and task payloads to redo

    @property
    def facts(self) -> OpenAlertFacts:
        """What grouping needs to know about this alert."""
        return OpenAlertFacts(
            self.id,
            self.opened_at,
            frozenset(self.cameras),
            not self.silenced,
            first=self.cameras[0] if self.cameras else None,
        )


NOT_CAMERA_KINDS: tuple[str, ...] = ("coverage_gap", "crowd")
"""Alert kinds the engine does not hold as camera alerts: standing gaps (kept by
`startup.standing_gaps`) and crowd alerts (kept by `CrowdAlerts`)."""


class OpenAlerts:
    """The unresolved alerts this engine holds, and which alert holds each camera: the one
    owner of both (no one else adds, forgets or re-maps them)."""

    def __init__(self) -> None:
        self._by_id: dict[str, OpenAlertState] = {}
        self._by_camera: dict[str, str] = {}

    def add(self, state: OpenAlertState) -> None:
        """Hold a new (or reloaded) alert and map each of its cameras to it."""
        self._by_id[state.id] = state
        for cam in state.cameras:
            self._by_camera[cam] = state.id

    def hold(self, camera: str, alert_id: str) -> None:
        """`camera` joined the alert `alert_id`."""
        self._by_camera[camera] = alert_id

    def forget(self, alert_id: str) -> OpenAlertState | None:
        """Drop a resolved alert, and its cameras' mapping to it; returns what was held."""
        state = self._by_id.pop(alert_id, None)
        for cam in state.cameras if state is not None else ():
            if self._by_camera.get(cam) == alert_id:
                del self._by_camera[cam]
        return state

    def replace(self, states: Iterable[OpenAlertState]) -> None:
        """Hold exactly `states` (a reload from the store)."""
        self._by_id.clear()
        self._by_camera.clear()
        for state in states:
            self.add(state)

    def holding(self, camera: str) -> str | None:
        """The id of the alert holding `camera`, if any."""
        return self._by_camera.get(camera)

    def get(self, alert_id: str) -> OpenAlertState | None:
        """The held alert `alert_id`, if any."""
        return self._by_id.get(alert_id)

    def values(self) -> list[OpenAlertState]:
        """Every held alert (a copy: callers may forget alerts while going through it)."""
        return list(self._by_id.values())

    def __getitem__(self, alert_id: str) -> OpenAlertState:
        return self._by_id[alert_id]

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._by_id

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._by_id))

    def __len__(self) -> int:
        return len(self._by_id)
