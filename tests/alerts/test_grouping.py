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
}


def alert(aid: str, cams: set[str], minutes_ago: float, groupable: bool = True) -> OpenAlertFacts:
    return OpenAlertFacts(aid, T0 - dt.timedelta(minutes=minutes_ago), frozenset(cams), groupable)


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
