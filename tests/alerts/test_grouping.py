"""Which open alert a new failure joins."""

from __future__ import annotations

import datetime as dt

from gapwatch.alerts.grouping import CameraFacts, OpenAlertFacts, choose_alert

T0 = dt.datetime(2026, 7, 30, 12, 0, tzinfo=dt.UTC)
CAMS = {
    "p1": CameraFacts("p1", "pole-7", frozenset({"car-park"})),
    "p2": CameraFacts("p2", "pole-7", frozenset({"car-park"})),
    "q1": CameraFacts("q1", "pole-9", frozenset({"square"})),
    "q2": CameraFacts("q2", None, frozenset({"square"})),
    "x": CameraFacts("x", None, frozenset({"gate"})),
    "g1": CameraFacts("g1", "pole-9", frozenset({"gate"})),
    "g2": CameraFacts("g2", None, frozenset({"gate"})),
}


def alert(
    aid: str, cams: set[str], minutes_ago: float, groupable: bool = True, first: str | None = None
) -> OpenAlertFacts:
    at = T0 - dt.timedelta(minutes=minutes_ago)
    return OpenAlertFacts(aid, at, frozenset(cams), groupable, first=first or min(cams))


def test_same_group_joins_within_the_window() -> None:
    assert choose_alert(CAMS["p2"], T0, [alert("a", {"p1"}, 2)], CAMS) == "a"
    assert choose_alert(CAMS["p2"], T0, [alert("a", {"p1"}, 30)], CAMS) is None


def test_same_zone_at_once_joins_and_later_does_not() -> None:
    assert choose_alert(CAMS["q2"], T0, [alert("a", {"q1"}, 0.5)], CAMS) == "a"
    assert choose_alert(CAMS["q2"], T0, [alert("a", {"q1"}, 10)], CAMS) is None


def test_unrelated_cameras_get_their_own_alert() -> None:
    assert choose_alert(CAMS["x"], T0, [alert("a", {"q1"}, 0), alert("b", {"p1"}, 0)], CAMS) is None


def test_a_camera_already_in_an_alert_stays_there() -> None:
    old = alert("a", {"x"}, 600)
    assert choose_alert(CAMS["x"], T0, [old], CAMS) == "a"


def test_silenced_alerts_absorb_nothing() -> None:
    assert choose_alert(CAMS["p2"], T0, [alert("a", {"p1"}, 1, groupable=False)], CAMS) is None


def test_an_alert_does_not_grow_from_zone_to_zone_through_its_joiners() -> None:
    # q1 opened it in the square; g1 joined by its switch and stands at the gate. A camera
    # failing at the gate alone is a new incident, not part of the square's: before, the
    # zones of every joiner counted and one switch failure snowballed across the county.
    grown = alert("a", {"q1", "g1"}, 0.5, first="q1")
    assert choose_alert(CAMS["g2"], T0, [grown], CAMS) is None
    assert choose_alert(CAMS["q2"], T0, [grown], CAMS) == "a"  # the square still joins


def test_the_groups_an_alert_carries_decide_rule_2_without_reading_its_cameras() -> None:
    # Opened three minutes ago: past the zone window, inside the group window.
    at = T0 - dt.timedelta(minutes=3)
    told_none = OpenAlertFacts("a", at, frozenset({"p1"}), True, first="p1", groups=frozenset())
    assert choose_alert(CAMS["p2"], T0, [told_none], CAMS) is None
    held = OpenAlertFacts(
        "a", at, frozenset({"p1"}), True, first="p1", groups=frozenset({"pole-7"})
    )
    assert choose_alert(CAMS["p2"], T0, [held], CAMS) == "a"
