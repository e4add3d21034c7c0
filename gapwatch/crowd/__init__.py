"""gapwatch.crowd: people counted in the pictures the probes already decode, per camera and zone.

Police effort follows the crowd (警力跟着人流走): a blind spot where two thousand visitors stand
weighs more than one on an empty trail at 3 a.m. This part counts people in healthy pictures
against each camera's empty-scene background, puts them on the ground, sums them per zone
without counting overlapping views twice, and keeps what is normal per zone, weekday and hour.
"""

from gapwatch.crowd.counting import CountSettings, CrowdCount, PersonBlob, count_people
from gapwatch.crowd.live import CrowdFacts, HourRecord, LiveCrowd, ZoneNow
from gapwatch.crowd.normal import CrowdNormals, Slot, Trend
from gapwatch.crowd.pose import PERSON_HEIGHT_M, CameraPose
from gapwatch.crowd.priority import (
    BUSY_PEOPLE,
    PACKED_PEOPLE,
    CrowdPriority,
    expected_people,
    patrol_order_key,
    round_interval_factor,
    severity_step,
)
from gapwatch.crowd.zones import CameraCrowd, CrowdMap, ZoneCrowd, camera_crowd, zone_crowds

__all__ = [
    "BUSY_PEOPLE",
    "PACKED_PEOPLE",
    "PERSON_HEIGHT_M",
    "CameraCrowd",
    "CameraPose",
    "CountSettings",
    "CrowdCount",
    "CrowdFacts",
    "CrowdMap",
    "CrowdNormals",
    "CrowdPriority",
    "HourRecord",
    "LiveCrowd",
    "PersonBlob",
    "Slot",
    "Trend",
    "ZoneCrowd",
    "ZoneNow",
    "camera_crowd",
    "count_people",
    "expected_people",
    "patrol_order_key",
    "round_interval_factor",
    "severity_step",
    "zone_crowds",
]
