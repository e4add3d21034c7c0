"""Health tracker: debounce, flap damping, time order."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gapwatch.health.tracker import FlapDetector, HealthTracker, Probe, flap_share

T0 = dt.datetime(2026, 7, 30, 12, 0, tzinfo=dt.UTC)


def feed(
    tracker: HealthTracker, statuses: list[str], camera: str = "cam-1"
) -> list[tuple[int, str, bool]]:
    """Feed statuses one a minute; return (index, state, flapping) of every change."""
    out = []
    for i, status in enumerate(statuses):
        change = tracker.observe(Probe(T0 + dt.timedelta(minutes=i), camera, status))  # type: ignore[arg-type]
        if change is not None:
            out.append((i, change.state, change.flapping))
    return out


def test_opens_after_n_bad_and_closes_after_m_good() -> None:
    tracker = HealthTracker(open_after=3, close_after=2)
    changes = feed(tracker, ["ok", "offline", "offline", "offline", "offline", "ok", "ok", "ok"])
    assert changes == [(3, "offline", False), (6, "ok", False)]


def test_a_bad_streak_broken_by_a_good_probe_starts_over() -> None:
    tracker = HealthTracker(open_after=3, close_after=2)
    assert feed(tracker, ["ok", "offline", "offline", "ok", "ok", "ok"]) == []


def test_degraded_then_offline_is_a_change_of_kind_while_down() -> None:
    tracker = HealthTracker(open_after=2, close_after=2)
    changes = feed(tracker, ["ok", "degraded", "degraded", "offline", "offline"])
    assert [c[1] for c in changes] == ["degraded", "offline"]


def test_faults_of_the_last_bad_probe_are_reported() -> None:
    tracker = HealthTracker(open_after=2, close_after=1)
    tracker.observe(Probe(T0, "c", "degraded", ("blur",)))
    change = tracker.observe(Probe(T0 + dt.timedelta(seconds=1), "c", "degraded", ("occluded",)))
    assert change is not None and change.faults == ("occluded",)


def test_older_or_repeated_probe_is_refused() -> None:
    tracker = HealthTracker()
    tracker.observe(Probe(T0, "c", "ok"))
    with pytest.raises(ValueError, match="older"):
        tracker.observe(Probe(T0 - dt.timedelta(seconds=1), "c", "ok"))


def test_flapping_camera_changes_twice_not_dozens_of_times() -> None:
    tracker = HealthTracker(open_after=2, close_after=2)
    flips = ["ok", "offline"] * 30
    changes = feed(tracker, flips + ["ok"] * 40)
    assert [(state, flapping) for _, state, flapping in changes] == [("ok", True), ("ok", False)]


def test_pairs_of_bad_probes_flap_too() -> None:
    # Down for two probes, up for two: the debounced state would open and close every time.
    tracker = HealthTracker(open_after=2, close_after=2)
    changes = feed(tracker, ["ok", "ok", "offline", "offline"] * 15)
    # A real outage or two before the pattern shows; once flapping, nothing more until calm.
    flapping_at = [i for i, _, flapping in changes if flapping]
    assert len(flapping_at) == 1
    assert changes[-1][0] == flapping_at[0]
    assert len(changes) <= 4


def test_flap_share_weights_recent_changes_more() -> None:
    old = ["a", "b"] + ["b"] * 19
    new = ["a"] * 20 + ["b"]
    assert flap_share(new) > flap_share(old)
    assert flap_share(["a"] * 21) == 0.0
    assert flap_share(["a", "b"] * 10 + ["a"]) == pytest.approx(1.0)


def test_flap_hysteresis_between_20_and_5_percent() -> None:
    detector = FlapDetector()
    for s in ["a", "b"] * 3:
        detector.add(s)
    assert detector.flapping
    # Still above 5 % with a few steady results: stays flapping.
    for _ in range(5):
        detector.add("a")
    assert detector.flapping
    for _ in range(21):
        detector.add("a")
    assert not detector.flapping


@given(st.lists(st.sampled_from(["ok", "degraded", "offline"]), max_size=80))
def test_share_is_a_fraction(statuses: list[str]) -> None:
    assert 0.0 <= flap_share(statuses[-21:]) <= 1.0


@given(
    st.lists(st.sampled_from(["ok", "degraded", "offline"]), max_size=60),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_a_state_change_needs_enough_agreeing_probes(
    statuses: list[str], open_after: int, close_after: int
) -> None:
    tracker = HealthTracker(open_after=open_after, close_after=close_after)
    for i, status in enumerate(statuses):
        change = tracker.observe(Probe(T0 + dt.timedelta(minutes=i), "c", status))  # type: ignore[arg-type]
        if change is None or change.state == change.previous:
            continue
        needed = close_after if change.state == "ok" else open_after
        recent = statuses[max(0, i - needed + 1) : i + 1]
        assert len(recent) == needed and set(recent) == {change.state}


@given(st.lists(st.sampled_from(["ok", "offline"]), max_size=100))
def test_changes_alternate_down_and_up(statuses: list[str]) -> None:
    tracker = HealthTracker(open_after=2, close_after=2)
    down = False
    for i, status in enumerate(statuses):
        change = tracker.observe(Probe(T0 + dt.timedelta(minutes=i), "c", status))  # type: ignore[arg-type]
        if change is None:
            continue
        assert change.was_down == down
        down = change.down


def test_restore_starts_from_a_known_state_without_a_change() -> None:
    tracker = HealthTracker(open_after=2, close_after=2)
    tracker.restore("c", "offline")
    assert tracker.observe(Probe(T0, "c", "offline")) is None
    tracker.observe(Probe(T0 + dt.timedelta(minutes=1), "c", "ok"))
    change = tracker.observe(Probe(T0 + dt.timedelta(minutes=2), "c", "ok"))
    assert change is not None and (change.previous, change.state) == ("offline", "ok")
