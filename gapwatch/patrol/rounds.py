"""Scheduled video-patrol rounds (视频巡查预案): per zone, the cameras to look through, and when.

Rounds fall on fixed local times so operators can plan around them: a zone's round is due
whenever the local time since midnight is a multiple of its interval. The interval follows the
zone's importance at that moment (from its schedule), and is halved again while a busy period
has raised the zone above its everyday importance, so night-market evenings and holidays get
looked at more often. The live crowd shortens it further for the next rounds (police effort
follows the crowd): each zone's interval is multiplied by its crowd factor
(`gapwatch.crowd.round_interval_factor`: 1 / (1 + min(3, people / 50)), halved in a surge), kept
a multiple of the 15-minute grid and never under 15 minutes. The crowd is what the cameras see
now, so it applies only to rounds before `crowd_until` (by default an hour from the start).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gapwatch.patrol.calendar import ImportanceCalendar
from gapwatch.patrol.tasks import ViewChoice

if TYPE_CHECKING:
    from gapwatch.coverage import CoverageModel

__all__ = [
    "CROWD_HORIZON",
    "ROUND_INTERVAL_MIN",
    "PatrolRound",
    "patrol_rounds",
    "round_interval",
    "zone_views",
]

ROUND_INTERVAL_MIN: Mapping[int, int] = {5: 30, 4: 60, 3: 120, 2: 240, 1: 480}
"""Minutes between rounds by zone importance, outside busy periods."""
_STEP = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class PatrolRound:
    """One round: at `at`, look through `cameras` (best view of the zone first)."""

    zone: str
    at: dt.datetime
    importance: int
    peak: bool
    cameras: tuple[ViewChoice, ...]
    crowd_factor: float = 1.0
    """What the live crowd multiplied the zone's interval by (1: no effect)."""


CROWD_HORIZON = dt.timedelta(hours=1)
"""How far ahead the crowd seen now shortens round intervals."""


def round_interval(importance: int, *, peak: bool, crowd_factor: float = 1.0) -> dt.timedelta:
    """Time between rounds for a zone of `importance`, halved in a busy period and multiplied
    by the crowd factor (≤ 1), on the 15-minute grid and never under 15 minutes."""
    minutes = ROUND_INTERVAL_MIN[min(5, max(1, importance))]
    if peak:
        minutes //= 2
    factor = min(1.0, max(0.0, crowd_factor))
    if factor < 1.0:
        minutes = int(minutes * factor) // 15 * 15
    return dt.timedelta(minutes=max(15, minutes))


def zone_views(
    model: CoverageModel, healthy: Collection[str] | None = None
) -> dict[str, list[ViewChoice]]:
    """For each zone, the working cameras and presets that see into it, most ground first."""
    out: dict[str, list[ViewChoice]] = {}
    for zone in model.zones:
        options = model.views_into(zone.polygon, healthy)
        out[zone.id] = [ViewChoice(o.camera_id, o.preset_id, o.seen_m2, o.share) for o in options]
    return out


def patrol_rounds(
    *,
    calendar: ImportanceCalendar,
    base_importance: Mapping[str, int],
    views: Mapping[str, Sequence[ViewChoice]],
    start: dt.datetime,
    end: dt.datetime,
    crowd_factor: Mapping[str, float] | None = None,
    crowd_until: dt.datetime | None = None,
) -> list[PatrolRound]:
    """The rounds due in [start, end), in time order; zones no camera sees are left out.

    `crowd_factor` (zone → factor ≤ 1 from the live crowd) shortens intervals of rounds before
    `crowd_until` (default: `CROWD_HORIZON` after `start`)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must carry a UTC offset")
    factors = crowd_factor or {}
    until = crowd_until or start + CROWD_HORIZON
    tz = calendar.timezone
    local = start.astimezone(tz)
    # First quarter-hour boundary at or after `start`, in site time.
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    steps = -(-(local - midnight) // _STEP)
    t = (midnight + steps * _STEP).astimezone(dt.UTC)
    rounds: list[PatrolRound] = []
    while t < end:
        here = t.astimezone(tz)
        minute_of_day = here.hour * 60 + here.minute
        for zone, cameras in views.items():
            if not cameras:
                continue
            importance = calendar.importance(zone, t)
            peak = importance > base_importance.get(zone, importance)
            factor = factors.get(zone, 1.0) if t < until else 1.0
            interval = round_interval(importance, peak=peak, crowd_factor=factor)
            if minute_of_day % int(interval.total_seconds() // 60) == 0:
                rounds.append(PatrolRound(zone, t, importance, peak, tuple(cameras), factor))
        t += _STEP
    return rounds
