"""Scheduled video-patrol rounds: set local times, more often in busy periods."""

from __future__ import annotations

import datetime as dt

from gapwatch.coverage import CoverageModel
from gapwatch.patrol import ImportanceCalendar, patrol_rounds, round_interval, zone_views
from tests.alerts import scenario as sc


def test_rounds_follow_importance_and_busy_periods() -> None:
    site = sc.site()
    model = CoverageModel.from_site(site)
    views = zone_views(model)
    base = {z.id: z.importance for z in site.spec.zones}
    day = "2026-07-29"
    rounds = patrol_rounds(
        calendar=ImportanceCalendar.from_spec(site.spec),
        base_importance=base,
        views=views,
        start=sc.local(day, "00:00"),
        end=sc.local(day, "23:59"),
    )
    square = [r for r in rounds if r.zone == "square"]
    car_park = [r for r in rounds if r.zone == "car-park"]
    hours = lambda rs, a, b: [r for r in rs if a <= r.at.astimezone(sc.TZ).hour < b]  # noqa: E731
    # Square: importance 3 by day (every 2 h), 5 during the 18:00-01:00 market, halved: 15 min.
    assert len(hours(square, 8, 16)) == 4
    assert len(hours(square, 19, 20)) == 4
    assert all(r.peak for r in hours(square, 18, 24)) and not any(
        r.peak for r in hours(square, 8, 16)
    )
    # Car park: importance 4 all day, hourly.
    assert len(car_park) == 24
    assert all(r.at.astimezone(sc.TZ).minute == 0 for r in car_park)
    # Each round lists cameras that see into the zone, most ground first.
    first = square[0].cameras
    assert [c.seen_m2 for c in first] == sorted((c.seen_m2 for c in first), reverse=True)
    assert {"cam-sw", "cam-ne", "cam-wide"} <= {c.camera for c in first}
    fixed = {c.camera for c in car_park[0].cameras if c.preset is None}
    assert fixed <= set(sc.POLE)
    assert ("cam-ne", "south") in {(c.camera, c.preset) for c in car_park[0].cameras}


def test_interval_table() -> None:
    assert round_interval(5, peak=False) == dt.timedelta(minutes=30)
    assert round_interval(5, peak=True) == dt.timedelta(minutes=15)
    assert round_interval(1, peak=False) == dt.timedelta(hours=8)
