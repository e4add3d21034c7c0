"""Severity with the crowd: a crowd only ever raises a blind spot's rank, within 2..5."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gapwatch.alerts import assess
from gapwatch.crowd import severity_step

zones = st.sampled_from(["gate", "trail", "square"])
lost = st.dictionaries(zones, st.floats(0.0, 10_000.0), max_size=3)
importance = st.fixed_dictionaries({z: st.integers(1, 5) for z in ("gate", "trail", "square")})
density = st.dictionaries(zones, st.floats(0.0, 5.0), max_size=3)
trend = st.dictionaries(zones, st.sampled_from(["surge", "lull", "normal", "unknown"]), max_size=3)


@given(lost, importance, density, trend)
def test_the_crowd_never_lowers_severity_and_ranks_stay_in_bounds(
    lost_by_zone: dict[str, float],
    importance_by_zone: dict[str, int],
    density_by_zone: dict[str, float],
    trend_by_zone: dict[str, str],
) -> None:
    plain = assess(lost_by_zone, importance_by_zone)
    crowd = severity_step(lost_by_zone, density_by_zone, trend_by_zone)  # type: ignore[arg-type]
    judged = assess(
        lost_by_zone,
        importance_by_zone,
        crowd_step=crowd.step,
        expected_people=crowd.expected_people,
    )
    assert 2 <= judged.rank <= 5
    assert judged.rank >= plain.rank
    assert judged.rank <= plain.rank + 2
    if plain.top_zone is None:  # nothing blind worth counting: the crowd changes nothing
        assert judged.rank == plain.rank


def test_twenty_people_on_blind_ground_is_one_step_two_hundred_two() -> None:
    lost_by_zone, importance_by_zone = {"square": 100.0}, {"square": 3}
    base = assess(lost_by_zone, importance_by_zone).rank
    for density, steps in ((0.1, 0), (0.2, 1), (1.9, 1), (2.0, 2)):
        crowd = severity_step(lost_by_zone, {"square": density}, {})
        judged = assess(lost_by_zone, importance_by_zone, crowd_step=crowd.step)
        assert judged.rank == base + steps, density
