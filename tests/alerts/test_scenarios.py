"""Scenarios through `replay`: recorded probe results in, the alerts and tasks raised out."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from shapely.geometry import shape

from gapwatch.coverage import CoverageModel
from gapwatch.patrol.routing import RoadNetwork, UnitPosition, rank_units
from gapwatch.site import Site
from tests.alerts import scenario as sc
from tests.alerts.scenario import action, local, probe

WEEKDAY = "2026-07-29"  # a Wednesday, not a holiday


@pytest.fixture(scope="module")
def site() -> Site:
    return sc.site()


@pytest.fixture(scope="module")
def model(site: Site) -> CoverageModel:
    return CoverageModel.from_site(site)


def test_single_outage_raises_one_alert_with_exactly_the_lost_ground_and_resolves_on_recovery(
    site: Site, model: CoverageModel
) -> None:
    start = local(WEEKDAY, "09:00")
    report = sc.run(sc.outage("cam-sw", start, bad=3, good=2), site)

    alert = sc.only(report)
    expected = model.live(None).gap_if_down(["cam-sw"])
    assert alert["kind"] == "camera_down"
    assert alert["cameras"] == ["cam-sw"]
    # Opened on the second bad probe (open_after 2), resolved on the second good one.
    assert dt.datetime.fromisoformat(alert["opened_at"]) == start + dt.timedelta(minutes=2)
    assert dt.datetime.fromisoformat(alert["resolved_at"]) == start + dt.timedelta(minutes=5)
    assert alert["blind_spot_m2"] == pytest.approx(expected.area_m2, rel=1e-3)
    assert {b["zone"] for b in alert["blind_spots"]} == {"square"}
    assert sum(b["area_m2"] for b in alert["blind_spots"]) == pytest.approx(
        expected.area_m2, rel=1e-3
    )
    # The blind spot is in lon/lat and lies where the camera looked, inside the square.
    lost = shape(alert["blind_spots"][0]["geometry"])
    square = shape({"type": "Polygon", "coordinates": [list(site.spec.zones[0].polygon)]}).buffer(
        1e-6
    )
    assert square.contains(lost)
    kinds = {t["kind"]: t for t in alert["tasks"]}
    assert set(kinds) == {"video_patrol", "road_patrol"}
    assert kinds["road_patrol"]["assignee"] == "foot-1"
    # The camera came back before anyone arrived: both tasks stood down.
    assert kinds["road_patrol"]["status"] == "cancelled"
    assert kinds["video_patrol"]["status"] == "cancelled"


def test_one_probe_blip_raises_nothing(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    lines = sc.outage("cam-sw", start, bad=1, good=5)
    report = sc.run(lines, site)
    assert report.alerts == []
    assert report.problems == []


def test_an_hour_of_flapping_raises_one_flapping_alert(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    lines = []
    t = start
    for i in range(120):  # every 30 s for an hour: up, down, up, down...
        lines.append(probe(t, "cam-sw", "offline" if i % 2 else "ok"))
        t += dt.timedelta(seconds=30)
    for _ in range(40):  # then steady for twenty minutes
        lines.append(probe(t, "cam-sw", "ok"))
        t += dt.timedelta(seconds=30)
    report = sc.run(lines, site)

    alert = sc.only(report)
    assert alert["flapping"] is True
    assert alert["cameras"] == ["cam-sw"]
    assert alert["blind_spot_m2"] > 0
    assert len(alert["tasks"]) == 2
    # It calmed down and stayed up, so the alert closed by itself.
    assert alert["resolved_at"] is not None
    assert dt.datetime.fromisoformat(alert["resolved_at"]) > start + dt.timedelta(hours=1)


def test_twelve_cameras_on_one_pole_down_at_once_raise_one_grouped_alert(
    site: Site, model: CoverageModel
) -> None:
    start = local(WEEKDAY, "10:00")
    lines = [probe(start, cam, "ok") for cam in sc.POLE]
    for minute in (1, 2):
        for k, cam in enumerate(sc.POLE):
            at = start + dt.timedelta(minutes=minute, seconds=k)
            lines.append(probe(at, cam, "offline"))
    report = sc.run(lines, site)

    alert = sc.only(report)
    assert alert["kind"] == "group_down"
    assert sorted(alert["cameras"]) == sc.POLE
    expected = model.live(None).gap_if_down(sc.POLE)
    assert alert["blind_spot_m2"] == pytest.approx(expected.area_m2, rel=1e-3)
    # Every camera on the pole is down: no working view sees the ground, only a road patrol.
    assert [t["kind"] for t in alert["tasks"]] == ["road_patrol"]


def test_overlapped_camera_raises_a_low_maintenance_alert_and_no_road_patrol(site: Site) -> None:
    report = sc.run(sc.outage("cam-tight", local(WEEKDAY, "20:00"), bad=3, good=0), site)

    alert = sc.only(report)
    assert alert["kind"] == "maintenance"
    assert alert["severity"] == "low"
    assert alert["blind_spot_m2"] == 0
    assert alert["blind_spots"] == []
    assert not [t for t in alert["tasks"] if t["kind"] == "road_patrol"]


def test_night_market_evening_is_more_severe_than_a_weekday_morning(site: Site) -> None:
    morning = sc.only(sc.run(sc.outage("cam-sw", local(WEEKDAY, "09:00"), good=0), site))
    evening = sc.only(sc.run(sc.outage("cam-sw", local(WEEKDAY, "20:00"), good=0), site))
    after_midnight = sc.only(sc.run(sc.outage("cam-sw", local(WEEKDAY, "00:30"), good=0), site))

    ranks = ["info", "low", "medium", "high", "critical"]
    assert morning["blind_spot_m2"] == pytest.approx(evening["blind_spot_m2"])
    assert ranks.index(evening["severity"]) > ranks.index(morning["severity"])
    # The market runs to 01:00, so half past midnight is still evening.
    assert after_midnight["severity"] == evening["severity"]


def test_silenced_camera_is_recorded_not_alerted(site: Site) -> None:
    start = local(WEEKDAY, "20:00")
    lines = [
        action(
            start,
            "silence",
            cameras=["cam-sw"],
            until=(start + dt.timedelta(hours=2)).isoformat(),
            by="tech-li",
            comment="replacing the lens",
        ),
        *sc.outage("cam-sw", start + dt.timedelta(minutes=1), bad=20, good=0),
    ]
    report = sc.run(lines, site)

    alert = sc.only(report)
    assert alert["silenced"] is True
    assert alert["tasks"] == []
    # Twenty minutes unacknowledged on a critical evening, yet a silence never escalates.
    assert alert["escalation_level"] == 0


def test_rejected_road_patrol_goes_to_the_next_nearest_unit(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    lines = sc.outage("cam-sw", start, bad=4, good=0)
    lines.append(
        action(
            start + dt.timedelta(minutes=5),
            "task_status",
            camera="cam-sw",
            task="road_patrol",
            status="rejected",
            by="foot-1",
        )
    )
    report = sc.run(lines, site)

    alert = sc.only(report)
    roads = [t for t in alert["tasks"] if t["kind"] == "road_patrol"]
    assert next((t["assignee"], t["status"]) for t in roads) == ("foot-1", "rejected")
    assert len(roads) == 2 and roads[1]["status"] == "dispatched"
    # The next unit is the second fastest to reach the gap by the routing the engine uses.
    model = CoverageModel.from_site(site)
    pieces = model.live(None).gap_if_down(["cam-sw"]).pieces
    gap = shapely.union_all([p.geometry for p in pieces])
    units = [
        UnitPosition(u.id, u.kind, *site.projection.to_metres(*u.location))
        for u in site.spec.patrol_units
    ]
    order = rank_units(
        RoadNetwork.from_site(site.spec.roads, site.projection), units, gap, site.projection
    )
    assert [p.unit for p in order][:2] == ["foot-1", roads[1]["assignee"]]


def test_unacknowledged_alert_escalates_and_an_acknowledged_one_does_not(site: Site) -> None:
    start = local(WEEKDAY, "20:00")  # night market: critical, escalates after 5 minutes
    lines = sc.outage("cam-sw", start, bad=2, good=0)
    lines.append(action(start + dt.timedelta(minutes=9), "tick"))
    left = sc.only(sc.run(lines, site))
    assert left["severity"] == "critical"
    assert left["escalation_level"] == 1

    taken = sc.outage("cam-sw", start, bad=2, good=0)
    taken.append(action(start + dt.timedelta(minutes=3), "ack", camera="cam-sw", by="op-wang"))
    taken.append(action(start + dt.timedelta(minutes=9), "tick"))
    acked = sc.only(sc.run(taken, site))
    assert acked["status"] == "acknowledged"
    assert acked["escalation_level"] == 0


def test_unit_on_scene_keeps_the_alert_open_until_cleared(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    lines = [probe(start, "cam-sw", "ok")]
    for m in (1, 2):
        lines.append(probe(start + dt.timedelta(minutes=m), "cam-sw", "offline"))
    for m, status in ((3, "accepted"), (4, "en_route"), (6, "on_scene")):
        lines.append(
            action(
                start + dt.timedelta(minutes=m),
                "task_status",
                camera="cam-sw",
                task="road_patrol",
                status=status,
                by="foot-1",
            )
        )
    for m in (7, 8):
        lines.append(probe(start + dt.timedelta(minutes=m), "cam-sw", "ok"))
    before = sc.only(sc.run(lines, site))
    assert before["resolved_at"] is None  # camera back, but the unit is still on scene

    lines.append(
        action(
            start + dt.timedelta(minutes=10),
            "task_status",
            camera="cam-sw",
            task="road_patrol",
            status="cleared",
            by="foot-1",
        )
    )
    after = sc.only(sc.run(lines, site))
    assert dt.datetime.fromisoformat(after["resolved_at"]) == start + dt.timedelta(minutes=10)
    statuses = {t["kind"]: t["status"] for t in after["tasks"]}
    assert statuses == {"video_patrol": "cancelled", "road_patrol": "cleared"}


def test_video_patrol_seeing_the_ground_stands_the_road_patrol_down(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    lines = sc.outage("cam-sw", start, bad=3, good=0)
    lines.append(
        action(
            start + dt.timedelta(minutes=4),
            "task_status",
            camera="cam-sw",
            task="video_patrol",
            status="cleared",
            by="op-wang",
        )
    )
    alert = sc.only(sc.run(lines, site))
    statuses = {t["kind"]: t["status"] for t in alert["tasks"]}
    assert statuses == {"video_patrol": "cleared", "road_patrol": "cancelled"}
    assert alert["resolved_at"] is None  # the camera itself is still down


def test_bad_lines_are_named_and_the_rest_still_counts(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    good = sc.outage("cam-sw", start, bad=3, good=0)
    lines = [
        good[0],
        "{not json",
        probe(start + dt.timedelta(seconds=10), "cam-nope", "offline"),
        good[1],
        good[1],  # repeated
        probe(start - dt.timedelta(minutes=5), "cam-sw", "ok"),  # out of order
        *good[2:],
    ]
    report = sc.run(lines, site)
    assert [p.line for p in report.problems] == [2, 3, 5, 6]
    assert "unknown camera 'cam-nope'" in report.problems[1].en
    assert "repeated" in report.problems[2].en
    assert "out of order" in report.problems[3].en
    alert = sc.only(report)
    assert alert["cameras"] == ["cam-sw"]


def test_an_outage_running_into_the_night_market_is_raised_to_critical(site: Site) -> None:
    start = local(WEEKDAY, "17:40")
    lines = sc.outage("cam-sw", start, bad=3, good=0)
    lines.append(action(local(WEEKDAY, "18:05"), "tick"))
    alert = sc.only(sc.run(lines, site))
    assert alert["severity"] == "critical"
    before = sc.only(sc.run(sc.outage("cam-sw", start, bad=3, good=0), site))
    assert before["severity"] == "medium"


def test_an_action_with_nothing_to_act_on_is_named_and_skipped(site: Site) -> None:
    start = local(WEEKDAY, "09:00")
    lines = [
        action(start, "ack", camera="cam-ne", by="op-wang"),  # cam-ne has no alert
        *sc.outage("cam-sw", start + dt.timedelta(minutes=1), bad=2, good=0),
        action(
            start + dt.timedelta(minutes=5),
            "task_status",
            camera="cam-sw",
            task="road_patrol",
            status="cleared",
            by="foot-1",
        ),  # not accepted yet
        action(start + dt.timedelta(minutes=6), "ack", camera="cam-sw", by="op-wang"),
    ]
    report = sc.run(lines, site)
    assert [p.line for p in report.problems] == [1, 5]
    assert "no open alert" in report.problems[0].en
    assert "cannot become 'cleared'" in report.problems[1].en
    alert = sc.only(report)
    assert alert["status"] == "acknowledged"  # the lines after the bad ones still counted
