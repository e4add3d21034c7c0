"""Alerts: coverage-aware alert decisions and their lifecycle (open alerts, grouping, severity,
silences, escalation, acknowledge and resolve), and `replay` of recorded probe results."""

from gapwatch.alerts.engine import AlertEngine, UnknownCameraProbe
from gapwatch.alerts.grouping import CameraFacts, OpenAlertFacts, choose_alert
from gapwatch.alerts.lifecycle import CamerasStillDown, EngineError
from gapwatch.alerts.replay import ReplayProblem, ReplayReport, parse_events, replay
from gapwatch.alerts.severity import SEVERITY_NAMES, Severity, assess, severity_name, severity_rank

__all__ = [
    "SEVERITY_NAMES",
    "AlertEngine",
    "CameraFacts",
    "CamerasStillDown",
    "EngineError",
    "OpenAlertFacts",
    "ReplayProblem",
    "ReplayReport",
    "Severity",
    "UnknownCameraProbe",
    "assess",
    "choose_alert",
    "parse_events",
    "replay",
    "severity_name",
    "severity_rank",
]
