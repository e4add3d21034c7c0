"""Camera health over time: probe results in, debounced state changes out (debounce, flap
damping, the down/up rule), and the per-probe rows that keep that state in the store."""

from gapwatch.health.camera_rows import camera_down_clause, insert_probes, save_counters
from gapwatch.health.tracker import (
    BAD_STATUSES,
    CameraHealth,
    FlapDetector,
    HealthChange,
    HealthTracker,
    Probe,
    Status,
    camera_is_down,
    flap_share,
)

__all__ = [
    "BAD_STATUSES",
    "CameraHealth",
    "FlapDetector",
    "HealthChange",
    "HealthTracker",
    "Probe",
    "Status",
    "camera_down_clause",
    "camera_is_down",
    "flap_share",
    "insert_probes",
    "save_counters",
]
