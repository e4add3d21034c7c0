"""What the alert engine keeps in memory about each unresolved alert."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gapwatch.alerts.grouping import OpenAlertFacts

__all__ = ["SYSTEM", "OpenAlertState"]

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
        return OpenAlertFacts(self.id, self.opened_at, frozenset(self.cameras), not self.silenced)
