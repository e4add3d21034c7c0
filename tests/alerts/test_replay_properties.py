"""Property test through `replay`: random probes, acknowledgements, resolves, dispatch reports
and silences keep the lifecycle rules, checked against the store replay leaves behind and an
oracle of our own of when each camera was surely down."""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import example, given
from sqlalchemy import select

from gapwatch.alerts import replay
from gapwatch.coverage import CoverageModel
from gapwatch.site import Site
from gapwatch.storage import AlertRow, make_engine, session_factory
from tests.alerts import properties as pr
from tests.alerts import scenario as sc

T0 = sc.local("2026-07-29", "19:00")


@cache
def example_site() -> tuple[Site, CoverageModel]:
    site = sc.site()
    return site, CoverageModel.from_site(site)


@pr.PROFILE
# An operator resolving while the camera is still black (the measured lost alert).
@example(
    plan=[
        ("probe", "cam-sw", "offline"),
        ("probe", "cam-sw", "offline"),
        ("resolve", "cam-sw"),
        ("probe", "cam-sw", "offline"),
    ]
)
# A unit refuses: the road patrol moves to another unit, the old one is history.
@example(
    plan=[
        ("probe", "cam-ne", "offline"),
        ("probe", "cam-ne", "offline"),
        ("report", "cam-ne", "road_patrol", "rejected"),
        ("report", "cam-ne", "road_patrol", "rejected"),
    ]
)
@given(plan=pr.events(bumps=False))
def test_replayed_sequences_keep_the_lifecycle_rules(plan: list[pr.Event]) -> None:
    site, model = example_site()
    line = pr.Timeline.of(plan, T0)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'replay.db'}"
        report = replay(site, line.replay_lines(), db_url=url)
        db = make_engine(url)
        try:
            with session_factory(db)() as session:
                pr.check_rules(session, site, model, line.end)
                alerts = [
                    (a.opened_at, a.resolved_at, list(a.cameras), a.id)
                    for a in session.scalars(
                        select(AlertRow).where(AlertRow.kind != "coverage_gap")
                    )
                ]
        finally:
            db.dispose()
    refused = {p.line for p in report.problems}
    assert all("unknown" not in p.en for p in report.problems), report.problems
    open_after = site.spec.health.open_after

    def holding(camera: str, at: dt.datetime) -> list[str]:
        return [
            aid
            for opened, resolved, cameras, aid in alerts
            if camera in cameras and opened <= at and (resolved is None or resolved > at)
        ]

    # Every outage has its alert (or a silence covers the camera), and only one.
    for at, camera in line.surely_down(open_after):
        held = holding(camera, at)
        assert len(held) <= 1, (camera, at, held)
        assert held or line.silenced(camera, at), (camera, at)
    # Resolve on a camera surely down is refused (a problem on its line) and the alert stays.
    surely = set(line.surely_down(open_after))
    number = 0
    for at, event in line.timed:
        if event[0] in ("restart", "resync"):
            continue
        number += 1
        if event[0] == "resolve" and (at, event[1]) in _latest_down(surely, line, event[1], at):
            assert number in refused, (number, event)
            assert holding(event[1], at) or line.silenced(event[1], at)
    # A camera is in one alert at a time.
    spans: dict[str, list[tuple[dt.datetime, dt.datetime | None]]] = {}
    for opened, resolved, cameras, _ in alerts:
        for camera in cameras:
            spans.setdefault(camera, []).append((opened, resolved))
    for intervals in spans.values():
        intervals.sort(key=lambda s: s[0])
        for (_, end), (start, _) in itertools.pairwise(intervals):
            assert end is not None and end <= start


def _latest_down(
    surely: set[tuple[dt.datetime, str]], line: pr.Timeline, camera: str, at: dt.datetime
) -> set[tuple[dt.datetime, str]]:
    """{(at, camera)} when the camera's newest probe before `at` left it surely down."""
    probes = [t for t, e in line.timed if e[0] == "probe" and e[1] == camera and t < at]
    return {(at, camera)} if probes and (probes[-1], camera) in surely else set()
