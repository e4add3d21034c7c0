"""Now against normal: a holiday crowd is a surge, an emptied square a lull."""

from __future__ import annotations

from datetime import datetime, timedelta

from gapwatch.crowd import CrowdNormals

SAT_8PM = datetime(2026, 7, 4, 20, 15)


def _weeks(normals: CrowdNormals, counts: list[float]) -> None:
    for k, c in enumerate(counts):
        normals.learn("square", SAT_8PM - timedelta(weeks=len(counts) - k), c)


def test_young_slots_call_nothing() -> None:
    n = CrowdNormals()
    _weeks(n, [100, 110])
    assert n.trend("square", SAT_8PM, 900) == "unknown"


def test_a_holiday_crowd_is_a_surge_and_an_empty_evening_a_lull() -> None:
    n = CrowdNormals()
    _weeks(n, [100, 95, 110, 104, 98, 102, 107, 99])
    assert n.normal("square", SAT_8PM) is not None
    assert 95 <= (n.normal("square", SAT_8PM) or 0) <= 110
    assert n.trend("square", SAT_8PM, 105) == "normal"
    assert n.trend("square", SAT_8PM, 400) == "surge"
    assert n.trend("square", SAT_8PM, 10) == "lull"
    # another hour of the same day knows nothing yet
    assert n.trend("square", SAT_8PM.replace(hour=3), 400) == "unknown"


def test_a_few_people_more_on_an_empty_trail_is_no_surge() -> None:
    n = CrowdNormals()
    _weeks(n, [0, 1, 0, 0, 1, 0])
    assert n.trend("square", SAT_8PM, 3) == "normal"


def test_normals_survive_a_round_trip() -> None:
    n = CrowdNormals()
    _weeks(n, [10, 12, 11, 9, 10])
    back = CrowdNormals.from_dict(n.to_dict())
    assert back.to_dict() == n.to_dict()
    assert back.trend("square", SAT_8PM, 60) == n.trend("square", SAT_8PM, 60)
