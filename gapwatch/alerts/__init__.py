"""Alerts: camera health tracking, coverage-aware alerts, paired patrol tasks, dispatch delivery."""

from gapwatch.alerts.calendar import ImportanceCalendar
from gapwatch.alerts.engine import AlertEngine, UnknownCameraProbe
from gapwatch.alerts.grouping import CameraFacts, OpenAlertFacts, choose_alert
from gapwatch.alerts.health import CameraHealth, HealthChange, HealthTracker, Probe, flap_share
from gapwatch.alerts.lifecycle import EngineError
from gapwatch.alerts.replay import ReplayProblem, ReplayReport, parse_events, replay
from gapwatch.alerts.rounds import PatrolRound, patrol_rounds, round_interval, zone_views
from gapwatch.alerts.routing import RoadLine, RoadNetwork, RoutePlan, UnitPosition, rank_units
from gapwatch.alerts.severity import SEVERITY_NAMES, Severity, assess, severity_name, severity_rank
from gapwatch.alerts.tasks import TaskError, ViewChoice, check_transition

__all__ = [
    "SEVERITY_NAMES",
    "AlertEngine",
    "CameraFacts",
    "CameraHealth",
    "EngineError",
    "HealthChange",
    "HealthTracker",
    "ImportanceCalendar",
    "OpenAlertFacts",
    "PatrolRound",
    "Probe",
    "ReplayProblem",
    "ReplayReport",
    "RoadLine",
    "RoadNetwork",
    "RoutePlan",
    "Severity",
    "TaskError",
    "UnitPosition",
    "UnknownCameraProbe",
    "ViewChoice",
    "assess",
    "check_transition",
    "choose_alert",
    "flap_share",
    "parse_events",
    "patrol_rounds",
    "rank_units",
    "replay",
    "round_interval",
    "severity_name",
    "severity_rank",
    "zone_views",
]
