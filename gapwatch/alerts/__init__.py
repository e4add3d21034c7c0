"""Alerts: camera health tracking, coverage-aware alerts, paired patrol tasks, dispatch delivery."""

from gapwatch.alerts.calendar import ImportanceCalendar
from gapwatch.alerts.cap import CapAlert, alert_to_cap
from gapwatch.alerts.delivery import DeliveryReport, DeliveryWorker, RetryPolicy, deliver_due
from gapwatch.alerts.engine import AlertEngine, UnknownCameraProbe
from gapwatch.alerts.grouping import CameraFacts, OpenAlertFacts, choose_alert
from gapwatch.alerts.health import CameraHealth, HealthChange, HealthTracker, Probe, flap_share
from gapwatch.alerts.lifecycle import EngineError
from gapwatch.alerts.outbox import (
    EndpointSpec,
    configured_endpoints,
    enqueue,
    enqueue_all,
    reenable_endpoint,
    secret_lookup,
    sync_endpoints,
)
from gapwatch.alerts.replay import ReplayProblem, ReplayReport, parse_events, replay
from gapwatch.alerts.rounds import PatrolRound, patrol_rounds, round_interval, zone_views
from gapwatch.alerts.routing import RoadLine, RoadNetwork, RoutePlan, UnitPosition, rank_units
from gapwatch.alerts.severity import SEVERITY_NAMES, Severity, assess, severity_name, severity_rank
from gapwatch.alerts.tasks import TaskError, ViewChoice, check_transition
from gapwatch.alerts.webhooks import WebhookVerificationError, sign, verify

__all__ = [
    "SEVERITY_NAMES",
    "AlertEngine",
    "CameraFacts",
    "CameraHealth",
    "CapAlert",
    "DeliveryReport",
    "DeliveryWorker",
    "EndpointSpec",
    "EngineError",
    "HealthChange",
    "HealthTracker",
    "ImportanceCalendar",
    "OpenAlertFacts",
    "PatrolRound",
    "Probe",
    "ReplayProblem",
    "ReplayReport",
    "RetryPolicy",
    "RoadLine",
    "RoadNetwork",
    "RoutePlan",
    "Severity",
    "TaskError",
    "UnitPosition",
    "UnknownCameraProbe",
    "ViewChoice",
    "WebhookVerificationError",
    "alert_to_cap",
    "assess",
    "check_transition",
    "choose_alert",
    "configured_endpoints",
    "deliver_due",
    "enqueue",
    "enqueue_all",
    "flap_share",
    "parse_events",
    "patrol_rounds",
    "rank_units",
    "reenable_endpoint",
    "replay",
    "round_interval",
    "secret_lookup",
    "severity_name",
    "severity_rank",
    "sign",
    "sync_endpoints",
    "verify",
    "zone_views",
]
