"""Patrol planning: road-patrol routing and units, the paired task payloads and their status
rules, video-patrol rounds, and the zone-importance calendar (crowd priorities)."""

from gapwatch.patrol.calendar import ImportanceCalendar, PeriodRule, period_applies
from gapwatch.patrol.rounds import (
    CROWD_HORIZON,
    PatrolRound,
    patrol_rounds,
    round_interval,
    zone_views,
)
from gapwatch.patrol.routing import RoadLine, RoadNetwork, RoutePlan, UnitPosition, rank_units
from gapwatch.patrol.tasks import (
    ACTIVE_STATUSES,
    ARRIVED_STATUSES,
    MIN_VIEW_M2,
    NO_VIDEO_VIEW_NOTE,
    TERMINAL_STATUSES,
    TaskError,
    TaskKind,
    ViewChoice,
    check_transition,
    current_road_patrol,
    road_patrol_payload,
    useful_views,
    video_patrol_payload,
)
from gapwatch.patrol.units import Units

__all__ = [
    "ACTIVE_STATUSES",
    "ARRIVED_STATUSES",
    "CROWD_HORIZON",
    "MIN_VIEW_M2",
    "NO_VIDEO_VIEW_NOTE",
    "TERMINAL_STATUSES",
    "ImportanceCalendar",
    "PatrolRound",
    "PeriodRule",
    "RoadLine",
    "RoadNetwork",
    "RoutePlan",
    "TaskError",
    "TaskKind",
    "UnitPosition",
    "Units",
    "ViewChoice",
    "check_transition",
    "current_road_patrol",
    "patrol_rounds",
    "period_applies",
    "rank_units",
    "road_patrol_payload",
    "round_interval",
    "useful_views",
    "video_patrol_payload",
    "zone_views",
]
