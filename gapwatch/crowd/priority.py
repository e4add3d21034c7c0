"""How the crowd weighs on priorities: severity of a blind spot, patrol order, round frequency.

The formulas, in words an operator can check (the same text is in the README):

- **People left unwatched.** A blind spot in a zone is expected to hold the zone's live density
  (people per m² of its watched ground, from the latest healthy counts) times the blind area:
  `expected = density × blind_m2`, summed over the zones it touches. Without a live count the
  zone has no density and the crowd changes nothing.
- **Severity.** On top of the importance-and-area rule, a blind spot expected to hold at least
  `BUSY_PEOPLE` (20) people, or lying in a zone whose count is a surge against its normal for
  that weekday and hour, is one step more severe; at least `PACKED_PEOPLE` (200) people, two
  steps. Ranks stay within 1..5.
- **Road-patrol order.** Open blind spots are served by severity rank, then by expected people,
  then by importance-weighted blind area.
- **Video-patrol rounds.** A zone's round interval is divided by `1 + min(3, people / 50)` for
  the people its cameras see now, and by a further 2 during a surge: a zone with 150 visitors
  is looked through four times as often as an empty one, never more often than that times two.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gapwatch.crowd.normal import Trend

__all__ = [
    "BUSY_PEOPLE",
    "PACKED_PEOPLE",
    "CrowdPriority",
    "expected_people",
    "patrol_order_key",
    "round_interval_factor",
    "severity_step",
]

BUSY_PEOPLE = 20.0
PACKED_PEOPLE = 200.0


@dataclass(frozen=True)
class CrowdPriority:
    """The crowd facts behind a blind spot's priority."""

    expected_people: float | None
    surge: bool
    step: int


def expected_people(
    blind_by_zone: Mapping[str, float], density_by_zone: Mapping[str, float]
) -> float | None:
    """People expected on blind ground: each zone's live density × its blind m² (None: no count)."""
    known = [z for z in blind_by_zone if z in density_by_zone]
    if not known:
        return None
    return sum(max(0.0, density_by_zone[z]) * max(0.0, blind_by_zone[z]) for z in known)


def severity_step(
    blind_by_zone: Mapping[str, float],
    density_by_zone: Mapping[str, float],
    trend_by_zone: Mapping[str, Trend],
) -> CrowdPriority:
    """How many steps the crowd adds to a blind spot's severity rank (0, 1 or 2)."""
    people = expected_people(blind_by_zone, density_by_zone)
    surge = any(trend_by_zone.get(z) == "surge" for z, a in blind_by_zone.items() if a > 0)
    step = 0
    if people is not None and people >= PACKED_PEOPLE:
        step = 2
    elif surge or (people is not None and people >= BUSY_PEOPLE):
        step = 1
    return CrowdPriority(people, surge, step)


def patrol_order_key(
    rank: int, people: float | None, weighted_m2: float
) -> tuple[int, float, float]:
    """Sort key, smallest first, for serving open blind spots with road patrols."""
    return (-rank, -(people or 0.0), -weighted_m2)


def round_interval_factor(people: float | None, trend: Trend) -> float:
    """What a zone's video-patrol round interval is multiplied by (≤ 1) for its crowd now."""
    factor = 1.0 / (1.0 + min(3.0, max(0.0, people or 0.0) / 50.0))
    return factor / 2.0 if trend == "surge" else factor
