"""Video-patrol rounds visit crowded zones more often, for the next hour only."""

from __future__ import annotations

import datetime as dt

from gapwatch.coverage import CoverageModel
from gapwatch.crowd import round_interval_factor
from gapwatch.patrol import ImportanceCalendar, patrol_rounds, round_interval, zone_views
from tests.alerts import scenario as sc


def test_a_crowd_shortens_the_interval_on_the_quarter_hour_grid() -> None:
    empty = round_interval_factor(0.0, "normal")
    busy = round_interval_factor(150.0, "normal")  # 1 / (1 + 3): four times as often
    surge = round_interval_factor(150.0, "surge")
    assert (empty, busy, surge) == (1.0, 0.25, 0.125)
    assert round_interval(4, peak=False, crowd_factor=empty) == dt.timedelta(minutes=60)
    assert round_interval(4, peak=False, crowd_factor=busy) == dt.timedelta(minutes=15)
    assert round_interval(3, peak=False, crowd_factor=0.5) == dt.timedelta(minutes=60)
    # Never more often than every 15 minutes, and a factor above 1 never lengthens it.
    assert round_interval(5, peak=True, crowd_factor=surge) == dt.timedelta(minutes=15)
    assert round_interval(3, peak=False, crowd_factor=7.0) == dt.timedelta(minutes=120)


def test_the_crowd_seen_now_counts_for_the_next_hour_only() -> None:
    site = sc.site()
    views = zone_views(CoverageModel.from_site(site))
    base = {z.id: z.importance for z in site.spec.zones}
    start = sc.local("2026-07-29", "08:00")
    common = {
        "calendar": ImportanceCalendar.from_spec(site.spec),
        "base_importance": base,
        "views": views,
        "start": start,
        "end": start + dt.timedelta(hours=4),
    }
    quiet = [r for r in patrol_rounds(**common) if r.zone == "square"]  # type: ignore[arg-type]
    crowded = [
        r
        for r in patrol_rounds(**common, crowd_factor={"square": 0.25})  # type: ignore[arg-type]
        if r.zone == "square"
    ]
    first_hour = [r for r in crowded if r.at < start + dt.timedelta(hours=1)]
    later = [r for r in crowded if r.at >= start + dt.timedelta(hours=1)]
    # Importance 3 by day: every 2 h; a crowd of 150 makes it every 30 min for the next hour.
    assert len([r for r in quiet if r.at < start + dt.timedelta(hours=1)]) == 1
    assert len(first_hour) == 2 and all(r.crowd_factor == 0.25 for r in first_hour)
    assert [r.at for r in later] == [r.at for r in quiet if r.at >= start + dt.timedelta(hours=1)]
    assert all(r.crowd_factor == 1.0 for r in later)
