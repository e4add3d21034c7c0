"""What is normal for a zone at this hour of this weekday, and whether now is a surge or a lull.

Holidays, golden weeks and night markets fill a scenic area far beyond an ordinary evening:
police effort follows the crowd. Each zone keeps, per weekday and hour, an exponentially
weighted mean and variance of its people count; a count far above it is a surge, far below a
lull. Nothing is flagged until an hour slot has a few samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["CrowdNormals", "Slot", "Trend"]

Trend = Literal["surge", "lull", "normal", "unknown"]

_RATE = 0.1  # weight of a new sample: about the last ten weeks of the same hour
_SAMPLES = 4  # samples an hour slot needs before it can call a surge or a lull


@dataclass
class Slot:
    """Exponentially weighted mean and variance of one zone's count in one weekday-hour."""

    mean: float = 0.0
    var: float = 0.0
    samples: int = 0

    def add(self, value: float) -> None:
        if self.samples == 0:
            self.mean, self.var = value, 0.0
        else:
            rate = max(_RATE, 1.0 / (self.samples + 1))  # plain mean while young
            delta = value - self.mean
            self.mean += rate * delta
            self.var = (1 - rate) * (self.var + rate * delta * delta)
        self.samples += 1

    def trend(self, value: float) -> Trend:
        if self.samples < _SAMPLES:
            return "unknown"
        spread = max(math.sqrt(self.var), 1.0, 0.25 * self.mean)
        if value > self.mean + 3 * spread:
            return "surge"
        if value < self.mean - 3 * spread or (self.mean >= 4 and value < 0.25 * self.mean):
            return "lull"
        return "normal"


@dataclass
class CrowdNormals:
    """Per zone, weekday (0 = Monday) and hour: the usual people count."""

    slots: dict[tuple[str, int, int], Slot] = field(default_factory=dict)

    @staticmethod
    def key(zone: str, at: datetime) -> tuple[str, int, int]:
        return zone, at.weekday(), at.hour

    def learn(self, zone: str, at: datetime, people: float) -> None:
        """Fold one count (`at` in the site's local time) into the zone's normal."""
        self.slots.setdefault(self.key(zone, at), Slot()).add(people)

    def normal(self, zone: str, at: datetime) -> float | None:
        """The usual count for the zone at that weekday and hour, if any has been seen."""
        slot = self.slots.get(self.key(zone, at))
        return slot.mean if slot and slot.samples else None

    def trend(self, zone: str, at: datetime, people: float) -> Trend:
        """Now against normal: surge, lull, normal, or unknown while the slot is young."""
        slot = self.slots.get(self.key(zone, at))
        return slot.trend(people) if slot else "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "slots": [
                [z, d, h, s.mean, s.var, s.samples] for (z, d, h), s in sorted(self.slots.items())
            ]
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrowdNormals:
        out = cls()
        for z, d, h, mean, var, samples in data.get("slots", []):
            out.slots[(str(z), int(d), int(h))] = Slot(float(mean), float(var), int(samples))
        return out
