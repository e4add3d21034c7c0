"""Alert severity from what went unwatched: zone importance at that moment × blind area.

The rule, in words an operator can check:
1. No blind ground (other cameras still see everything the failed ones saw): `low`, a
   maintenance matter.
2. Otherwise start from the highest importance (1..5, from the zone's schedule at that time) among
   the zones that lost at least `min_area_m2` of ground.
3. A small loss (under `SMALL_M2` in total) lowers that by one step, a large one (at least
   `LARGE_M2`) raises it by one step; the result stays within 1..5, and never drops below 2 when
   some ground is blind.
4. The crowd (`gapwatch.crowd.priority.severity_step`): a blind spot expected to hold at least 20
   people (the zone's live density × its blind m²), or in a zone whose count is a surge against
   its normal, is one step more severe; at least 200 people, two steps; still within 2..5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "LARGE_M2",
    "SEVERITY_NAMES",
    "SMALL_M2",
    "Severity",
    "SeverityName",
    "assess",
    "severity_name",
    "severity_rank",
]

SeverityName = Literal["info", "low", "medium", "high", "critical"]
SEVERITY_NAMES: tuple[SeverityName, ...] = ("info", "low", "medium", "high", "critical")
"""Severity names by rank 1..5."""

SMALL_M2 = 25.0
LARGE_M2 = 2500.0


def severity_name(rank: int) -> SeverityName:
    """The name of severity rank 1..5."""
    return SEVERITY_NAMES[min(5, max(1, rank)) - 1]


def severity_rank(name: str) -> int:
    """The rank 1..5 of a severity name."""
    try:
        return SEVERITY_NAMES.index(name) + 1
    except ValueError:
        raise ValueError(f"unknown severity {name!r}; expected one of {SEVERITY_NAMES}") from None


@dataclass(frozen=True)
class Severity:
    """A judged severity with the facts behind it."""

    rank: int
    name: SeverityName
    blind_m2: float
    weighted_m2: float
    top_zone: str | None
    top_importance: int
    crowd_step: int = 0
    """Steps the crowd added (0 without a live count)."""
    expected_people: float | None = None
    """People expected on the blind ground from the live density; None without a count."""


def assess(
    lost_by_zone: Mapping[str, float],
    importance: Mapping[str, int],
    *,
    min_area_m2: float = 2.0,
    crowd_step: int = 0,
    expected_people: float | None = None,
) -> Severity:
    """Judge the severity of losing `lost_by_zone` (m² per zone) given importances at the time;
    `crowd_step` (0..2) is what the live crowd adds when some ground is blind."""
    blind = sum(a for a in lost_by_zone.values() if a > 0.0)
    weighted = sum(a * importance.get(z, 1) for z, a in lost_by_zone.items() if a > 0.0)
    counted = {z: a for z, a in lost_by_zone.items() if a >= max(min_area_m2, 1e-9)}
    if not counted:
        return Severity(2, "low", blind, weighted, None, 0, 0, expected_people)
    top_zone = max(counted, key=lambda z: (importance.get(z, 1), counted[z]))
    top = importance.get(top_zone, 1)
    rank = top
    if blind < SMALL_M2:
        rank -= 1
    elif blind >= LARGE_M2:
        rank += 1
    rank = min(5, max(2, rank + max(0, crowd_step)))
    return Severity(
        rank, severity_name(rank), blind, weighted, top_zone, top, crowd_step, expected_people
    )
