"""Crowd priorities: a crowded blind spot is more severe, served first and looked at more often."""

from __future__ import annotations

import pytest

from gapwatch.crowd.normal import Trend
from gapwatch.crowd.priority import (
    expected_people,
    patrol_order_key,
    round_interval_factor,
    severity_step,
)


def test_expected_people_is_density_times_blind_area_over_counted_zones() -> None:
    assert expected_people({"a": 100.0, "b": 50.0}, {"a": 0.2}) == pytest.approx(20.0)
    assert expected_people({"a": 100.0}, {}) is None


@pytest.mark.parametrize(
    ("density", "trend", "step"),
    [
        (None, "unknown", 0),  # no live count: the crowd changes nothing
        (0.0, "normal", 0),  # an empty trail at 3 a.m.
        (0.1, "normal", 0),  # 10 people expected
        (0.25, "normal", 1),  # 25 people
        (0.05, "surge", 1),  # few people, but far more than usual for the hour
        (2.5, "normal", 2),  # 250 people
    ],
)
def test_the_crowd_adds_steps_of_severity(density: float | None, trend: Trend, step: int) -> None:
    densities = {} if density is None else {"square": density}
    got = severity_step({"square": 100.0}, densities, {"square": trend})
    assert got.step == step


def test_a_surge_elsewhere_does_not_raise_this_blind_spot() -> None:
    got = severity_step({"trail": 80.0}, {"trail": 0.0}, {"square": "surge", "trail": "normal"})
    assert got.step == 0


def test_patrols_serve_rank_then_people_then_area() -> None:
    spots = {
        "quiet critical": patrol_order_key(5, 0.0, 900.0),
        "busy high": patrol_order_key(4, 300.0, 100.0),
        "quiet high": patrol_order_key(4, 2.0, 5000.0),
        "uncounted high": patrol_order_key(4, None, 6000.0),
    }
    order = sorted(spots, key=spots.__getitem__)
    assert order == ["quiet critical", "busy high", "quiet high", "uncounted high"]


def test_crowded_zones_are_looked_at_more_often_within_bounds() -> None:
    assert round_interval_factor(None, "unknown") == 1.0
    assert round_interval_factor(0.0, "normal") == 1.0
    assert round_interval_factor(50.0, "normal") == pytest.approx(0.5)
    assert round_interval_factor(10_000.0, "normal") == pytest.approx(0.25)
    assert round_interval_factor(10_000.0, "surge") == pytest.approx(0.125)
